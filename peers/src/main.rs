//! Compares pol with Cedar, CEL and ZEN on the covered part of
//! `policies/dm_verification.pol`: the same case texts, the same answers
//! (checked first), then the time each engine takes from the JSON text to the
//! answer. See ../README.md.

mod answer;
mod cases;
mod cedar_peer;
mod cel_peer;
mod zen_peer;

use answer::Answer;
use cases::{random_case, CaseRecord, Rng};
use cedar_peer::CedarPeer;
use cel_peer::CelPeer;
use std::collections::{BTreeSet, HashSet};
use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use zen_peer::ZenPeer;

const POLICY: &str = include_str!("../../policies/dm_verification.pol");
const POLICY_FILE: &str = "dm_verification.pol";
const AT: &str = "2025-05-02T10:00+07:00";
/// How many case texts are compared and timed.
const CASES: usize = 60;
/// How many random cases the texts are picked from.
const POOL: usize = 4000;
const SEED: u64 = 0x5eed_0d0c_2025;
/// Rules outside the covered part: the cases never make them fire.
const NOT_COVERED: [&str; 3] = [
    "nomor_kurang_1_angka_di_akhir",
    "nomor_lebih_1_angka_di_akhir",
    "nomor_kurang_1_angka_di_tengah",
];
const BATCHES: usize = 31;
const BATCH_TIME: Duration = Duration::from_micros(1000);

/// pol end to end: case JSON text → Decision JSON text (compact) in `out`.
/// (Before `evaluate_json_into` the body was
/// `serde_json::to_writer(&mut *out, &policy.evaluate_json(text, at)?)`.)
fn pol_eval(evaluator: &mut pol::Evaluator, text: &str, at: Option<i64>, out: &mut Vec<u8>) {
    out.clear();
    evaluator
        .evaluate_json_into(text, at, out)
        .expect("pol reads the case");
}

/// The floor: the same text into a typed struct, nothing evaluated.
fn serde_floor(text: &str) -> CaseRecord {
    serde_json::from_str(text).expect("the case is a CaseRecord")
}

struct Engines {
    policy: pol::Engine,
    at: Option<i64>,
    cedar: CedarPeer,
    cel: CelPeer,
    zen: ZenPeer,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let compiled = pol::compile(POLICY, POLICY_FILE).map_err(|diags| {
        let msgs: Vec<String> = diags.iter().map(|d| format!("{d:?}")).collect();
        format!("pol cannot compile {POLICY_FILE}: {}", msgs.join("; "))
    })?;
    let policy = compiled.policy;
    let at = policy.parse_at(AT);
    if at.is_none() {
        return Err(format!("pol cannot read the time {AT}"));
    }
    let engines = Engines {
        cedar: CedarPeer::new().map_err(|e| format!("Cedar policies: {e}"))?,
        cel: CelPeer::new().map_err(|e| format!("CEL programs: {e}"))?,
        zen: ZenPeer::new().map_err(|e| format!("ZEN decision graph: {e}"))?,
        policy: pol::Engine::new(policy),
        at,
    };

    let texts = pick_cases(&engines)?;
    // `--dump-cases FILE`: write the cases, one per line, for pol's own benchmarks.
    let args: Vec<String> = std::env::args().collect();
    if let Some(path) = args
        .iter()
        .position(|a| a == "--dump-cases")
        .and_then(|i| args.get(i + 1))
    {
        std::fs::write(path, texts.join("\n") + "\n").map_err(|e| format!("{path}: {e}"))?;
    }
    let answers = check_agreement(&engines, &texts)?;
    let mean_bytes = texts.iter().map(String::len).sum::<usize>() / texts.len();
    println!(
        "Cedar, CEL and ZEN agree with pol on all {} cases (mean {} bytes of JSON each)\n",
        texts.len(),
        mean_bytes
    );

    print_coverage(&answers);

    let rows: Vec<Row> = texts
        .iter()
        .zip(&answers)
        .enumerate()
        .map(|(i, (text, answer))| time_case(&engines, &format!("c{:02}", i + 1), text, answer))
        .collect();
    print_table(&rows);
    Ok(())
}

