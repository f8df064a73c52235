//! `pol serve` through a real HTTP client: every endpoint, every error status,
//! the batch endpoint's order and completeness, the decision log.

mod common;

use common::server::{temp_dir, Server};
use serde_json::Value;
use std::io::{Read, Write};
use std::process::Command;
use std::time::Duration;

const CASE: &str = "policies/cases/dm_verification/penerima_lain_di_cp_verified.json";
const AT: &str = "2025-05-02T10:00+07:00";
const AT_QUERY: &str = "at=2025-05-02T10%3A00%2B07%3A00";

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// What `pol eval` prints for the same case and time.
fn cli_decision(policy: &str, case: &str, at: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(["eval", policy, "--case", case, "--at", at])
        .output()
        .unwrap();
    json(&String::from_utf8(out.stdout).unwrap())
}

fn cli_error(policy: &str, case_text: &str) -> Value {
    let out = common::pol_stdin(&["eval", policy, "--case", "-"], case_text);
    assert_eq!(out.status.code(), Some(2));
    json(&String::from_utf8(out.stdout).unwrap())
}

#[test]
fn evaluate_answers_the_readme_case_as_pol_eval_does() {
    let s = Server::start("policies", &[]);
    let case = std::fs::read(CASE).unwrap();
    let (status, id, body) = s.post(
        &format!("/v1/policies/dm_verification/evaluate?{AT_QUERY}"),
        &case,
    );
    assert_eq!(status, 200, "{body}");
    assert!(id.is_some_and(|i| !i.is_empty()));
    let expected = cli_decision("policies/dm_verification.pol", CASE, AT);
    assert_eq!(json(&body), expected);

    // The same with the time in the body.
    let envelope = format!(
        r#"{{"case": {}, "at": "{AT}"}}"#,
        String::from_utf8(case.clone()).unwrap()
    );
    let (status, _, body) = s.post("/v1/policies/dm_verification/evaluate", envelope.as_bytes());
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body), expected);

    // Without a time: now, echoed in the Decision.
    let (status, _, body) = s.post("/v1/policies/dm_verification/evaluate", &case);
    assert_eq!(status, 200);
    let at = json(&body)["at"].as_str().unwrap().to_string();
    assert!(at.starts_with("20") && at.ends_with('Z'), "{at}");
}

#[test]
fn listing_one_policy_and_its_case_schema() {
    let s = Server::start("policies", &[]);
    let (status, body) = s.get("/v1/policies");
    assert_eq!(status, 200);
    let list = json(&body);
    let ids: Vec<&str> = list["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "activation_complaint",
            "callback",
            "dm_verification",
            "inbound_offers",
            "offline_customer"
        ]
    );
    let (status, body) = s.get("/v1/policies/dm_verification");
    assert_eq!(status, 200);
    let one = json(&body);
    assert_eq!(one["load_status"], "loaded");
    assert_eq!(one["serving"]["policy_id"], "dm_verification");
    assert_eq!(one["serving"]["title"], "PJ dan CP");
    let hash = one["serving"]["content_hash"].as_str().unwrap();
    assert!(hash.starts_with("sha256:") && hash.len() == 7 + 64);
    assert_eq!(one["file_hash"], one["serving"]["content_hash"]);

    let (status, body) = s.get("/v1/policies/callback");
    assert_eq!(status, 200);
    let callback = json(&body);
    assert_eq!(callback["serving"]["valid_until"], "2025-06-30");

    let (status, body) = s.get("/v1/policies/dm_verification/schema");
    assert_eq!(status, 200);
    let out = Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(["schema", "policies/dm_verification.pol"])
        .output()
        .unwrap();
    assert_eq!(json(&body), json(&String::from_utf8(out.stdout).unwrap()));
}

