<?php
// Kassa webhook receiver in PHP, following section 5 of the integration
// document exactly: raw body from php://input, hash_hmac('sha256', raw,
// secret) as lowercase hex, hash_equals against X-Signature; 401 "invalid
// signature" on a mismatch, 200 "ok" on success.
//
// Start (the PHP built-in server runs this file as its router for every path):
//   WEBHOOK_SECRET=whsec_... RECEIVER_LOG=/tmp/php.jsonl \
//     php -S 127.0.0.1:PORT tests/receivers/receiver.php
// The port is given on the command line; the built-in server has no READY
// line of its own, so the test polls the port.
//
// Every request appends one JSON line to RECEIVER_LOG:
//   {"receiver","path","verified","status","event_id","body","headers"}
// where `body` is the raw body and `headers` the signature headers as received.

$secret = getenv('WEBHOOK_SECRET');
$log = getenv('RECEIVER_LOG');
if ($secret === false || $secret === '' || $log === false || $log === '') {
    http_response_code(500);
    exit('WEBHOOK_SECRET and RECEIVER_LOG must be set');
}

$raw = file_get_contents('php://input');
$sig = $_SERVER['HTTP_X_SIGNATURE'] ?? '';
$calc = hash_hmac('sha256', $raw, $secret);
$verified = hash_equals($calc, $sig);
$status = $verified ? 200 : 401;

$data = json_decode($raw, true);
$eventId = is_array($data) && isset($data['event_id']) ? $data['event_id'] : null;
$line = [
    'receiver' => 'php',
    'path' => parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH),
    'verified' => $verified,
    'status' => $status,
    'event_id' => $eventId,
    'body' => $raw,
    'headers' => [
        'content-type' => $_SERVER['CONTENT_TYPE'] ?? ($_SERVER['HTTP_CONTENT_TYPE'] ?? null),
        'x-signature' => $_SERVER['HTTP_X_SIGNATURE'] ?? null,
        'webhook-id' => $_SERVER['HTTP_WEBHOOK_ID'] ?? null,
        'webhook-timestamp' => $_SERVER['HTTP_WEBHOOK_TIMESTAMP'] ?? null,
        'webhook-signature' => $_SERVER['HTTP_WEBHOOK_SIGNATURE'] ?? null,
    ],
];
$flags = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE;
file_put_contents($log, json_encode($line, $flags) . "\n", FILE_APPEND | LOCK_EX);

if (!$verified) {
    http_response_code(401);
    exit('invalid signature');
}
if (($data['status'] ?? '') === 'paid') {
    // A real shop marks $data['order_id'] paid here.
}
http_response_code(200);
echo 'ok';
