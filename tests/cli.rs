//! The `kassa` command line, run as a real process against the same database
//! as a running server.

use serde_json::{Value, json};

use crate::helpers::{Backend, TestDb, order, spawn_on};

pub(crate) use crate::helpers::{kassa, kassa_with_stdin, stderr, stdout};

#[actix_web::test]
async fn merchant_create_prints_a_working_key_once_and_list_shows_the_merchant() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let url = db.url.clone();
    let app = spawn_on(db, |_| {}).await;
    let env = [("KASSA_DATABASE_URL", url.as_str()), ("KASSA_LOG", "error")];

    let created = kassa(
        &[
            "merchant",
            "create",
            "--email",
            "ops@cli-shop.example",
            "--domain",
            "cli-shop.example",
            "--domain",
            "www.second.example",
            "--payout-wallet",
            "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            "--package",
            "pro",
            "--checkout-mode",
            "smart_router",
            "--country",
            "nl",
            "--crypto",
            "off",
            "--json",
        ],
        &env,
    )
    .await;

    assert!(created.status.success(), "{}", stderr(&created));
    let out: Value = serde_json::from_str(stdout(&created).trim()).unwrap();
    let key = out["api_key"].as_str().unwrap().to_string();
    assert!(out["merchant_id"].is_i64());
    assert!(
        out["webhook_secret"]
            .as_str()
            .unwrap()
            .starts_with("whsec_")
    );
    let mut body = order("CLI_1");
    body["domain"] = json!("second.example");
    let answer = app.create_session_as(&key, &body).await;
    assert_eq!(answer.status, 200, "the printed key works: {}", answer.text);

    let listed = kassa(&["merchant", "list", "--json"], &env).await;
    let list: Value = serde_json::from_str(stdout(&listed).trim()).unwrap();
    let row = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["merchant_id"] == out["merchant_id"])
        .unwrap();
    assert_eq!(row["country"], json!("NL"));
    assert_eq!(row["crypto_enabled"], json!(false));
    assert_eq!(
        row["domains"],
        json!(["cli-shop.example", "second.example"])
    );
    assert!(
        !stdout(&listed).contains(&key),
        "the key is shown only once"
    );

    let id = out["merchant_id"].to_string();
    let updated = kassa(&["merchant", "update", "--id", &id, "--disable"], &env).await;
    assert!(updated.status.success(), "{}", stderr(&updated));
    app.stop().await;
}

#[actix_web::test]
async fn merchant_create_refuses_a_bad_wallet_naming_the_flag() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let env = [("KASSA_DATABASE_URL", db.url.as_str())];
    let out = kassa(
        &[
            "merchant",
            "create",
            "--email",
            "a@b.example",
            "--domain",
            "b.example",
            "--payout-wallet",
            "0x123",
        ],
        &env,
    )
    .await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--payout-wallet"), "{}", stderr(&out));
}

#[actix_web::test]
async fn sandbox_pay_from_the_cli_pays_through_the_running_server() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let app = spawn_on(db, |_| {}).await;
    let id = app.new_session("CLI_PAY").await;

    let paid = kassa(
        &["sandbox", "pay", &id.to_string(), "--simulate", "overpaid"],
        &[("KASSA_PUBLIC_URL", &app.base)],
    )
    .await;

    assert!(paid.status.success(), "{}", stderr(&paid));
    assert_eq!(app.session_status(id).await, "paid");
    app.stop().await;
}

#[actix_web::test]
async fn sandbox_pay_says_clearly_when_no_server_is_running() {
    let out = kassa(&["sandbox", "pay", "123"], &[("KASSA_BIND", "127.0.0.1:9")]).await;
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no Kassa server is running"),
        "{}",
        stderr(&out)
    );
}

#[actix_web::test]
async fn bad_configuration_fails_at_start_naming_the_setting() {
    let out = kassa(&["migrate"], &[("KASSA_BIND", "not-an-address")]).await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("KASSA_BIND"), "{}", stderr(&out));
    let out = kassa(&["migrate"], &[("KASSA_MODE", "production")]).await;
    assert!(stderr(&out).contains("KASSA_MODE"), "{}", stderr(&out));
}

#[actix_web::test]
async fn merchant_create_and_update_refuse_an_email_another_merchant_has_whatever_its_case() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let env = [
        ("KASSA_DATABASE_URL", db.url.as_str()),
        ("KASSA_LOG", "error"),
    ];
    let create = |email: &'static str| async move {
        kassa(
            &[
                "merchant",
                "create",
                "--email",
                email,
                "--domain",
                "taken.example",
                "--payout-wallet",
                "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
            ],
            &env,
        )
        .await
    };
    let first = create("Ops@Taken.example").await;
    assert!(first.status.success(), "{}", stderr(&first));

    let second = create("ops@taken.EXAMPLE").await;

    assert!(!second.status.success());
    assert!(
        stderr(&second).contains("`ops@taken.example` is already the address of another merchant"),
        "{}",
        stderr(&second)
    );

    let other = create("other@taken.example").await;
    assert!(other.status.success(), "{}", stderr(&other));
    let moved = kassa(
        &[
            "merchant",
            "update",
            "--id",
            "2",
            "--email",
            "OPS@taken.example",
        ],
        &env,
    )
    .await;
    assert!(!moved.status.success());
    assert!(
        stderr(&moved).contains("`ops@taken.example` is already the address of another merchant"),
        "{}",
        stderr(&moved)
    );
    let own = kassa(
        &[
            "merchant",
            "update",
            "--id",
            "2",
            "--email",
            "Other@Taken.example",
        ],
        &env,
    )
    .await;
    assert!(own.status.success(), "its own address: {}", stderr(&own));
}