#[test]
fn health_readiness_metrics_and_openapi() {
    let s = Server::start("policies", &[]);
    assert_eq!(s.get("/healthz"), (200, r#"{"status":"ok"}"#.to_string()));
    let (status, body) = s.get("/readyz");
    assert_eq!(status, 200);
    assert_eq!(json(&body)["policies"], 5);
    let case = std::fs::read(CASE).unwrap();
    for _ in 0..3 {
        s.post("/v1/policies/dm_verification/evaluate", &case);
    }
    s.post("/v1/policies/dm_verification/evaluate", b"{");
    let (status, metrics) = s.get("/metrics");
    assert_eq!(status, 200);
    assert!(metrics.contains(
        "pol_requests_total{route=\"evaluate\",policy=\"dm_verification\",status=\"200\"} 3"
    ));
    assert!(metrics.contains(
        "pol_requests_total{route=\"evaluate\",policy=\"dm_verification\",status=\"400\"} 1"
    ));
    assert!(metrics.contains("pol_evaluations_total{policy=\"dm_verification\"} 3"));
    assert!(metrics.contains("pol_evaluation_errors_total{policy=\"dm_verification\"} 1"));
    assert!(metrics.contains("pol_request_duration_seconds_count{route=\"evaluate\"} 4"));
    assert!(metrics.contains("pol_policies{status=\"loaded\"} 5"));
    let (status, body) = s.get("/openapi.json");
    assert_eq!(status, 200);
    let doc = json(&body);
    assert_eq!(doc["openapi"], "3.1.0");
}

#[test]
fn bad_input_gets_the_right_status_and_json() {
    let dir = temp_dir("errors");
    std::fs::copy(
        "policies/dm_verification.pol",
        dir.join("dm_verification.pol"),
    )
    .unwrap();
    std::fs::write(dir.join("broken.pol"), "policy broken {\n  title \"B\"\n").unwrap();
    let s = Server::start(
        dir.to_str().unwrap(),
        &["--max-body-bytes", "20000", "--timeout-ms", "500"],
    );
    let eval = "/v1/policies/dm_verification/evaluate";

    // Malformed JSON and a case the schema refuses: 400, the same error JSON as `pol eval`.
    for bad in [
        r#"{"jumlah_konfirmasi": "#,
        r#"{"jumlah_konfirmasi": "dua"}"#,
        r#"{"no_such_fact": 1}"#,
        "[]",
    ] {
        let (status, _, body) = s.post(eval, bad.as_bytes());
        assert_eq!(status, 400, "{bad}: {body}");
        let mut got = json(&body);
        let mut want = cli_error("policies/dm_verification.pol", bad);
        got["error"]["file"] = Value::Null;
        want["error"]["file"] = Value::Null;
        assert_eq!(got, want, "{bad}");
    }
    let (status, _, body) = s.post(eval, b"\xff\xfe");
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (400, "E0601".into())
    );

    // A bad evaluation time.
    let (status, _, body) = s.post(&format!("{eval}?at=yesterday"), b"{}");
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (400, "bad_at".into())
    );
    let (status, _, body) = s.post(eval, br#"{"case": {}, "at": 5}"#);
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (400, "bad_request".into())
    );

    // Unknown policy, unknown route: 404.
    let (status, _, body) = s.post("/v1/policies/nope/evaluate", b"{}");
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (404, "policy_not_found".into())
    );
    let (status, body) = s.get("/v1/policies/nope");
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (404, "policy_not_found".into())
    );
    let (status, body) = s.get("/v2/whatever");
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (404, "not_found".into())
    );

    // A policy that never checked: listed with its diagnostics, 503 on evaluate.
    let (status, body) = s.get("/v1/policies/broken");
    assert_eq!(status, 200);
    let broken = json(&body);
    assert_eq!(broken["load_status"], "failed");
    assert_eq!(broken["serving"], Value::Null);
    assert_eq!(broken["diagnostics"][0]["severity"], "error");
    let (status, _, body) = s.post("/v1/policies/broken/evaluate", b"{}");
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (503, "policy_unavailable".into())
    );

    // A body over the limit: 413.
    let big = format!(r#"{{"nomor_cp": "{}"}}"#, "1".repeat(30_000));
    let (status, _, body) = s.post(eval, big.as_bytes());
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (413, "payload_too_large".into())
    );

    // A request that does not arrive in time: 503.
    let mut conn = std::net::TcpStream::connect(&s.addr).unwrap();
    write!(
        conn,
        "POST {eval} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{{"
    )
    .unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains(r#""code":"timeout""#), "{answer}");

    // The server is still answering.
    let (status, _, _) = s.post(eval, b"{}");
    assert_eq!(status, 200);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn readiness_fails_when_no_policy_checks() {
    let dir = temp_dir("unready");
    std::fs::write(dir.join("broken.pol"), "policy broken {").unwrap();
    let s = Server::start(dir.to_str().unwrap(), &[]);
    let (status, body) = s.get("/readyz");
    assert_eq!(
        (status, json(&body)["error"]["code"].clone()),
        (503, "not_ready".into())
    );
    assert_eq!(s.get("/healthz").0, 200);
    let _ = std::fs::remove_dir_all(dir);
}

/// The cases of the shipped case folders, one JSON object per line.
fn shipped_lines() -> Vec<String> {
    let mut lines = Vec::new();
    for e in std::fs::read_dir("policies/cases/dm_verification").unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        lines.push(json(&text).to_string());
    }
    lines.sort();
    lines
}

