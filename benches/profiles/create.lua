-- wrk script: POST /gateway/session.php with the gateway benchmark's body;
-- the API key comes from KASSA_KEY.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = os.getenv("KASSA_KEY")
wrk.body = '{"domain":"shop.example","merchant_ref":"BENCH","amount":"79.00","currency":"EUR","customer_email":"buyer@example.com","return_url":"https://shop.example/thank-you"}'
