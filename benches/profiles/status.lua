-- wrk script: GET /gateway/session_status.php of one session; the API key
-- comes from KASSA_KEY (the URL names the session).
wrk.headers["X-API-Key"] = os.getenv("KASSA_KEY")
