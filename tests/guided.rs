//! Guided calls: partial cases, the next question, and `pol ask`.

mod common;

use pol::eval::decision::{
    DeadlineStatus, FieldStatus, OutcomeStatus, QuestionStatus, ScriptStatus, UndecidedReason,
    Verdict,
};
use pol::types::Type;
use pol::{Decision, Policy};
use serde_json::{json, Map, Value as J};
use std::process::Command;

fn shipped() -> Vec<(String, Policy)> {
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir("policies")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pol"))
        .collect();
    files.sort();
    for f in files {
        let name = f.display().to_string();
        let src = std::fs::read_to_string(&f).unwrap();
        let c = pol::compile(&src, &name)
            .unwrap_or_else(|d| panic!("{}", pol::render::human(&d, &name, &src, false)));
        out.push((name, c.policy));
    }
    assert_eq!(out.len(), 5, "five shipped policies");
    out
}

/// An evaluation time inside every shipped policy's validity.
fn at(p: &Policy) -> Option<i64> {
    p.parse_at("2025-05-02T10:00:00+07:00")
}

/// A few values of each type, around the boundaries the SOPs use.
fn domain(p: &Policy, t: &Type) -> Vec<J> {
    match t {
        Type::Bool => vec![json!(true), json!(false)],
        Type::Int => vec![json!(0), json!(1), json!(2), json!(3), json!(5)],
        Type::Decimal => vec![json!("0"), json!("1.5"), json!("25000")],
        Type::Text => vec![json!(""), json!("081200000001"), json!("0812000000010")],
        Type::Enum(e, _) => p.enums[*e].variants.iter().map(|v| json!(v.name)).collect(),
        Type::Date => vec![json!("2025-04-30"), json!("2025-05-02")],
        Type::DateTime => vec![
            json!("2025-05-02T09:45:00+07:00"),
            json!("2025-05-01T19:00:30+07:00"),
            json!("2025-05-01T23:10:00+07:00"),
            json!("2025-05-02T07:29:00+07:00"),
        ],
        Type::Time => vec![
            json!("07:29"),
            json!("07:30"),
            json!("19:00"),
            json!("19:01"),
        ],
        Type::Duration => vec![json!("PT10M"), json!("PT2H"), json!("P3D")],
        Type::List(elem) => {
            let d = domain(p, elem);
            vec![
                json!([]),
                json!([d[0].clone()]),
                J::Array(d.into_iter().take(2).collect()),
            ]
        }
        Type::Error => vec![],
    }
}

/// A small deterministic random number generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn eval(p: &Policy, case: &Map<String, J>) -> Decision {
    pol::Engine::new(p.clone())
        .evaluate_json(&J::Object(case.clone()).to_string(), at(p))
        .unwrap()
}

/// Every output the partial Decision shows as decided, as comparable strings.
fn decided(d: &Decision) -> Vec<String> {
    let mut v = Vec::new();
    for a in &d.actions {
        if a.reason != Some(UndecidedReason::Pending) {
            v.push(format!("action {} {} {:?}", a.id, a.verdict, a.reason));
        }
    }
    for q in &d.questions {
        if q.status == QuestionStatus::Ask {
            v.push(format!("ask {}", q.id));
        }
    }
    for f in &d.ticket_fields {
        // Whether a field is mandatory and its value are two answers: the value
        // may still wait on facts while the field is certainly mandatory.
        if f.status == FieldStatus::Required {
            v.push(format!("field {} required", f.id));
            if f.value_waiting_on.is_empty() {
                v.push(format!("field {} value {:?}", f.id, f.value));
            }
        }
    }
    for s in &d.scripts {
        if s.status == ScriptStatus::Say {
            v.push(format!("say {}", s.id));
        }
    }
    for o in &d.outcome_details {
        if o.status != OutcomeStatus::Undecided {
            v.push(format!("outcome {} {:?}", o.id, o.value));
        }
    }
    for dl in &d.deadlines {
        if dl.status == DeadlineStatus::Set {
            v.push(format!("due {} {:?}", dl.id, dl.due));
        }
    }
    v
}

