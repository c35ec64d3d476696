// Kassa webhook receiver in Go (net/http), following section 5 of the
// integration document exactly: io.ReadAll of the raw body, crypto/hmac
// SHA-256 as lowercase hex, hmac.Equal against X-Signature; 401
// "invalid signature" on a mismatch, 200 "ok" on success.
//
// Start (standard library only, no module needed):
//
//	RECEIVER_PORT=PORT WEBHOOK_SECRET=whsec_... RECEIVER_LOG=/tmp/go.jsonl \
//	  go run tests/receivers/receiver.go
//
// (the test suite runs `go build -o BIN tests/receivers/receiver.go` then BIN,
// so that killing the receiver does not orphan the binary `go run` starts).
// Prints "READY" once listening on 127.0.0.1:PORT.
//
// Every request appends one JSON line to RECEIVER_LOG:
//
//	{"receiver","path","verified","status","event_id","body","headers"}
//
// where `body` is the raw body and `headers` the signature headers as received.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
)

type logLine struct {
	Receiver string            `json:"receiver"`
	Path     string            `json:"path"`
	Verified bool              `json:"verified"`
	Status   int               `json:"status"`
	EventID  interface{}       `json:"event_id"`
	Body     string            `json:"body"`
	Headers  map[string]string `json:"headers"`
}

var logMu sync.Mutex

func record(logPath string, line logLine) {
	encoded, err := json.Marshal(line)
	if err != nil {
		fmt.Fprintln(os.Stderr, "log encode:", err)
		return
	}
	logMu.Lock()
	defer logMu.Unlock()
	f, err := os.OpenFile(logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "log open:", err)
		return
	}
	defer f.Close()
	f.Write(append(encoded, '\n'))
}

func main() {
	port := os.Getenv("RECEIVER_PORT")
	secret := []byte(os.Getenv("WEBHOOK_SECRET"))
	logPath := os.Getenv("RECEIVER_LOG")
	if port == "" || len(secret) == 0 || logPath == "" {
		fmt.Fprintln(os.Stderr, "RECEIVER_PORT, WEBHOOK_SECRET and RECEIVER_LOG must be set")
		os.Exit(2)
	}

	webhook := func(w http.ResponseWriter, r *http.Request) {
		sig := r.Header.Get("X-Signature")
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		mac := hmac.New(sha256.New, secret)
		mac.Write(raw)
		calc := hex.EncodeToString(mac.Sum(nil))
		verified := hmac.Equal([]byte(calc), []byte(sig))
		status := 200
		if !verified {
			status = 401
		}

		var data map[string]interface{}
		var eventID interface{}
		if json.Unmarshal(raw, &data) == nil {
			eventID = data["event_id"]
		}
		headers := map[string]string{}
		for _, name := range []string{"content-type", "x-signature", "webhook-id", "webhook-timestamp", "webhook-signature"} {
			if values := r.Header.Values(name); len(values) > 0 {
				headers[name] = values[0]
			}
		}
		record(logPath, logLine{"go", r.URL.Path, verified, status, eventID, string(raw), headers})

		if !verified {
			w.WriteHeader(401)
			w.Write([]byte("invalid signature"))
			return
		}
		if data["status"] == "paid" {
			// A real shop marks data["order_id"] paid here.
		}
		w.WriteHeader(200)
		w.Write([]byte("ok"))
	}

	listener, err := net.Listen("tcp", "127.0.0.1:"+port)
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(1)
	}
	fmt.Println("READY")
	if err := http.Serve(listener, http.HandlerFunc(webhook)); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}