#[actix_web::test]
async fn merchant_set_password_reads_stdin_stores_a_hash_that_verifies_and_never_prints_it() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let url = db.url.clone();
    let app = spawn_on(db, |_| {}).await;
    let env = [("KASSA_DATABASE_URL", url.as_str()), ("KASSA_LOG", "error")];
    let id = app.merchant.id.to_string();

    let set = kassa_with_stdin(
        &["merchant", "set-password", "--id", &id],
        &env,
        "a long enough secret\n",
    )
    .await;

    assert!(set.status.success(), "{}", stderr(&set));
    assert!(stdout(&set).contains("password set"), "{}", stdout(&set));
    assert!(!stdout(&set).contains("a long enough secret"));
    assert!(!stderr(&set).contains("a long enough secret"));
    let check = |p: &str| {
        kassa::app::merchants::check_password(
            &app.store,
            app.merchant.id,
            secrecy::SecretString::from(p.to_string()),
        )
    };
    assert!(check("a long enough secret").await.unwrap());
    assert!(!check("a long enough secret\n").await.unwrap());
    assert!(!check("another long secret").await.unwrap());
    app.stop().await;
}

#[actix_web::test]
async fn merchant_set_password_refuses_a_short_password_and_keeps_the_old_one() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let url = db.url.clone();
    let app = spawn_on(db, |_| {}).await;
    let env = [("KASSA_DATABASE_URL", url.as_str()), ("KASSA_LOG", "error")];
    let id = app.merchant.id.to_string();
    let args = [
        "merchant",
        "set-password",
        "--id",
        id.as_str(),
        "--password-stdin",
    ];
    let first = kassa_with_stdin(&args, &env, "the first good password\r\n").await;
    assert!(first.status.success(), "{}", stderr(&first));

    let short = kassa_with_stdin(&args, &env, "short\n").await;

    assert!(!short.status.success());
    assert!(
        stderr(&short).contains("too short: at least 12 characters"),
        "{}",
        stderr(&short)
    );
    let kept = kassa::app::merchants::check_password(
        &app.store,
        app.merchant.id,
        secrecy::SecretString::from("the first good password".to_string()),
    )
    .await
    .unwrap();
    assert!(kept, "the old password still works");
    let nobody = kassa_with_stdin(
        &["merchant", "set-password", "--id", "999999"],
        &env,
        "a long enough secret\n",
    )
    .await;
    assert!(!nobody.status.success());
    assert!(
        stderr(&nobody).contains("no merchant with id 999999"),
        "{}",
        stderr(&nobody)
    );
    app.stop().await;
}

#[actix_web::test]
async fn the_first_sandbox_start_prints_and_saves_a_demo_login_whose_password_verifies() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let data = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_kassa"))
        .arg("serve")
        .env("KASSA_BIND", format!("127.0.0.1:{port}"))
        .env("KASSA_DATABASE_URL", &db.url)
        .env("KASSA_DATA_DIR", data.path())
        .env("KASSA_SECRETS_KEY_FILE", crate::helpers::TEST_SECRETS_KEY)
        .env("KASSA_LOG", "error")
        .env_remove("KASSA_TEST_POSTGRES_URL")
        .env_remove("KASSA_TEST_REQUIRE_ALL")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read the first-start banner up to its last line, then stop the server.
    let out = server.stdout.take().unwrap();
    let reading = actix_web::rt::task::spawn_blocking(move || {
        use std::io::BufRead;
        let mut printed = String::new();
        for line in std::io::BufReader::new(out).lines() {
            let line = line.unwrap();
            printed.push_str(&line);
            printed.push('\n');
            if line.contains("password:") {
                break;
            }
        }
        printed
    });
    let printed = tokio::time::timeout(std::time::Duration::from_secs(60), reading)
        .await
        .expect("the first start prints the demo merchant")
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    let file = data.path().join("demo-merchant.json");

    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let password = saved["password"].as_str().unwrap().to_string();
    assert_eq!(saved["email"], json!("demo@shop.example"));
    assert_eq!(password.chars().count(), 20, "{password}");
    assert!(
        printed.contains("login e-mail:   demo@shop.example"),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("password:       {password}")),
        "{printed}"
    );
    let app = spawn_on(db, |_| {}).await;
    let id = saved["merchant_id"].as_i64().unwrap();
    let check = |p: String| {
        kassa::app::merchants::check_password(&app.store, id, secrecy::SecretString::from(p))
    };
    assert!(check(password.clone()).await.unwrap());
    assert!(!check(format!("{password}x")).await.unwrap());
    app.stop().await;
}
