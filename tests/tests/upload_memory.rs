//! Memory of register uploads (issue 11): the probe found each 200,000-row upload or dry run to an
//! authority with 800,000 files adding 0.6–0.9 GB of RSS on SQLite, never given back. Here 20
//! uploads in a row (four registers in turn, new contents each time, plus dry runs) must leave the
//! server's memory within 1.5 times what it held after the first. A test binary of its own: the
//! server runs in this process, and nothing else does, so the process's RSS is the server's.

use affianca_domain::Role;
use affianca_tests::spawn_app;
use reqwest::Method;

const HEADER: &str = "codice_pratica;procedimento;data_avvio;termine_giorni;data_conclusione;data_silenzio_assenso;conferenza_servizi;giorni_sospensione\n";

fn register(prefix: &str, seed: usize, n: usize) -> String {
    let procedures = ["PDC", "SCIA", "CILA", "AUA", "VIA_PAUR", "PAESAGGISTICA"];
    let mut out = String::with_capacity(n * 60);
    out.push_str(HEADER);
    for i in 0..n {
        let start = chrono::NaiveDate::from_ymd_opt(2021, 1, 4).unwrap()
            + chrono::Duration::days(((i * 13 + seed * 7) % 1700) as i64);
        let decision = (!(i + seed).is_multiple_of(3))
            .then(|| start + chrono::Duration::days(((i + seed) % 150) as i64));
        out.push_str(&format!(
            "{prefix}{i:07};{};{start};;{};;;\n",
            procedures[(i + seed) % procedures.len()],
            decision.map(|d| d.to_string()).unwrap_or_default()
        ));
    }
    out
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test]
async fn twenty_uploads_in_a_row_give_their_memory_back() {
    if !std::path::Path::new("/proc/self/status").exists() {
        return;
    }
    let app = spawn_app().await;
    let sec = app.token_for(Role::Secretariat).await;
    let rows = 30_000;
    let mut after = Vec::new();
    for i in 0..20 {
        let body = register(&format!("M{}-", i % 4), i, rows);
        let dry_run = i % 5 == 4;
        let res = app
            .request(
                Method::POST,
                &format!("/api/v1/authorities/016024/register?dry_run={dry_run}"),
                Some(&sec),
            )
            .header("Content-Type", "text/csv")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, 200, "upload {i}: {text}");
        after.push(rss_kb());
    }
    let (first, last) = (after[0], after[19]);
    assert!(first > 0);
    assert!(
        last * 2 <= first * 3,
        "RSS after each upload (kB): {after:?}: the last is more than 1.5 × the first"
    );
}
