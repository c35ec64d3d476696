// Kassa webhook receiver in Node (express), two routes:
//
//   POST /webhook   section 5 of the integration document exactly:
//                   express.raw({ type: "application/json" }), crypto.createHmac
//                   hex over the raw body, crypto.timingSafeEqual against
//                   X-Signature (lengths checked first: timingSafeEqual throws
//                   on unequal lengths); 401 "invalid signature" / 200 "ok".
//   POST /standard  Standard Webhooks headers verified by the official npm
//                   package: new Webhook(secret).verify(payload, headers);
//                   401 on any throw, 409 on a webhook-id already accepted
//                   (replay), 200 "ok" otherwise. The library itself rejects a
//                   webhook-timestamp more than 300 s away from now.
//
// Start:
//   NODE_PATH=/tmp/kassa-node/node_modules RECEIVER_PORT=PORT \
//   WEBHOOK_SECRET=whsec_... RECEIVER_LOG=/tmp/node.jsonl \
//     node tests/receivers/receiver.mjs
// express and standardwebhooks are looked up through NODE_PATH (ES-module
// imports ignore NODE_PATH, so they are loaded with createRequire). Prints
// "READY" once listening on 127.0.0.1:PORT.
//
// Every request appends one JSON line to RECEIVER_LOG:
//   {"receiver","path","verified","status","event_id","body","headers","reason"}
// where `body` is the raw body and `headers` the signature headers as received.

import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const express = require("express");
const { Webhook } = require("standardwebhooks");

const port = Number(process.env.RECEIVER_PORT);
const secret = process.env.WEBHOOK_SECRET;
const logPath = process.env.RECEIVER_LOG;
if (!port || !secret || !logPath) {
  console.error("RECEIVER_PORT, WEBHOOK_SECRET and RECEIVER_LOG must be set");
  process.exit(2);
}

/** webhook-ids already accepted on /standard (replay protection). */
const seen = new Set();

function record(req, raw, verified, status, reason) {
  const text = raw.toString("utf8");
  let eventId = null;
  try {
    eventId = JSON.parse(text).event_id ?? null;
  } catch {
    eventId = null;
  }
  const line = {
    receiver: "node",
    path: req.path,
    verified,
    status,
    event_id: eventId,
    body: text,
    headers: {
      "content-type": req.header("content-type") ?? null,
      "x-signature": req.header("x-signature") ?? null,
      "webhook-id": req.header("webhook-id") ?? null,
      "webhook-timestamp": req.header("webhook-timestamp") ?? null,
      "webhook-signature": req.header("webhook-signature") ?? null,
    },
    reason,
  };
  fs.appendFileSync(logPath, `${JSON.stringify(line)}\n`);
}

/** The raw body express.raw produced (undefined for another Content-Type). */
function rawBody(req) {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}

const app = express();

app.post("/webhook", express.raw({ type: "application/json" }), (req, res) => {
  const raw = rawBody(req);
  const sig = Buffer.from(req.header("X-Signature") || "");
  const calc = Buffer.from(crypto.createHmac("sha256", secret).update(raw).digest("hex"));
  const verified = calc.length === sig.length && crypto.timingSafeEqual(calc, sig);
  if (!verified) {
    record(req, raw, false, 401, "X-Signature mismatch");
    return res.status(401).send("invalid signature");
  }
  const data = JSON.parse(raw.toString("utf8"));
  if (data.status === "paid") {
    // A real shop marks data.order_id paid here.
  }
  record(req, raw, true, 200, null);
  res.status(200).send("ok");
});

app.post("/standard", express.raw({ type: "application/json" }), (req, res) => {
  const raw = rawBody(req);
  try {
    new Webhook(secret).verify(raw, req.headers);
  } catch (e) {
    record(req, raw, false, 401, String(e && e.message));
    return res.status(401).send("invalid signature");
  }
  const id = req.header("webhook-id");
  if (seen.has(id)) {
    record(req, raw, true, 409, "replayed webhook-id");
    return res.status(409).send("replayed");
  }
  seen.add(id);
  record(req, raw, true, 200, null);
  res.status(200).send("ok");
});

app.listen(port, "127.0.0.1", (err) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  console.log("READY");
});
