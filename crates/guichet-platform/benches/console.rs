//! The operator's console over a platform holding 1 million redemptions (issue 24): the
//! dashboard, this month's report and the review list, each asked through the real server on
//! loopback by a logged-in admin, one request at a time; beside them, the store's own queries
//! of each page run alone (no HTTP, no HTML). p50, p99 and max per page, on SQLite and, where
//! installed, PostgreSQL. The goal: every page ≤ 200 ms at p99.
//!
//! The redemptions are written by bulk SQL, not through the API (pushing a million signed
//! entries would take most of an hour): three real redemptions pushed by kiosks (accepted, in
//! conflict with it, held) are the templates, copied a million times with their id, serial,
//! days, order and version changed. They spread over the last 12 months (about 83,000 in the
//! current one, dated on its first 28 days); one in 20,000 is held, one in 20,000 in conflict
//! (100 waiting for review). SQLite gets no ANALYZE (the platform never runs one);
//! PostgreSQL gets the VACUUM (ANALYZE) its autovacuum would run after such an insert.
//!
//! `cargo bench -p guichet-platform --bench console` (results: docs/platform-benchmarks.md).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "../tests/console_client/mod.rs"]
mod console_client;

use std::time::{Duration, Instant};

use common::{Backend, TestPlatform};
use console_client::{create_account, Browser};
use guichet_console::model::Role;
use guichet_platform::db::{Backend as Dialect, Db, Mode, Schema};
use guichet_protocol::{EntryState, PushResponse};
use jiff::Timestamp;

/// Redemptions written.
const REDEMPTIONS: i64 = 1_000_000;
/// One in this many is held, one in this many in conflict.
const ONE_IN: i64 = 20_000;
/// Serials of the copies start here (far beyond the minted ones).
const SERIAL_BASE: i64 = 1_000_000_000;
/// Requests (and query runs) measured per page, after a few not measured.
const RUNS: usize = 100;
const WARM_UP: usize = 5;

/// The ids of the three template redemptions.
struct Templates {
    accepted: String,
    conflict: String,
    held: String,
}

/// Pushes the three templates through kiosks, as the tests do.
async fn templates(platform: &TestPlatform) -> Templates {
    let now = Timestamp::now();
    let mut c1 = platform.kiosk("C1").await;
    let first = c1.redemption_of(&platform.minter.code(1), now, |_| {});
    let pushed: PushResponse = c1.push(&[first]).await.json().await.unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Accepted);
    let accepted = pushed.results[0].id.to_string();
    let mut c2 = platform.kiosk("C2").await;
    let future: Timestamp = "2099-06-01T10:00:00Z".parse().unwrap();
    let entries = [
        c2.redemption_of(&platform.minter.code(1), now, |_| {}),
        c2.redemption_of(&platform.minter.code(2), future, |_| {}),
    ];
    let pushed: PushResponse = c2.push(&entries).await.json().await.unwrap();
    assert_eq!(pushed.results[0].state, EntryState::Conflict);
    assert_eq!(pushed.results[1].state, EntryState::Held);
    Templates {
        accepted,
        conflict: pushed.results[0].id.to_string(),
        held: pushed.results[1].id.to_string(),
    }
}