/// What the complete Decision says about the same outputs.
fn all_outputs(d: &Decision) -> Vec<String> {
    let mut v = decided(d);
    for a in &d.actions {
        v.push(format!("action {} {} {:?}", a.id, a.verdict, a.reason));
    }
    v
}

#[test]
fn an_empty_case_asks_and_answering_in_order_completes() {
    for (name, p) in shipped() {
        let d = eval(&p, &Map::new());
        assert!(!d.complete, "{name}: an empty case cannot be complete");
        assert!(
            !d.pending.is_empty(),
            "{name}: an empty case must have pending questions"
        );
        // Answer the first pending question each time, with each possible first value.
        for seed in 1..=6u64 {
            let mut rng = Rng(seed * 7919);
            let mut case = Map::new();
            let mut steps = 0;
            loop {
                let d = eval(&p, &case);
                let Some(next) = d.pending.first() else {
                    assert!(
                        d.complete,
                        "{name}: nothing pending but not complete: {:?}",
                        d.warnings
                    );
                    break;
                };
                let fact = p.facts.iter().find(|f| f.name == next.fact).unwrap();
                assert!(
                    next.question.is_some() || next.label.is_some(),
                    "{name}: pending fact `{}` has neither a question nor a label",
                    fact.name
                );
                let dom = domain(&p, &fact.ty);
                let value = if rng.below(10) == 0 {
                    J::Null
                } else {
                    dom[rng.below(dom.len())].clone()
                };
                assert!(
                    case.insert(fact.name.clone(), value).is_none(),
                    "{name}: `{}` asked twice",
                    fact.name
                );
                steps += 1;
                assert!(steps <= p.facts.len(), "{name}: more questions than facts");
            }
        }
    }
}

#[test]
fn nothing_decided_too_early() {
    for (name, p) in shipped() {
        let mut rng = Rng(0x5eed ^ name.len() as u64);
        for _ in 0..60 {
            // A random partial case.
            let mut partial = Map::new();
            for f in &p.facts {
                if rng.below(3) == 0 {
                    let dom = domain(&p, &f.ty);
                    partial.insert(f.name.clone(), dom[rng.below(dom.len())].clone());
                }
            }
            let d = eval(&p, &partial);
            let shown = decided(&d);
            // Random completions must agree with everything shown as decided.
            for _ in 0..12 {
                let mut full = partial.clone();
                for f in &p.facts {
                    if !full.contains_key(&f.name) {
                        let dom = domain(&p, &f.ty);
                        full.insert(f.name.clone(), dom[rng.below(dom.len())].clone());
                    }
                }
                let complete = all_outputs(&eval(&p, &full));
                for item in &shown {
                    assert!(complete.contains(item), "{name}: `{item}` was shown for {partial:?} but the completion {full:?} gives {complete:?}");
                }
            }
        }
    }
}

