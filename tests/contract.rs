//! The published contract, checked from the outside: schemathesis (every
//! phase: examples, coverage, fuzzing, stateful) against a live `kassa
//! serve` finds nothing on SQLite and PostgreSQL, and the rules it first
//! caught (405 without `Allow`, a status lookup with nothing to look up,
//! the `Idempotency-Key` and field types) hold as the document says.

use std::process::Command;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, TestDb, TestMerchant, order, read, require_all, skip, spawn_app};
use crate::on_both_backends;
use crate::single_node::{Node, merchant_on};

/// The schemathesis release the contract run was written against
/// (`.ci/run` installs it).
const SCHEMATHESIS: &str = "4.32.5";
/// Test cases per operation and phase: about 20 s per backend here.
const MAX_EXAMPLES: &str = "100";
/// A fixed seed, so a failure in CI replays the same cases locally.
const SEED: &str = "20261203";

/// `kassa serve` as a child process (the durability suites' [`Node`]) on a
/// fresh database with one merchant (`shop.example` allowlisted).
pub struct Served {
    // Dropped first: the server stops before its folder and database go.
    node: Node,
    pub base: String,
    pub merchant: TestMerchant,
    pub db_url: String,
    pub data: tempfile::TempDir,
    _db: TestDb,
}

impl Served {
    /// Starts it on `backend` with `env` added; `None` when the backend is skipped.
    pub async fn start(backend: Backend, env: &[(&str, &str)]) -> Option<Served> {
        let db = TestDb::new(backend).await?;
        let merchant = merchant_on(&db.url).await;
        let data = tempfile::tempdir().unwrap();
        let node = Node::start_with(&db.url, data.path(), data.path(), env).await;
        Some(Served {
            base: node.base.clone(),
            node,
            merchant,
            db_url: db.url.clone(),
            data,
            _db: db,
        })
    }

    /// Everything the server wrote to stdout and stderr so far.
    pub fn log_text(&self) -> String {
        self.node.log_text()
    }
}

/// The schemathesis command, when it is installed (`KASSA_TEST_SCHEMATHESIS`
/// or `schemathesis` on the `PATH`).
fn schemathesis() -> Option<String> {
    let program =
        std::env::var("KASSA_TEST_SCHEMATHESIS").unwrap_or_else(|_| "schemathesis".into());
    let version = Command::new(&program).arg("--version").output().ok()?;
    version.status.success().then_some(program)
}

on_both_backends!(schemathesis_finds_nothing_wrong_with_the_published_contract);

async fn schemathesis_finds_nothing_wrong_with_the_published_contract(backend: Backend) {
    let Some(program) = schemathesis() else {
        skip(&format!(
            "schemathesis is not installed (pip install schemathesis=={SCHEMATHESIS})"
        ));
        return;
    };
    let Some(served) = Served::start(backend, &[]).await else {
        return;
    };
    // The stateful phase follows the links create → status with valid
    // data only: its link puts a real `session_id` over whatever the
    // generator drew, so a "negative" lookup there would be valid once sent.
    let config = served.data.path().join("schemathesis.toml");
    std::fs::write(
        &config,
        "[phases.stateful.generation]\nmode = \"positive\"\n",
    )
    .unwrap();
    let args: Vec<String> = [
        "--config-file",
        config.to_str().unwrap(),
        "run",
        &format!("{}/openapi.json", served.base),
        "--header",
        &format!("Authorization: Bearer {}", served.merchant.api_key),
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--checks",
        "all",
        "--max-examples",
        MAX_EXAMPLES,
        "--seed",
        SEED,
        "--workers",
        "2",
        // Generous: no timing is asserted in tests, and this machine's
        // cores are shared (a stalled run is not a broken contract).
        "--request-timeout",
        "120",
        "--max-response-time",
        "120",
        "--generation-database",
        "none",
        "--continue-on-failure",
        "--no-color",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let dir = served.data.path().to_path_buf();

    let output = actix_web::rt::task::spawn_blocking(move || {
        Command::new(program)
            .args(&args)
            .current_dir(dir)
            .output()
            .unwrap()
    })
    .await
    .unwrap();

    let report = String::from_utf8_lossy(&output.stdout);
    let tail: String = report
        .lines()
        .rev()
        .take(200)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        output.status.success() && report.contains("No issues found"),
        "schemathesis found problems ({}):\n{tail}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    for phase in ["Examples", "Coverage", "Fuzzing", "Stateful"] {
        assert!(
            report.contains(&format!("✅ {phase}")),
            "{phase} ran:\n{tail}"
        );
    }
    assert!(
        report.contains("API Links:    2 covered"),
        "the stateful phase followed both links:\n{tail}"
    );
    println!("{}", report.lines().last().unwrap_or_default());
}