/// The SQL of the copies of one template: the rows `i` in 1..=REDEMPTIONS that `filter`
/// keeps, `serial` their serial, `conflict` their conflict column.
fn copy_sql(
    dialect: Dialect,
    columns: &[String],
    template: &str,
    filter: &str,
    serial: &str,
    conflict: &str,
) -> String {
    let (numbers, day, uuid, hex64, epoch) = match dialect {
        Dialect::Sqlite => (
            format!("n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {REDEMPTIONS})"),
            "date($1, printf('-%d months', i % 12), printf('+%d days', (i / 12) % 28))".to_owned(),
            "printf('%08x-0000-7000-8000-%012x', {i}, {i})".to_owned(),
            "printf('%064x', i)".to_owned(),
            "unixepoch(day)".to_owned(),
        ),
        Dialect::Postgres => (
            format!("n(i) AS (SELECT generate_series(1, {REDEMPTIONS}::bigint))"),
            "((CAST($1 AS date) - make_interval(months => CAST(i % 12 AS int)))::date \
             + CAST((i / 12) % 28 AS int))::text"
                .to_owned(),
            "lpad(to_hex({i}), 8, '0') || '-0000-7000-8000-' || lpad(to_hex({i}), 12, '0')"
                .to_owned(),
            "lpad(to_hex(i), 64, '0')".to_owned(),
            "CAST(extract(epoch FROM CAST(day AS date)) AS bigint)".to_owned(),
        ),
    };
    let with = if dialect == Dialect::Sqlite {
        "WITH RECURSIVE"
    } else {
        "WITH"
    };
    let exprs: Vec<String> = columns
        .iter()
        .map(|column| match column.as_str() {
            "id" => uuid.replace("{i}", "i"),
            "serial" => serial.to_owned(),
            "hash" => hex64.clone(),
            "conflict" => conflict.replace("{uuid_prev}", &uuid.replace("{i}", "(i - 1)")),
            "occurred_at" => "day || 'T09:30:00Z'".to_owned(),
            "received_at" => "day || 'T09:31:00Z'".to_owned(),
            "occurred_us" => format!("({epoch} + 34200) * 1000000"),
            "received_us" => format!("({epoch} + 34260) * 1000000"),
            "local_day" | "report_day" => "day".to_owned(),
            "received_order" | "version" => "i + 1000".to_owned(),
            other => format!("t.{other}"),
        })
        .collect();
    format!(
        "{with} {numbers}, d AS (SELECT i, {day} AS day FROM n) \
         INSERT INTO entries ({}) SELECT {} FROM d, entries t WHERE t.id = '{template}' AND {filter}",
        columns.join(", "),
        exprs.join(", ")
    )
}

/// Writes the million copies; how long it took.
async fn fill(location: &str, templates: &Templates) -> Duration {
    let (db, _) = Db::open(location, None, Schema::Migrate).await.unwrap();
    let dialect = db.backend();
    let first = guichet_platform::clock::paris_day(Timestamp::now())
        .first_of_month()
        .to_string();
    let started = Instant::now();
    db.run(Mode::Write, async |tx| {
        let columns: Vec<String> = match dialect {
            Dialect::Sqlite => {
                tx.values(
                    "SELECT name FROM pragma_table_info('entries') ORDER BY cid",
                    &[],
                )
                .await?
            }
            Dialect::Postgres => {
                tx.values(
                    "SELECT CAST(column_name AS text) FROM information_schema.columns \
                     WHERE table_name = 'entries' AND table_schema = current_schema() \
                     ORDER BY ordinal_position",
                    &[],
                )
                .await?
            }
        };
        let base = format!("{SERIAL_BASE}");
        // A conflict names its holder (JSON): the copy's holder is the copy before it.
        let conflict = format!(
            "replace(t.conflict, '{}', {{uuid_prev}})",
            templates.accepted
        );
        for (template, filter, serial, conflict) in [
            (
                &templates.accepted,
                format!("i % {ONE_IN} <> 0 AND i % {ONE_IN} <> {}", ONE_IN / 2),
                format!("{base} + i"),
                "t.conflict",
            ),
            (
                &templates.conflict,
                format!("i % {ONE_IN} = {}", ONE_IN / 2),
                format!("{base} + i - 1"),
                conflict.as_str(),
            ),
            (
                &templates.held,
                format!("i % {ONE_IN} = 0"),
                format!("{base} + i"),
                "t.conflict",
            ),
        ] {
            let sql = copy_sql(dialect, &columns, template, &filter, &serial, conflict);
            tx.execute(&sql, &[first.as_str().into()]).await?;
        }
        Ok(())
    })
    .await
    .unwrap();
    if dialect == Dialect::Postgres {
        // As autovacuum does after a large insert: statistics, and the visibility map that
        // lets a covering index answer without reading the table.
        db.run(Mode::Autocommit, async |tx| {
            tx.execute("VACUUM (ANALYZE) entries", &[]).await.map(drop)
        })
        .await
        .unwrap();
    }
    started.elapsed()
}

