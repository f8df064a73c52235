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

/// One shipped policy, compiled, with the evaluation time [`AT`] read in its calendar.
pub fn shipped_policy(name: &str) -> Option<(pol::Policy, Option<i64>)> {
    let (_, source) = shipped_policies().into_iter().find(|(n, _)| n == name)?;
    let policy = compile(&source, name);
    let at = policy.parse_at(AT);
    Some((policy, at))
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

/// The 60 complete `dm_verification` cases (every fact given, about 450 bytes each)
/// that `peers/` picks and checks against Cedar, CEL and ZEN.
pub fn complete_cases() -> Vec<String> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/dm_verification_complete.jsonl");
    std::fs::read_to_string(path)
        .map(|t| {
            t.lines()
                .filter(|l| !l.trim().is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default()
}

/// A `dm_verification` case as a typed struct: what serde alone does with the same
/// text, the floor for reading a case.
pub mod typed {
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum SumberCp {
        Contact,
        Indri,
        Rekomendasi,
        DariPelanggan,
    }

    #[derive(Debug, Deserialize)]
    pub enum Peran {
        #[serde(rename = "nama_fastel")]
        Fastel,
        #[serde(rename = "nama_payment")]
        Payment,
        #[serde(rename = "nama_cp_verified")]
        CpVerified,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum Relasi {
        SuamiIstri,
        OrangTua,
        Anak,
        Pimpinan,
        Karyawan,
        #[serde(rename = "relasi_lain")]
        Lain,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum PernyataanPj {
        TidakAda,
        DiAwal,
        SaatDitanya,
    }

    #[derive(Debug, Deserialize)]
    pub struct Case {
        pub sumber_cp: SumberCp,
        pub status_verified: bool,
        pub nomor_cp: String,
        pub nomor_dihubungi: String,
        pub peran_penerima: Vec<Peran>,
        pub relasi_penerima: Relasi,
        pub cp_verified_atas_nama_payment: bool,
        pub pernyataan_pj: PernyataanPj,
        pub jumlah_konfirmasi: i64,
        pub bayar_bersama: bool,
        pub jawaban_verifikasi_benar: bool,
        pub penggunaan_kantor: bool,
        pub penerima_staf_kantor: bool,
        pub dispen_sudah_pernah: bool,
        pub minta_fastel_lain: bool,
        pub cp_fastel_lain_sama: bool,
    }
}