#[test]
fn an_or_with_one_true_side_is_decided() {
    let src = r#"
policy o { title "O" }
case { a: bool ask "A?"  b: bool ask "B?" }
action x "X"
rule r quote "q" when a or b then require x
example "e" { given { a: true } expect { x required; complete } }
"#;
    let p = pol::Engine::new(pol::compile(src, "o.pol").unwrap().policy);
    let d = p.evaluate_json(r#"{"a": true}"#, None).unwrap();
    assert_eq!(d.actions[0].verdict, Verdict::Required);
    assert!(d.complete && d.pending.is_empty());
    let d = p.evaluate_json(r#"{"a": false}"#, None).unwrap();
    assert_eq!(d.actions[0].reason, Some(UndecidedReason::Pending));
    assert_eq!(d.pending[0].fact, "b");
}

fn ask_piped(args: &[&str], input: &str) -> (i32, String) {
    let out = common::pol_stdin(args, input);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn ask_with_piped_answers_reaches_a_decision_and_saves_an_example() {
    let dir = std::env::temp_dir().join(format!("pol-ask-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("sketch.pol");
    std::fs::copy("tests/fixtures/sketch.pol", &policy).unwrap();
    let case = dir.join("case.json");
    // A wrong answer is asked again, `<` goes back, `?` records "does not know".
    let (code, out) = ask_piped(
        &[
            "ask",
            policy.to_str().unwrap(),
            "--at",
            "2025-05-01T10:00+07:00",
            "--save-case",
            case.to_str().unwrap(),
            "--save-example",
            policy.to_str().unwrap(),
            "--example-name",
            "walkthrough: someone else",
        ],
        "boss\n4\n1\n<\n?\nn\n",
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("`boss` is not one of the choices"), "{out}");
    let saved: J = serde_json::from_str(&std::fs::read_to_string(&case).unwrap()).unwrap();
    assert_eq!(
        saved,
        json!({"recipient": "someone_else", "confirm_count": null, "declared_not_pj": false})
    );
    // The saved example is a passing regression test.
    let test = Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(["test", policy.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&test.stdout);
    assert!(text.contains("walkthrough: someone else"), "{text}");
    assert!(text.trim_end().ends_with("4 passed, 0 failed"), "{text}");
}

#[test]
fn ask_on_two_shipped_policies_with_piped_answers() {
    for policy in [
        "policies/dm_verification.pol",
        "policies/activation_complaint.pol",
    ] {
        // Answer "does not know" to everything: the session must still end complete.
        let (code, out) = ask_piped(
            &["ask", policy, "--at", "2025-05-02T10:00+07:00"],
            &"?\n".repeat(200),
        );
        assert_eq!(code, 0, "{policy}: {out}");
        assert!(
            out.contains("(complete: nothing more to ask)"),
            "{policy}: {out}"
        );
    }
}

/// A tmux server of the test's own (`-L`): tests that run at the same time never
/// share a server, so one test ending its last session cannot take another's down.
struct Terminal {
    socket: String,
}

impl Terminal {
    fn new(name: &str) -> Terminal {
        Terminal {
            socket: format!("{name}-sock"),
        }
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux is needed for the terminal test (.ci/run installs it)");
        if args.first() == Some(&"new-session") {
            assert!(
                out.status.success(),
                "tmux could not start the session: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out
    }

    fn screen(&self, session: &str, history: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", session];
        if history {
            args.extend(["-S", "-2000"]);
        }
        String::from_utf8_lossy(&self.run(&args).stdout).into_owned()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// Drives `pol ask` in a real terminal (tmux) as an agent would: type to filter a pick list, Enter, type a number.
#[test]
fn ask_in_a_terminal() {
    let session = format!("pol-ask-{}", std::process::id());
    let dir = std::env::temp_dir().join(&session);
    std::fs::create_dir_all(&dir).unwrap();
    let case = dir.join("case.json");
    let bin = env!("CARGO_BIN_EXE_pol");
    let cmd = format!(
        "{bin} ask tests/fixtures/sketch.pol --at 2025-05-01T10:00+07:00 --save-case {}; sleep 30",
        case.display()
    );
    let term = Terminal::new(&session);
    let tmux = |args: &[&str]| term.run(args);
    let screen = || term.screen(&session, false);
    let wait_for = |text: &str| {
        for _ in 0..300 {
            if screen().contains(text) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("`{text}` never appeared; the screen shows:\n{}", screen());
    };
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "120",
        "-y",
        "40",
        &cmd,
    ]);
    wait_for("type to filter");
    tmux(&["send-keys", "-t", &session, "someone"]);
    wait_for("> Orang lain (someone_else)");
    tmux(&["send-keys", "-t", &session, "Enter"]);
    wait_for("Berapa kali");
    tmux(&["send-keys", "-t", &session, "3", "Enter"]);
    wait_for("(complete: nothing more to ask)");
    tmux(&["kill-session", "-t", &session]);
    let saved: J = serde_json::from_str(&std::fs::read_to_string(&case).unwrap()).unwrap();
    assert_eq!(
        saved,
        json!({"recipient": "someone_else", "confirm_count": 3})
    );
}

/// All completions of `partial` over the facts it lacks (small domains only).
fn completions(p: &Policy, partial: &Map<String, J>) -> Option<Vec<Map<String, J>>> {
    let mut out = vec![partial.clone()];
    for f in &p.facts {
        if partial.contains_key(&f.name) {
            continue;
        }
        let dom = domain(p, &f.ty);
        if out.len() * dom.len() > 400 {
            return None;
        }
        out = out
            .into_iter()
            .flat_map(|c| {
                dom.iter().map(move |v| {
                    let mut c = c.clone();
                    c.insert(f.name.clone(), v.clone());
                    c
                })
            })
            .collect();
    }
    Some(out)
}

#[test]
fn what_every_completion_agrees_on_is_shown_as_decided() {
    for (name, p) in shipped() {
        let mut rng = Rng(0xdec1de ^ name.len() as u64);
        let mut checked = 0;
        for _ in 0..400 {
            // A case that lacks only a few facts.
            let mut partial = Map::new();
            for f in &p.facts {
                // Only facts with a few possible values are left out: their completions are exhaustive.
                let finite = matches!(f.ty, Type::Bool | Type::Enum(..));
                if !finite || rng.below(6) != 0 {
                    let dom = domain(&p, &f.ty);
                    partial.insert(f.name.clone(), dom[rng.below(dom.len())].clone());
                }
            }
            let Some(all) = completions(&p, &partial) else {
                continue;
            };
            checked += 1;
            let d = eval(&p, &partial);
            let results: Vec<Decision> = all.iter().map(|c| eval(&p, c)).collect();
            for a in &d.actions {
                let verdicts: Vec<(Verdict, Option<UndecidedReason>)> = results
                    .iter()
                    .map(|r| {
                        r.actions
                            .iter()
                            .find(|x| x.id == a.id)
                            .map(|x| (x.verdict, x.reason))
                            .unwrap()
                    })
                    .collect();
                if verdicts.iter().all(|v| *v == verdicts[0])
                    && verdicts[0].1 != Some(UndecidedReason::Pending)
                {
                    assert_eq!((a.verdict, a.reason), verdicts[0], "{name}: every completion of {partial:?} gives `{}` {:?}, but the partial case shows {} {:?}", a.id, verdicts[0], a.verdict, a.reason);
                }
            }
        }
        assert!(checked > 20, "{name}: only {checked} partial cases checked");
    }
}

/// Two shipped policies in a real terminal: answer "does not know" to every
/// question (pick list or typed) until the call is complete.
#[test]
fn ask_in_a_terminal_on_shipped_policies() {
    for (k, policy) in [
        "policies/dm_verification.pol",
        "policies/activation_complaint.pol",
    ]
    .iter()
    .enumerate()
    {
        let session = format!("pol-ask-shipped-{}-{k}", std::process::id());
        let bin = env!("CARGO_BIN_EXE_pol");
        let cmd = format!("{bin} ask {policy} --at 2025-05-02T10:00+07:00; sleep 200");
        let term = Terminal::new(&session);
        let tmux = |args: &[&str]| term.run(args);
        let screen = || term.screen(&session, true);
        tmux(&[
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            "200",
            "-y",
            "50",
            &cmd,
        ]);
        let mut done = false;
        // A slow, shared machine may take a while; the session itself sleeps 90 s after `ask` ends.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
        while std::time::Instant::now() < deadline {
            let s = screen();
            if s.contains("(complete: nothing more to ask)") {
                done = true;
                break;
            }
            // Answer the prompt on screen once it is fully drawn, then wait for the next one.
            if s.contains("type to filter") {
                tmux(&["send-keys", "-t", &session, "does not know"]);
                for _ in 0..50 {
                    if screen().contains("> the customer does not know") {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(40));
                }
                tmux(&["send-keys", "-t", &session, "Enter"]);
            } else if s.contains("go back") {
                tmux(&["send-keys", "-t", &session, "?", "Enter"]);
            } else {
                std::thread::sleep(std::time::Duration::from_millis(60));
                continue;
            }
            for _ in 0..100 {
                if screen() != s {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(40));
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let s = screen();
        tmux(&["kill-session", "-t", &session]);
        assert!(
            done,
            "{policy}: the session did not complete; the screen shows:\n{s}"
        );
    }
}