#[test]
fn batch_answers_every_line_in_order_with_bad_lines_mixed_in() {
    let s = Server::start("policies", &["--max-line-bytes", "4000"]);
    let good = shipped_lines();
    let bad = [
        "not json".to_string(),
        r#"{"no_such_fact": 1}"#.to_string(),
        String::new(),
        format!(r#"{{"nomor_cp": "{}"}}"#, "9".repeat(5000)),
    ];
    // A deterministic mix: 600 lines, about one in five bad.
    let mut input = String::new();
    let mut expected: Vec<Option<usize>> = Vec::new(); // Some(i): good[i]; None: an error
    let mut x: u64 = 7;
    for _ in 0..600 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (x >> 33) as usize;
        if r.is_multiple_of(5) {
            input.push_str(&bad[r / 5 % bad.len()]);
            expected.push(None);
        } else {
            input.push_str(&good[r % good.len()]);
            expected.push(Some(r % good.len()));
        }
        input.push_str(if r.is_multiple_of(7) { "\r\n" } else { "\n" });
    }
    let singles: Vec<Value> = good
        .iter()
        .map(|g| {
            let (status, _, body) = s.post(
                &format!("/v1/policies/dm_verification/evaluate?{AT_QUERY}"),
                g.as_bytes(),
            );
            assert_eq!(status, 200);
            json(&body)
        })
        .collect();
    let (status, id, body) = s.post(
        &format!("/v1/policies/dm_verification/evaluate:batch?{AT_QUERY}"),
        input.as_bytes(),
    );
    assert_eq!(status, 200);
    assert!(id.is_some());
    let out: Vec<&str> = body.lines().collect();
    assert_eq!(out.len(), expected.len(), "one output line per input line");
    for (n, (line, want)) in out.iter().zip(&expected).enumerate() {
        let got = json(line);
        match want {
            Some(i) => assert_eq!(&got, &singles[*i], "line {}", n + 1),
            None => {
                assert_eq!(got["line"], n as u64 + 1, "{line}");
                assert!(got["error"]["code"].is_string(), "{line}");
            }
        }
    }
    // A line over the limit is answered, and the ones after it too.
    let long = format!("{}\n{}\n", bad[3], good[0]);
    let (_, _, body) = s.post(
        "/v1/policies/dm_verification/evaluate:batch",
        long.as_bytes(),
    );
    let out: Vec<Value> = body.lines().map(json).collect();
    assert_eq!(out.len(), 2);
    assert_eq!(out[0]["error"]["code"], "line_too_long");
    assert_eq!(out[1]["policy"]["id"], "dm_verification");
    // No trailing newline: the last line still counts; an empty body has no lines.
    let (_, _, body) = s.post(
        "/v1/policies/dm_verification/evaluate:batch",
        good[0].as_bytes(),
    );
    assert_eq!(body.lines().count(), 1);
    let (status, _, body) = s.post("/v1/policies/dm_verification/evaluate:batch", b"");
    assert_eq!((status, body.as_str()), (200, ""));
}

#[test]
fn batch_over_the_size_limit_is_refused() {
    let s = Server::start("policies", &["--max-batch-bytes", "1000"]);
    let body = "{}\n".repeat(600);
    let (status, _, text) = s.post(
        "/v1/policies/dm_verification/evaluate:batch",
        body.as_bytes(),
    );
    assert_eq!(
        (status, json(&text)["error"]["code"].clone()),
        (413, "payload_too_large".into())
    );
}

