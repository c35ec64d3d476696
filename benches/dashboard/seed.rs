//! The benchmark's sessions, written straight into the database: one
//! merchant's `n` sessions spread evenly over the last 365 days (60 % paid,
//! 25 % expired, 5 % each cancelled, underpaid and open), in multi-row
//! INSERTs of 1,000 rows inside one transaction.

use std::time::Instant;

use sea_orm::sqlx::{AssertSqlSafe, Connection, Executor, raw_sql};

const WALLET: &str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
const YEAR_MS: i64 = 365 * 86_400_000;
const BATCH: i64 = 1_000;

/// Session `i` of `n` (1-based; the higher, the newer): its id (a bijection
/// of `i`, so ids look random like real ones) and creation time.
pub fn session(i: i64, n: i64, now_ms: i64) -> (i64, i64) {
    let id = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15_u64 as i64)) & ((1 << 53) - 1);
    let created = now_ms - 60_000 - (n - i) * (YEAR_MS / n.max(1));
    (id, created)
}

fn status(i: i64) -> &'static str {
    match i % 20 {
        0..=11 => "paid",
        12..=16 => "expired",
        17 => "cancelled",
        18 => "underpaid",
        _ => "created",
    }
}

fn row(i: i64, n: i64, merchant: i64, now_ms: i64) -> String {
    let (id, at) = session(i, n, now_ms);
    let status = status(i);
    let (received, paid_at) = match status {
        "paid" => ("10800000".to_string(), (at + 60_000).to_string()),
        "underpaid" => ("5000000".to_string(), "NULL".to_string()),
        _ => ("0".to_string(), "NULL".to_string()),
    };
    format!(
        "({id},{merchant},{hd},'{WALLET}','ORD-{i}',1000,'EUR',10800000,{received},'{status}',1,1,\
         'shop.example','buyer{i}@example.com',TRUE,{at},{exp},{paid_at})",
        hd = 10_000_000 + i,
        exp = at + 3_600_000,
    )
}

/// Inserts the `n` sessions of `merchant` into the database at `url`.
pub async fn seed(url: &str, merchant: i64, n: i64, now_ms: i64) {
    let started = Instant::now();
    let head = "INSERT INTO sessions (id, merchant_id, hd_index, deposit_address, order_id, \
                amount_minor, currency, expected_usdc, received_usdc, status, version, \
                event_count, shop_domain, customer_email, test, created_at, expires_at, paid_at) \
                VALUES ";
    let statements = (0..(n + BATCH - 1) / BATCH).map(|b| {
        let rows: Vec<String> = (b * BATCH + 1..=((b + 1) * BATCH).min(n))
            .map(|i| row(i, n, merchant, now_ms))
            .collect();
        format!("{head}{}", rows.join(","))
    });
    if url.starts_with("sqlite") {
        let mut conn = sea_orm::sqlx::SqliteConnection::connect(url).await.unwrap();
        let mut txn = conn.begin().await.unwrap();
        for sql in statements {
            txn.execute(raw_sql(AssertSqlSafe(sql))).await.unwrap();
        }
        txn.commit().await.unwrap();
        // No ANALYZE: SQLite deployments rarely run it, so neither does this.
    } else {
        let mut conn = sea_orm::sqlx::PgConnection::connect(url).await.unwrap();
        let mut txn = conn.begin().await.unwrap();
        for sql in statements {
            txn.execute(raw_sql(AssertSqlSafe(sql))).await.unwrap();
        }
        txn.commit().await.unwrap();
        // What autovacuum does after this many new rows (PostgreSQL 13+
        // vacuums insert-only tables too), so index-only scans can skip the heap.
        conn.execute("VACUUM ANALYZE sessions").await.unwrap();
    }
    println!(
        "seeded {n} sessions in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}
