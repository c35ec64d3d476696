//! `kassa backup` takes a consistent copy while the server runs under load;
//! `kassa restore` refuses while a server holds the folder, refuses a file
//! that is not a Kassa database, and otherwise puts the backup in place of
//! the database (stale write-ahead log and all) so that a server started on
//! it has every session acknowledged before the backup began.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::helpers::{TestMerchant, stderr, stdout};
use crate::single_node::{Node, cli, integrity_check, sqlite_with_merchant};

/// An acknowledged create: the session id, its reference, and when the
/// request was sent and answered.
#[derive(Debug, Clone)]
struct Ack {
    id: i64,
    reference: String,
    sent: Instant,
    answered: Instant,
}

/// Creates sessions from `workers` concurrent loops until `stop` is set.
fn load(
    node: &Arc<Node>,
    merchant: &TestMerchant,
    workers: usize,
    stop: &Arc<AtomicBool>,
) -> (Arc<Mutex<Vec<Ack>>>, Vec<tokio::task::JoinHandle<()>>) {
    let acks = Arc::new(Mutex::new(Vec::new()));
    let next = Arc::new(AtomicU64::new(0));
    let tasks = (0..workers)
        .map(|_| {
            let (node, merchant, stop) = (node.clone(), merchant.clone(), stop.clone());
            let (acks, next) = (acks.clone(), next.clone());
            actix_web::rt::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    let reference = format!("load-{}", next.fetch_add(1, Ordering::SeqCst));
                    let sent = Instant::now();
                    let answer = node.try_create(&merchant, &reference).await;
                    let answered = Instant::now();
                    let answer = answer.expect("the server answers every create");
                    assert_eq!(answer.status, 200, "{}", answer.text);
                    let id = answer.json()["session_id"].as_i64().unwrap();
                    acks.lock().await.push(Ack {
                        id,
                        reference,
                        sent,
                        answered,
                    });
                }
            })
        })
        .collect();
    (acks, tasks)
}

#[actix_rt::test]
async fn a_backup_taken_under_load_restores_every_session_acknowledged_before_it_began() {
    // Arrange: a server under a steady load of creates.
    let (db, merchant) = sqlite_with_merchant().await;
    let data = tempfile::tempdir().unwrap();
    let node = Arc::new(Node::start(&db.url, data.path(), data.path()).await);
    let stop = Arc::new(AtomicBool::new(false));
    let (acks, tasks) = load(&node, &merchant, 6, &stop);
    let deadline = Instant::now() + Duration::from_secs(60);
    while acks.lock().await.len() < 60 {
        assert!(Instant::now() < deadline, "the load never got going");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Act: back up while the load runs.
    let backup = data.path().join("backups").join("kassa-backup.sqlite3");
    std::fs::create_dir_all(backup.parent().unwrap()).unwrap();
    let backup_began = Instant::now();
    let out = cli(&db.url, data.path(), &["backup", backup.to_str().unwrap()]).await;
    let backup_ended = Instant::now();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("written to"), "{}", stdout(&out));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&backup).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the backup is readable by its owner only"
        );
    }
    // Keep the load going a little past the backup, then stop it.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::SeqCst);
    for task in tasks {
        task.await.unwrap();
    }
    let acks = acks.lock().await.clone();
    let before: Vec<Ack> = acks
        .iter()
        .filter(|a| a.answered < backup_began)
        .cloned()
        .collect();
    let after: Vec<Ack> = acks
        .iter()
        .filter(|a| a.sent > backup_ended)
        .cloned()
        .collect();
    assert!(before.len() >= 60 && !after.is_empty(), "{acks:?}");
    println!(
        "backup under load took {:?}; {} creates acknowledged before it, {} during, {} after",
        backup_ended - backup_began,
        before.len(),
        acks.len() - before.len() - after.len(),
        after.len()
    );

    // A second backup never overwrites the first.
    let again = cli(&db.url, data.path(), &["backup", backup.to_str().unwrap()]).await;
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );

    // Restore refuses while the server holds the folder.
    let refused = cli(&db.url, data.path(), &["restore", backup.to_str().unwrap()]).await;
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("refusing to restore")
            && stderr(&refused).contains("stop it first"),
        "{}",
        stderr(&refused)
    );

    // The server dies hard, leaving its write-ahead log behind; restore.
    let mut node = Arc::into_inner(node).expect("the load has stopped");
    node.kill();
    let restored = cli(&db.url, data.path(), &["restore", backup.to_str().unwrap()]).await;
    assert!(restored.status.success(), "{}", stderr(&restored));
    assert!(
        stdout(&restored).contains("restored"),
        "{}",
        stdout(&restored)
    );

    // Assert: a server on the restored folder has every session acknowledged
    // before the backup began, none created after it ended, and the file is sound.
    let node = Node::start(&db.url, data.path(), data.path()).await;
    let expected: Vec<(i64, String)> = before.iter().map(|a| (a.id, a.reference.clone())).collect();
    node.assert_sessions_exist(&merchant, &expected).await;
    for ack in &after {
        let answer = node.status(&merchant, ack.id).await;
        assert_eq!(
            answer.status, 404,
            "session {} was created after the backup ended: {}",
            ack.id, answer.text
        );
    }
    assert_eq!(integrity_check(&db.url).await, ["ok"]);
    assert_eq!(
        node.try_create(&merchant, "after-restore")
            .await
            .unwrap()
            .status,
        200
    );
}

