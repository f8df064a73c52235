//! Inputs shared by the benchmarks: the shipped policies and cases, generated policies.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The evaluation time used by every evaluation benchmark.
pub const AT: &str = "2025-05-02T10:00+07:00";

/// Every shipped policy: (file name, source), sorted by name.
pub fn shipped_policies() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "pol"));
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let name = p.file_stem()?.to_string_lossy().into_owned();
            let source = std::fs::read_to_string(&p).ok()?;
            Some((name, source))
        })
        .collect()
}

/// The shipped case records of one policy, compacted to one line each: (name, JSON).
pub fn shipped_cases(policy: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policies/cases")
        .join(policy);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "json"));
    files.sort();
    files
        .into_iter()
        .filter_map(|p| {
            let name = p.file_stem()?.to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).ok()?;
            let v: serde_json::Value = serde_json::from_str(&text).ok()?;
            Some((name, serde_json::to_string(&v).ok()?))
        })
        .collect()
}

/// Compiles a policy, panicking with its diagnostics when it has errors.
pub fn compile(source: &str, name: &str) -> pol::Policy {
    match pol::compile(source, name) {
        Ok(c) => c.policy,
        Err(d) => panic!("{name} does not compile: {d:?}"),
    }
}

/// A policy of `rules` rules over a handful of facts, as a policy owner would write it.
pub fn generated_policy(rules: usize) -> String {
    use std::fmt::Write;
    let actions = rules.div_ceil(10).max(1);
    let questions = rules.div_ceil(10).max(1);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "policy generated_{rules} {{\n  title \"Generated, {rules} rules\"\n  version \"1\"\n}}\n"
    );
    s.push_str(
        "enum Channel { phone \"Telepon\", email \"Email\", chat \"Chat\", shop \"Gerai\" }\n\n",
    );
    s.push_str(
        "case {\n  channel: Channel \"Kanal\" ask \"Lewat kanal apa?\"\n  count: int \"Jumlah kontak\" ask \"Sudah berapa kali menghubungi?\"\n  verified: bool \"Terverifikasi\" ask \"Apakah data sudah terverifikasi?\"\n  amount: decimal \"Nominal\" ask \"Berapa nominal tagihannya?\"\n  name: text \"Nama\" ask \"Dengan bapak/ibu siapa?\"\n}\n\n",
    );
    for q in 0..questions {
        let _ = writeln!(s, "question q{q} \"Pertanyaan nomor {q}?\"");
    }
    for a in 0..actions {
        let _ = writeln!(s, "action a{a} \"Tindakan nomor {a}\"");
    }
    s.push('\n');
    for i in 0..rules {
        let channels = match i % 3 {
            0 => "phone, chat",
            1 => "email",
            _ => "shop, phone",
        };
        let verdict = if i % 4 == 0 { "forbid" } else { "allow" };
        let _ = writeln!(
            s,
            "rule r{i}\n  quote \"Aturan nomor {i}: bila kanal dan jumlah kontak cocok, lakukan tindakan {a}\"\n  when count > {c} and channel in [{channels}] and (verified or amount >= {i}.50)\n  then {verdict} a{a}\n       ask q{q}\n",
            a = i % actions,
            q = i % questions,
            c = i % 17,
        );
    }
    s
}