#[actix_web::test]
async fn every_405_names_the_methods_the_path_accepts() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let accepted: [(&str, &[&str]); 6] = [
        ("/gateway/session.php", &["POST"]),
        ("/gateway/session_status.php", &["GET"]),
        ("/gateway/me.php", &["GET"]),
        ("/sandbox/pay", &["POST"]),
        ("/l/some-link", &["GET", "HEAD", "POST"]),
        ("/p/some-product", &["GET", "HEAD", "POST"]),
    ];
    let methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"];
    let mut refused = 0;

    for (path, allowed) in accepted {
        for method in methods.iter().filter(|m| !allowed.contains(m)) {
            let answer = read(
                app.client
                    .request(
                        Method::from_bytes(method.as_bytes()).unwrap(),
                        app.url(path),
                    )
                    .header("X-API-Key", &app.merchant.api_key)
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            assert_eq!(answer.status, 405, "{method} {path}");
            refused += 1;
            let allow = answer
                .headers
                .get("allow")
                .unwrap_or_else(|| panic!("{method} {path}: 405 without Allow"))
                .to_str()
                .unwrap()
                .to_string();
            let mut named: Vec<&str> = allow.split(',').map(str::trim).collect();
            named.sort_unstable();
            assert_eq!(named, allowed, "{method} {path}: Allow {allow}");
        }
    }

    assert_eq!(refused, 4 * 6 + 2 * 5);
    let answer = read(
        app.client
            .put(app.url("/gateway/session.php"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(answer.headers["allow"], "POST");
    assert_eq!(answer.error_code(), "method_not_allowed");
    app.stop().await;
}

#[actix_web::test]
async fn a_status_lookup_without_anything_to_look_up_is_the_documented_400() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let doc = app.get("/openapi.json").await.json();
    let status_op = &doc["paths"]["/gateway/session_status.php"]["get"];

    let none = app.status("").await;
    let blank = app.status("session_id=%20&order_id=&number=").await;

    assert_eq!(none.status, 400);
    assert_eq!(none.error_code(), "invalid_request");
    assert_eq!(blank.error_code(), "invalid_request");
    assert!(status_op["responses"]["400"].is_object());
    let lookup = &status_op["parameters"][0];
    assert_eq!(lookup["in"], "query");
    assert_eq!(lookup["required"], true);
    assert_eq!(lookup["explode"], true);
    assert_eq!(lookup["schema"]["anyOf"].as_array().unwrap().len(), 3);
    app.stop().await;
}

#[actix_web::test]
async fn the_idempotency_key_is_read_as_the_document_says() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let doc = app.get("/openapi.json").await.json();
    let header = &doc["paths"]["/gateway/session.php"]["post"]["parameters"][0];
    assert_eq!(header["name"], "Idempotency-Key");
    let body = |n: usize| order(&format!("IDEM-{n}")).to_string();
    let longest = "k".repeat(255);
    let too_long = "k".repeat(256);

    let empty = app
        .create_session_raw(&app.merchant.api_key, body(1), Some(""))
        .await;
    let spaces = app
        .create_session_raw(&app.merchant.api_key, body(2), Some("   "))
        .await;
    let tab_inside = app
        .create_session_raw(&app.merchant.api_key, body(3), Some("a\tb"))
        .await;
    let over = app
        .create_session_raw(&app.merchant.api_key, body(4), Some(&too_long))
        .await;
    let inner_space = app
        .create_session_raw(&app.merchant.api_key, body(5), Some("order 5"))
        .await;
    let at_limit = app
        .create_session_raw(&app.merchant.api_key, body(6), Some(&longest))
        .await;

    for refused in [&empty, &spaces, &tab_inside, &over] {
        assert_eq!(refused.status, 400, "{}", refused.text);
        assert_eq!(refused.error_code(), "invalid_request");
    }
    assert_eq!(inner_space.status, 200, "{}", inner_space.text);
    assert_eq!(at_limit.status, 200, "{}", at_limit.text);
    let pattern = regex_lite(header["schema"]["pattern"].as_str().unwrap());
    assert!(pattern("order 5") && pattern(&longest));
    assert!(!pattern("") && !pattern("a\tb") && !pattern(&too_long));
    app.stop().await;
}

/// The header pattern, checked by hand (no regex engine among the dev
/// dependencies): optional blanks, 1–255 visible ASCII characters or inner
/// spaces starting and ending visibly, optional blanks.
fn regex_lite(pattern: &str) -> impl Fn(&str) -> bool {
    assert_eq!(pattern, r"^[ \t]*[!-~](?:[ !-~]{0,253}[!-~])?[ \t]*$");
    |s: &str| {
        let inner = s.trim_matches([' ', '\t']);
        !inner.is_empty() && inner.len() <= 255 && inner.bytes().all(|b| (b' '..=b'~').contains(&b))
    }
}

on_both_backends!(a_field_of_the_wrong_json_type_gets_its_error_code);

async fn a_field_of_the_wrong_json_type_gets_its_error_code(backend: Backend) {
    let Some(app) = crate::helpers::spawn_app(backend).await else {
        return;
    };
    let with = |field: &str, value: Value| {
        let mut body = order("TYPES");
        body[field] = value;
        body
    };
    let cases = [
        ("merchant_ref", json!(true), "invalid_request"),
        ("order_id", json!({"a": 1}), "invalid_request"),
        ("merchant_ref", json!("ORDER\u{0}1"), "invalid_request"),
        ("customer_email", json!(false), "invalid_email"),
        ("email", json!([]), "invalid_email"),
        ("provider", json!(["card"]), "invalid_request"),
        ("payment_method", json!("ca\u{0}rd"), "invalid_request"),
        ("country", json!(true), "invalid_request"),
        ("webhook_url", json!(true), "invalid_request"),
        ("domain", json!(false), "invalid_domain"),
        ("currency", json!(["EUR"]), "invalid_currency"),
        ("amount", json!(true), "invalid_amount"),
    ];

    for (field, value, code) in cases {
        let answer = app.create_session(&with(field, value.clone())).await;
        assert_eq!(answer.status, 400, "{field}={value}: {}", answer.text);
        assert_eq!(answer.error_code(), code, "{field}={value}");
    }
    let numeric = app
        .create_session(&with("merchant_ref", json!(12345)))
        .await;
    let ignored_url = app.create_session(&with("return_url", json!(false))).await;
    let nul_lookup = app.status("order_id=ORDER%001").await;
    assert_eq!(numeric.status, 200, "{}", numeric.text);
    assert_eq!(numeric.json()["order_id"], "12345");
    assert_eq!(
        ignored_url.status, 200,
        "return_url is ignored when unusable"
    );
    assert_eq!(nul_lookup.status, 404, "{}", nul_lookup.text);
    app.stop().await;
}

#[actix_web::test]
async fn the_documents_examples_create_a_session_for_a_sandbox_merchant() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let doc = app.get("/openapi.json").await.json();
    let schemas = &doc["components"]["schemas"];
    let request = &schemas["CreateSessionRequest"]["properties"];
    let example_of = |property: &Value| -> Option<Value> {
        let own = property.get("example").cloned().or_else(|| {
            property["examples"]
                .as_array()
                .and_then(|e| e.first().cloned())
        });
        own.or_else(|| {
            let name = property["$ref"].as_str()?.rsplit('/').next()?;
            schemas[name]["examples"].as_array()?.first().cloned()
        })
    };
    let body: serde_json::Map<String, Value> = request
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(name, property)| Some((name.clone(), example_of(property)?)))
        .collect();
    assert_eq!(body["domain"], "shop.example");
    assert_eq!(
        request["domain"]["pattern"],
        kassa::api::field_schemas::DOMAIN_PATTERN,
        "the attribute on the body and the pattern the properties test are one"
    );

    let created = app.create_session(&Value::Object(body.clone())).await;

    assert_eq!(created.status, 200, "{body:?}: {}", created.text);
    let id = created.json()["session_id"].as_i64().unwrap();
    assert_eq!(app.status(&format!("session_id={id}")).await.status, 200);
    let links = &doc["paths"]["/gateway/session.php"]["post"]["responses"]["200"]["links"];
    assert_eq!(links["StatusBySessionId"]["operationId"], "session_status");
    app.stop().await;
}

#[test]
fn ci_installs_the_schemathesis_release_this_suite_was_written_for() {
    let ci = include_str!("../.ci/run");
    assert!(ci.contains(&format!("schemathesis=={SCHEMATHESIS}")));
    assert!(
        !require_all() || schemathesis().is_some(),
        "schemathesis missing under KASSA_TEST_REQUIRE_ALL=1"
    );
}
