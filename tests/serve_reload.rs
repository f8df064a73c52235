//! Hot reload under load: the policy file is rewritten, broken, deleted and
//! re-created while clients keep asking. No request fails, every answer comes from
//! a version that checked, and the new version answers after the swap.

mod common;

use common::server::{agent, temp_dir, Server};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CASE: &str = "policies/cases/dm_verification/penerima_lain_di_cp_verified.json";

/// dm_verification with its version set to `v`.
fn version(source: &str, v: &str) -> String {
    let out = source.replacen("version  \"1.0\"", &format!("version  \"{v}\""), 1);
    assert!(
        out.contains(&format!("version  \"{v}\"")),
        "no version \"1.0\" in the header"
    );
    out
}

fn wait_for_version(s: &Server, v: &str) -> bool {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let (_, body) = s.get("/v1/policies/dm_verification");
        let j: serde_json::Value = serde_json::from_str(&body).unwrap();
        if j["serving"]["version"] == v {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn reload_under_load_never_fails_a_request() {
    let dir = temp_dir("reload");
    let file = dir.join("dm_verification.pol");
    let original = std::fs::read_to_string("policies/dm_verification.pol").unwrap();
    std::fs::write(&file, version(&original, "1.0")).unwrap();
    let s = Server::start(dir.to_str().unwrap(), &["--poll-seconds", "1"]);
    let url = s.url("/v1/policies/dm_verification/evaluate?at=2025-05-02");
    let case = std::fs::read(CASE).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..3)
        .map(|_| {
            let (url, case, stop) = (url.clone(), case.clone(), stop.clone());
            std::thread::spawn(move || {
                let agent = agent();
                let mut answers: Vec<(u16, String)> = Vec::new();
                // Bounded: at most 20,000 requests per client, and only while the edits go on.
                while !stop.load(Ordering::Relaxed) && answers.len() < 20_000 {
                    let mut r = agent
                        .post(&url)
                        .header("content-type", "application/json")
                        .send(&case[..])
                        .unwrap();
                    let status = r.status().as_u16();
                    let body = r.body_mut().read_to_string().unwrap();
                    let j: serde_json::Value =
                        serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
                    let v = j["policy"]["version"].as_str().unwrap_or("").to_string();
                    answers.push((status, if status == 200 { v } else { body }));
                }
                answers
            })
        })
        .collect();

    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&file, version(&original, "2.0")).unwrap();
    assert!(wait_for_version(&s, "2.0"), "version 2.0 was never served");
    // An edit that does not check: 2.0 keeps answering, the failure is listed.
    std::fs::write(&file, "policy dm_verification {\n  title \"oops\"\n").unwrap();
    assert!(s.wait_for_log("policy file has errors", Duration::from_secs(20)));
    let (_, body) = s.get("/v1/policies/dm_verification");
    let j: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(j["load_status"], "failed");
    assert_eq!(j["serving"]["version"], "2.0");
    std::thread::sleep(Duration::from_millis(200));
    std::fs::write(&file, version(&original, "3.0")).unwrap();
    assert!(wait_for_version(&s, "3.0"), "version 3.0 was never served");
    // Delete and re-create, as editors and deployments do.
    std::fs::remove_file(&file).unwrap();
    std::thread::sleep(Duration::from_millis(5));
    std::fs::write(&file, version(&original, "4.0")).unwrap();
    assert!(wait_for_version(&s, "4.0"), "version 4.0 was never served");
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);

    let mut total = 0;
    let mut seen = std::collections::BTreeSet::new();
    for c in clients {
        for (status, v) in c.join().unwrap() {
            assert_eq!(status, 200, "a request failed during a reload: {v}");
            assert!(["1.0", "2.0", "3.0", "4.0"].contains(&v.as_str()), "{v}");
            seen.insert(v);
            total += 1;
        }
    }
    assert!(total > 100, "only {total} requests were made");
    assert!(seen.contains("4.0"), "{seen:?}");
    let (_, metrics) = s.get("/metrics");
    assert!(metrics.contains("pol_reloads_total{policy=\"dm_verification\",result=\"failed\"}"));

    // A deleted file that stays deleted is no longer served.
    std::fs::remove_file(&file).unwrap();
    let start = Instant::now();
    let mut status = 200;
    while start.elapsed() < Duration::from_secs(20) && status != 404 {
        status = s.post("/v1/policies/dm_verification/evaluate", b"{}").0;
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(status, 404);
    let _ = std::fs::remove_dir_all(dir);
}