/// p50, p99 and max of `samples`.
fn spread(mut samples: Vec<Duration>) -> [Duration; 3] {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 * q).ceil() as usize).saturating_sub(1)];
    [at(0.50), at(0.99), *samples.last().unwrap()]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

/// Times `RUNS` runs of `run` after `WARM_UP` others.
async fn timed<F: AsyncFnMut()>(mut run: F) -> [Duration; 3] {
    for _ in 0..WARM_UP {
        run().await;
    }
    let mut samples = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let started = Instant::now();
        run().await;
        samples.push(started.elapsed());
    }
    spread(samples)
}

async fn bench(backend: Backend, name: &str) {
    let Some(platform) = TestPlatform::start(backend).await else {
        println!("| {name} | not installed | | | | | |");
        return;
    };
    let templates = templates(&platform).await;
    let filled = fill(&platform.location, &templates).await;
    let store = platform.store.clone();
    let now = Timestamp::now();
    let today = guichet_platform::clock::paris_day(now);
    let (_, month) = store.accepted_redemptions(today).await.unwrap();
    let in_month: u64 = store
        .month_report(today)
        .await
        .unwrap()
        .reimbursements
        .iter()
        .map(|line| line.coupons)
        .sum();
    let waiting = store.health(now).await.unwrap().waiting.0;
    eprintln!(
        "{name}: {REDEMPTIONS} redemptions written in {:.1} s; {in_month} payable this month \
         ({month} up to today), {waiting} waiting for review",
        filled.as_secs_f64()
    );
    assert!(in_month > 80_000, "the current month holds its share");
    assert_eq!(waiting, 2 * (REDEMPTIONS / ONE_IN) as u64 + 2);

    let admin = create_account(&store, "bench", Role::Admin).await;
    let mut browser = Browser::new(&platform.server.url());
    browser.login(&admin).await;
    let report = format!("/console/reports?month={}", today.strftime("%Y-%m"));
    for (page, path) in [
        ("dashboard", "/console"),
        ("report of this month", report.as_str()),
        ("review list", "/console/review"),
    ] {
        let http = timed(async || {
            let answer = browser.get(path).await;
            assert_eq!(answer.status, 200, "{path}: {}", answer.body);
        })
        .await;
        let alone = match page {
            "dashboard" => {
                timed(async || {
                    store.health(Timestamp::now()).await.unwrap();
                    store.accepted_redemptions(today).await.unwrap();
                })
                .await
            }
            "report of this month" => {
                timed(async || {
                    store.month_report(today).await.unwrap();
                })
                .await
            }
            _ => {
                timed(async || {
                    let list = store
                        .review_list(&[EntryState::Held, EntryState::Conflict])
                        .await
                        .unwrap();
                    assert_eq!(list.len() as u64, waiting);
                })
                .await
            }
        };
        println!(
            "| {name} | {page} | {} | {} | {} | {} | {} |",
            ms(http[0]),
            ms(http[1]),
            ms(http[2]),
            ms(alone[0]),
            ms(alone[1]),
        );
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "Console pages over {REDEMPTIONS} redemptions, {} cores; {RUNS} requests each, one at a time",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!();
    println!(
        "| backend | page | p50 ms | p99 ms | max ms | its queries alone, p50 ms | alone, p99 ms |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|");
    runtime.block_on(async {
        bench(Backend::Sqlite, "SQLite").await;
        bench(Backend::Postgres, "PostgreSQL").await;
    });
}