/// Picks the case texts from a seeded pool: first every case that makes a rule
/// fire that no picked case did (read from pol's `because` lists), then every
/// case with an answer not seen yet, then the next cases of the pool.
fn pick_cases(e: &Engines) -> Result<Vec<String>, String> {
    let mut rng = Rng::new(SEED);
    let mut out = Vec::new();
    let mut pool = Vec::new();
    let mut evaluator = e.policy.evaluator();
    for serial in 0..POOL {
        let record = random_case(&mut rng, serial);
        let text = serde_json::to_string(&record).map_err(|e| e.to_string())?;
        pol_eval(&mut evaluator, &text, e.at, &mut out);
        let answer = answer::from_pol_decision(&out)?;
        pool.push((text, answer, answer::rules_in_decision(&out)));
    }
    let mut picked = vec![false; POOL];
    let mut rules = BTreeSet::new();
    let mut seen = HashSet::new();
    let mut count = 0;
    for (i, (_, answer, fired)) in pool.iter().enumerate() {
        if count < CASES && !fired.is_subset(&rules) {
            rules.extend(fired.iter().cloned());
            seen.insert(answer.clone());
            picked[i] = true;
            count += 1;
        }
    }
    for (i, (_, answer, _)) in pool.iter().enumerate() {
        if count < CASES && !picked[i] && seen.insert(answer.clone()) {
            picked[i] = true;
            count += 1;
        }
    }
    for p in picked.iter_mut() {
        if count < CASES && !*p {
            *p = true;
            count += 1;
        }
    }
    let all_rules: Vec<&str> = POLICY
        .lines()
        .filter_map(|l| l.strip_prefix("rule "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let silent: Vec<&str> = all_rules
        .iter()
        .copied()
        .filter(|r| !rules.contains(*r) && !NOT_COVERED.contains(r))
        .collect();
    let covered = all_rules.len() - NOT_COVERED.len();
    println!(
        "{CASES} cases picked from {POOL} random complete cases (seed {SEED:#x}): \
         {} of the {covered} covered rules give a reason in pol's Decisions, {} distinct answers",
        covered - silent.len(),
        seen.len(),
    );
    if !silent.is_empty() {
        println!(
            "covered rules that never give a reason: {}",
            silent.join(", ")
        );
    }
    Ok(pool
        .into_iter()
        .zip(picked)
        .filter(|(_, p)| *p)
        .map(|((text, _, _), _)| text)
        .collect())
}

/// pol's answer for every case, after checking that every peer gives the same.
fn check_agreement(e: &Engines, texts: &[String]) -> Result<Vec<Answer>, String> {
    let mut out = Vec::new();
    let mut answers = Vec::new();
    let mut evaluator = e.policy.evaluator();
    for (i, text) in texts.iter().enumerate() {
        pol_eval(&mut evaluator, text, e.at, &mut out);
        let expected = answer::from_pol_decision(&out)?;
        let errors = e.cedar.errors(text);
        if !errors.is_empty() {
            return Err(format!(
                "Cedar reports errors on case c{:02}: {}\n  case: {text}",
                i + 1,
                errors.join("; ")
            ));
        }
        for (engine, got) in [
            ("Cedar", e.cedar.answer(text)),
            ("CEL", e.cel.answer(text)),
            ("ZEN", e.zen.answer(text)),
        ] {
            if got != expected {
                let label = format!("{engine}:");
                return Err(format!(
                    "{engine} disagrees with pol on case c{:02}\n  case:  {text}\n  pol:   {expected}\n  {label:<6} {got}",
                    i + 1
                ));
            }
        }
        answers.push(expected);
    }
    Ok(answers)
}

/// How often each verdict, question and outcome occurs in pol's answers.
fn print_coverage(answers: &[Answer]) {
    use answer::{Verdict, ACTIONS, QUESTIONS};
    let verdicts = [
        Verdict::Required,
        Verdict::Allowed,
        Verdict::Forbidden,
        Verdict::Undecided,
    ];
    println!("in pol's answers:");
    for (i, a) in ACTIONS.iter().enumerate() {
        let counts: Vec<String> = verdicts
            .iter()
            .map(|v| (v, answers.iter().filter(|x| x.verdicts[i] == *v).count()))
            .filter(|(_, n)| *n > 0)
            .map(|(v, n)| format!("{} {n}", v.as_str()))
            .collect();
        println!("  {a:<23} {}", counts.join(", "));
    }
    let asked: Vec<String> = QUESTIONS
        .iter()
        .enumerate()
        .map(|(i, q)| format!("{q} {}", answers.iter().filter(|x| x.asked[i]).count()))
        .collect();
    println!("  asked                   {}", asked.join(", "));
    let count = |f: &dyn Fn(&Answer) -> bool| answers.iter().filter(|x| f(x)).count();
    println!(
        "  kata_kunci_pj said {}; dispen true {}, false {}; bisa_jadi_dm false {}\n",
        count(&|x| x.say_kata_kunci_pj),
        count(&|x| x.dispen == Some(true)),
        count(&|x| x.dispen == Some(false)),
        count(&|x| x.bisa_jadi_dm == Some(false)),
    );
}

struct Row {
    name: String,
    bytes: usize,
    penawaran: &'static str,
    /// Median nanoseconds per case: serde floor, pol, Cedar, CEL, ZEN.
    ns: [f64; 5],
    /// The same for reading the JSON text into each engine's input only.
    input_ns: [f64; 5],
}

const ENGINES: [&str; 5] = ["serde floor", "pol", "Cedar", "CEL", "ZEN"];

fn time_case(e: &Engines, name: &str, text: &str, answer: &Answer) -> Row {
    let mut out = Vec::with_capacity(16 * 1024);
    let mut evaluator = e.policy.evaluator();
    let ns = [
        median_ns(|| {
            black_box(serde_floor(black_box(text)));
        }),
        median_ns(|| {
            pol_eval(&mut evaluator, black_box(text), e.at, &mut out);
            black_box(&out);
        }),
        median_ns(|| {
            black_box(e.cedar.answer(black_box(text)));
        }),
        median_ns(|| {
            black_box(e.cel.answer(black_box(text)));
        }),
        median_ns(|| {
            black_box(e.zen.answer(black_box(text)));
        }),
    ];
    let input_ns = [
        ns[0],
        median_ns(|| {
            black_box(pol::decode_case(e.policy.policy(), black_box(text)).expect("pol reads the case"));
        }),
        median_ns(|| {
            black_box(e.cedar.input(black_box(text)));
        }),
        median_ns(|| {
            black_box(e.cel.input(black_box(text)));
        }),
        median_ns(|| {
            black_box(e.zen.input(black_box(text)));
        }),
    ];
    Row {
        name: name.to_string(),
        bytes: text.len(),
        penawaran: answer.verdicts[0].as_str(),
        ns,
        input_ns,
    }
}

/// Nanoseconds per call: the median of `BATCHES` batches, each batch as many
/// calls as take about `BATCH_TIME`.
fn median_ns(mut f: impl FnMut()) -> f64 {
    let mut iters: u32 = 1;
    loop {
        let start = Instant::now();
        for _ in 0..iters {
            f();
        }
        if start.elapsed() >= BATCH_TIME / 4 || iters >= 1 << 24 {
            let per = start.elapsed().as_secs_f64() / f64::from(iters);
            iters = ((BATCH_TIME.as_secs_f64() / per).ceil() as u32).max(1);
            break;
        }
        iters *= 2;
    }
    let mut samples: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed().as_nanos() as f64 / f64::from(iters)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[BATCHES / 2]
}

fn fmt_ns(ns: f64) -> String {
    if ns < 1000.0 {
        format!("{ns:.0} ns")
    } else if ns < 1_000_000.0 {
        format!("{:.1} µs", ns / 1000.0)
    } else {
        format!("{:.2} ms", ns / 1_000_000.0)
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn print_table(rows: &[Row]) {
    println!(
        "per case: median of {BATCHES} batches of ~{} µs, JSON text → answer",
        BATCH_TIME.as_micros()
    );
    println!(
        "{:<5} {:>5} {:<10} {:>10} {:>10} {:>10} {:>7} {:>10} {:>7} {:>10} {:>7}",
        "case", "bytes", "penawaran", "serde", "pol", "Cedar", "/pol", "CEL", "/pol", "ZEN", "/pol"
    );
    for r in rows {
        let ratio = |i: usize| format!("{:.1}×", r.ns[i] / r.ns[1]);
        println!(
            "{:<5} {:>5} {:<10} {:>10} {:>10} {:>10} {:>7} {:>10} {:>7} {:>10} {:>7}",
            r.name,
            r.bytes,
            r.penawaran,
            fmt_ns(r.ns[0]),
            fmt_ns(r.ns[1]),
            fmt_ns(r.ns[2]),
            ratio(2),
            fmt_ns(r.ns[3]),
            ratio(3),
            fmt_ns(r.ns[4]),
            ratio(4),
        );
    }
    println!();
    println!(
        "summary over {} cases ({} bytes each on average)",
        rows.len(),
        rows.iter().map(|r| r.bytes).sum::<usize>() / rows.len()
    );
    println!(
        "| {:<11} | {:>13} | {:>9} | {:>9} | {:>9} | {:>10} | {:>15} |",
        "engine", "median / case", "min", "max", "mean", "input only", "peer / pol"
    );
    println!(
        "|{:-<13}|{:->15}|{:->11}|{:->11}|{:->11}|{:->12}|{:->17}|",
        "", "", "", "", "", "", ""
    );
    for (i, engine) in ENGINES.iter().enumerate() {
        let col: Vec<f64> = rows.iter().map(|r| r.ns[i]).collect();
        let min = col.iter().copied().fold(f64::INFINITY, f64::min);
        let max = col.iter().copied().fold(0.0, f64::max);
        let mean = col.iter().sum::<f64>() / col.len() as f64;
        let ratio = median(rows.iter().map(|r| r.ns[i] / r.ns[1]).collect());
        let input = median(rows.iter().map(|r| r.input_ns[i]).collect());
        println!(
            "| {:<11} | {:>13} | {:>9} | {:>9} | {:>9} | {:>10} | {:>15} |",
            engine,
            fmt_ns(median(col)),
            fmt_ns(min),
            fmt_ns(max),
            fmt_ns(mean),
            fmt_ns(input),
            format!("{ratio:.2}×"),
        );
    }
    println!(
        "(min/max/mean: over the per-case medians; input only: the median per case of reading \
         the JSON text into the engine's input, no evaluation; peer / pol: the median over the \
         cases of the per-case ratio)"
    );
}