#[actix_rt::test]
async fn restore_refuses_a_file_that_is_not_a_kassa_database_and_leaves_the_database_alone() {
    let (db, merchant) = sqlite_with_merchant().await;
    let data = tempfile::tempdir().unwrap();
    let junk = data.path().join("junk.sqlite3");
    std::fs::write(&junk, b"this is not a database, just some text").unwrap();
    let other = data.path().join("other.sqlite3");
    let other_url = format!("sqlite://{}", other.display());
    {
        use sea_orm::ConnectionTrait;
        let conn = sea_orm::Database::connect(format!("{other_url}?mode=rwc"))
            .await
            .unwrap();
        conn.execute_unprepared("CREATE TABLE notes (body TEXT)")
            .await
            .unwrap();
        conn.close().await.unwrap();
    }

    for (file, why) in [
        (&junk, "not a SQLite database"),
        (&other, "no Kassa migrations table"),
        (&data.path().join("missing.sqlite3"), "no such file"),
    ] {
        let out = cli(&db.url, data.path(), &["restore", file.to_str().unwrap()]).await;
        assert!(!out.status.success(), "{}", stdout(&out));
        assert!(
            stderr(&out).contains("is not a Kassa backup") && stderr(&out).contains(why),
            "{}",
            stderr(&out)
        );
    }

    // The database is untouched: a server starts on it with its merchant.
    let node = Node::start(&db.url, data.path(), data.path()).await;
    assert_eq!(
        node.try_create(&merchant, "still-fine")
            .await
            .unwrap()
            .status,
        200
    );
}

#[actix_rt::test]
async fn restore_into_an_empty_folder_makes_a_database_a_server_starts_on() {
    let (db, merchant) = sqlite_with_merchant().await;
    let data = tempfile::tempdir().unwrap();
    let backup = data.path().join("copy.sqlite3");
    let out = cli(&db.url, data.path(), &["backup", backup.to_str().unwrap()]).await;
    assert!(out.status.success(), "{}", stderr(&out));

    let fresh = tempfile::tempdir().unwrap();
    let fresh_url = format!(
        "sqlite://{}",
        fresh.path().join("db").join("kassa.sqlite3").display()
    );
    let out = cli(
        &fresh_url,
        fresh.path(),
        &["restore", backup.to_str().unwrap()],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));

    let node = Node::start(&fresh_url, fresh.path(), fresh.path()).await;
    assert_eq!(
        node.try_create(&merchant, "restored-merchant")
            .await
            .unwrap()
            .status,
        200
    );
}

#[actix_rt::test]
async fn on_postgresql_backup_and_restore_print_the_commands_without_the_password() {
    let data = tempfile::tempdir().unwrap();
    let url = "postgres://kassa:s3cret-pw@db.internal:6543/shop";

    let out = cli(url, data.path(), &["backup", "/backups/kassa.dump"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains(
            "pg_dump --host=db.internal --port=6543 --username=kassa --dbname=shop --format=custom --file=/backups/kassa.dump"
        ),
        "{text}"
    );
    assert!(!text.contains("s3cret"), "{text}");

    let out = cli(url, data.path(), &["restore", "/backups/kassa.dump"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("pg_restore") && text.contains("--dbname=shop") && !text.contains("s3cret"),
        "{text}"
    );
}
