"""Kassa webhook receiver in Python (standard library http.server), two paths:

  POST /webhook   section 5 of the integration document exactly: the raw body
                  (Content-Length bytes), hmac.new(secret, body, sha256)
                  .hexdigest(), hmac.compare_digest against X-Signature; 401
                  "invalid signature" on a mismatch, 200 "ok" on success.
                  (Any path other than /standard is treated the same way.)
  POST /standard  Standard Webhooks headers verified by the official PyPI
                  package: Webhook(secret).verify(body, headers); 401 on any
                  exception, 409 on a webhook-id already accepted (replay),
                  200 "ok" otherwise. The library itself rejects a
                  webhook-timestamp more than 5 minutes away from now.

Start:
  RECEIVER_PORT=PORT WEBHOOK_SECRET=whsec_... RECEIVER_LOG=/tmp/py.jsonl \\
    python3 tests/receivers/receiver.py
Prints "READY" once listening on 127.0.0.1:PORT. `standardwebhooks` is
imported only by /standard, so /webhook works without it.

Every request appends one JSON line to RECEIVER_LOG:
  {"receiver","path","verified","status","event_id","body","headers","reason"}
where `body` is the raw body and `headers` the signature headers as received.
"""

import hashlib
import hmac
import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

PORT = int(os.environ.get("RECEIVER_PORT", "0"))
SECRET = os.environ.get("WEBHOOK_SECRET", "")
LOG = os.environ.get("RECEIVER_LOG", "")

LOGGED = ("content-type", "x-signature", "webhook-id", "webhook-timestamp", "webhook-signature")

lock = threading.Lock()
# webhook-ids already accepted on /standard (replay protection).
seen = set()


def event_id_of(body):
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data.get("event_id") if isinstance(data, dict) else None


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        path = urlsplit(self.path).path
        if path == "/standard":
            verified, status, reason = self.standard(body)
        else:
            verified, status, reason = self.document(body)
        self.record(path, body, verified, status, reason)
        text = {200: b"ok", 401: b"invalid signature", 409: b"replayed"}[status]
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def document(self, body):
        """The integration document's X-Signature check."""
        sig = self.headers.get("X-Signature", "")
        calc = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(calc, sig):
            return False, 401, "X-Signature mismatch"
        try:
            data = json.loads(body)
        except ValueError:
            data = {}
        if isinstance(data, dict) and data.get("status") == "paid":
            pass  # A real shop marks data["order_id"] paid here.
        return True, 200, None

    def standard(self, body):
        """Standard Webhooks, verified by the official library, plus replay protection."""
        from standardwebhooks.webhooks import Webhook

        try:
            Webhook(SECRET).verify(body, dict(self.headers.items()))
        except Exception as e:  # any failure is a rejection
            return False, 401, f"{type(e).__name__}: {e}"
        msg_id = self.headers.get("webhook-id")
        with lock:
            if msg_id in seen:
                return True, 409, "replayed webhook-id"
            seen.add(msg_id)
        return True, 200, None

    def record(self, path, body, verified, status, reason):
        line = {
            "receiver": "python",
            "path": path,
            "verified": verified,
            "status": status,
            "event_id": event_id_of(body),
            "body": body.decode("utf-8", errors="replace"),
            "headers": {name: self.headers.get(name) for name in LOGGED},
            "reason": reason,
        }
        with lock, open(LOG, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")

    def log_message(self, format, *args):
        sys.stderr.write("receiver.py: " + (format % args) + "\n")


def main():
    if not PORT or not SECRET or not LOG:
        sys.exit("RECEIVER_PORT, WEBHOOK_SECRET and RECEIVER_LOG must be set")
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Receiver)
    print("READY", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