#[test]
fn the_decision_log_has_one_line_per_decision() {
    let dir = temp_dir("log");
    let log = dir.join("decisions.jsonl");
    let s = Server::start("policies", &["--decision-log", log.to_str().unwrap()]);
    let case = std::fs::read(CASE).unwrap();
    let (_, id, decision) = s.post(
        &format!("/v1/policies/dm_verification/evaluate?{AT_QUERY}"),
        &case,
    );
    let id = id.unwrap();
    let batch = format!(
        "{}\nnot json\n{}\n",
        json(std::str::from_utf8(&case).unwrap()),
        "{}"
    );
    let (_, batch_id, _) = s.post(
        "/v1/policies/dm_verification/evaluate:batch",
        batch.as_bytes(),
    );
    let batch_id = batch_id.unwrap();
    s.post("/v1/policies/dm_verification/evaluate", b"{");
    let (_, listing) = s.get("/v1/policies/dm_verification");
    let hash = json(&listing)["serving"]["content_hash"].clone();
    // The writer is asynchronous: wait for the three decisions (the bad ones are not decisions).
    let mut lines = Vec::new();
    for _ in 0..200 {
        lines = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(json)
            .collect();
        if lines.len() >= 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert_eq!(lines.len(), 3, "{lines:?}");
    let first = &lines[0];
    assert_eq!(first["decision_id"], id.as_str());
    assert_eq!(first["policy"], "dm_verification");
    assert_eq!(first["content_hash"], hash);
    assert_eq!(first["decision"], json(&decision));
    // Facts marked `sensitive` are masked; the others are logged as given.
    let given = json(std::str::from_utf8(&case).unwrap());
    assert_eq!(given["nomor_cp"], "081200000021");
    assert_eq!(first["facts"]["nomor_cp"], "***");
    assert_eq!(first["facts"]["nomor_dihubungi"], "***");
    assert_eq!(first["facts"]["relasi_penerima"], given["relasi_penerima"]);
    assert_eq!(lines[1]["facts"]["nomor_cp"], "***");
    assert!(first["time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(lines[1]["decision_id"], format!("{batch_id}.1"));
    assert_eq!(lines[2]["decision_id"], format!("{batch_id}.3"));
    assert_eq!(lines[2]["facts"], json("{}"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn sigterm_lets_a_request_in_flight_finish() {
    let s = Server::start("policies", &[]);
    let case = std::fs::read_to_string(CASE).unwrap();
    let case = json(&case).to_string();
    let mut conn = std::net::TcpStream::connect(&s.addr).unwrap();
    write!(
        conn,
        "POST /v1/policies/dm_verification/evaluate HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        case.len()
    )
    .unwrap();
    let (head, tail) = case.split_at(10);
    conn.write_all(head.as_bytes()).unwrap();
    conn.flush().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let pid = s.pid();
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    assert!(s.wait_for_log("shutting down", Duration::from_secs(10)));
    conn.write_all(tail.as_bytes()).unwrap();
    let mut answer = String::new();
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let _ = conn.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"dm_verification\""));
    assert_eq!(s.terminate(), Some(0));
}

/// `--no-cache` neither reads nor writes the cache of checked policies; without it
/// the server stores every policy it checked (it loads them before it listens).
#[test]
fn no_cache_leaves_the_cache_of_checked_policies_alone() {
    let cache = temp_dir("no-cache");
    let dir = cache.to_str().unwrap();
    let entries = || std::fs::read_dir(&cache).unwrap().count();
    let s = Server::start_with_env(
        "policies",
        &["--no-cache"],
        &[("POL_CACHE_DIR", dir), ("POL_NO_CACHE", "")],
    );
    assert_eq!(json(&s.get("/readyz").1)["policies"], 5);
    drop(s);
    assert_eq!(entries(), 0);
    let s = Server::start_with_env(
        "policies",
        &[],
        &[("POL_CACHE_DIR", dir), ("POL_NO_CACHE", "")],
    );
    assert_eq!(json(&s.get("/readyz").1)["policies"], 5);
    drop(s);
    assert_eq!(entries(), 5);
    let _ = std::fs::remove_dir_all(&cache);
}
