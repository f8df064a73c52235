//! Every JSON document pol writes validates, with a real draft 2020-12 validator
//! (formats checked), against the schemas of `pol::contract`; and the schemas
//! reject what pol never writes.

mod common;

use common::pol_stdin;
use jsonschema::Validator;
use pol::contract::{decision_schema, diagnostics_schema, openapi_components, SCHEMA_VERSION};
use pol::testing::{default_at, example_case};
use pol::{Decision, Policy};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

fn validator(schema: &Value) -> Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("the schema does not build: {e}"))
}

/// The standalone schema with its root narrowed to one of its documents.
fn only(schema: &Value, def: &str) -> Validator {
    let mut s = schema.clone();
    let root = s.as_object_mut().unwrap();
    root.remove("anyOf");
    root.insert("$ref".into(), json!(format!("#/$defs/{def}")));
    validator(&s)
}

fn errors(v: &Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance)
        .map(|e| format!("{e} (at {})", e.instance_path()))
        .collect()
}

fn assert_valid(v: &Validator, instance: &Value, what: &str) {
    let errs = errors(v, instance);
    assert!(errs.is_empty(), "{what}: {errs:#?}\n{instance}");
}

/// The validators for what `pol eval` writes: any of its documents, and each alone.
struct Eval {
    any: Validator,
    decision: Validator,
    batch_error: Validator,
    eval_error: Validator,
}

impl Eval {
    fn new() -> Eval {
        let s = decision_schema();
        Eval {
            any: validator(&s),
            decision: only(&s, "Decision"),
            batch_error: only(&s, "BatchError"),
            eval_error: only(&s, "EvalError"),
        }
    }

    /// Validates a Decision both as a Decision and as what the root accepts.
    fn decision(&self, d: &Value, what: &str) {
        assert_valid(&self.decision, d, what);
        assert_valid(&self.any, d, what);
        assert_eq!(d["schema_version"], SCHEMA_VERSION, "{what}");
    }

    /// Validates the Decision JSON of one evaluation, and that the [`Decision`]
    /// read back from it writes the same bytes again; returns that Decision.
    fn both(
        &self,
        engine: &pol::Engine,
        case: &pol::Case,
        at: Option<i64>,
        what: &str,
    ) -> Decision {
        let mut out = Vec::new();
        engine.evaluator().evaluate_into(case, at, &mut out);
        let written: Value = serde_json::from_slice(&out).unwrap();
        self.decision(&written, what);
        let d: Decision = engine.evaluate(case, at);
        assert_eq!(
            serde_json::to_vec(&d).unwrap(),
            out,
            "{what}: the Decision does not read back to the same JSON"
        );
        d
    }
}

fn pol_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pol"))
        .collect();
    v.sort();
    v
}

fn compile(path: &Path) -> Option<Policy> {
    let src = std::fs::read_to_string(path).unwrap();
    pol::compile(&src, &path.display().to_string())
        .ok()
        .map(|c| c.policy)
}

/// The evaluation times every case is tried at: none, a fixed one, and one
/// before and one after every shipped policy's validity.
const TIMES: [Option<&str>; 4] = [
    None,
    Some("2025-05-02T10:00:00+07:00"),
    Some("1990-01-01T00:00:00Z"),
    Some("2099-12-31T23:00:00-05:00"),
];

fn times(policy: &Policy) -> Vec<Option<i64>> {
    TIMES
        .iter()
        .map(|t| t.map(|t| policy.parse_at(t).unwrap()))
        .collect()
}

#[test]
fn every_shipped_case_gives_a_valid_decision() {
    let v = Eval::new();
    let mut n = 0;
    let mut statuses = std::collections::BTreeSet::new();
    for path in pol_files("policies") {
        let policy = compile(&path).unwrap();
        let engine = pol::Engine::new(policy.clone());
        let stem = path.file_stem().unwrap().to_str().unwrap();
        let mut cases: Vec<PathBuf> = std::fs::read_dir(format!("policies/cases/{stem}"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        cases.sort();
        // The empty case: everything pending.
        let mut texts = vec![("{}".to_string(), "empty case".to_string())];
        for c in cases {
            texts.push((
                std::fs::read_to_string(&c).unwrap(),
                c.display().to_string(),
            ));
        }
        for (text, name) in &texts {
            for at in times(&policy) {
                let case = pol::decode_case(&policy, text).unwrap();
                let what = format!("{name} at {at:?}");
                let d = v.both(&engine, &case, at, &what);
                statuses.insert(d.validity.status.as_str());
                n += 1;
            }
        }
    }
    assert!(n >= 80, "{n} decisions");
    // The shipped policies have no `valid from` after 1990: `not_yet_valid` is
    // validated with the analysis fixtures.
    assert_eq!(statuses.len(), 3, "{statuses:?}");
}

#[test]
fn every_example_of_every_shipped_policy_gives_a_valid_decision() {
    let v = Eval::new();
    let mut n = 0;
    for path in pol_files("policies") {
        let policy = compile(&path).unwrap();
        let engine = pol::Engine::new(policy.clone());
        for ex in &policy.examples {
            let case = example_case(&policy, ex);
            let at = ex.at.or_else(|| default_at(&policy));
            let what = format!("{} example `{}`", path.display(), ex.name);
            v.both(&engine, &case, at, &what);
            v.both(&engine, &case, None, &format!("{what} without a time"));
            n += 1;
        }
    }
    assert!(n >= 20, "{n} examples");
}

/// The analysis fixtures and their counterexamples decide by conflict, open
/// points and gaps: every undecided reason and validity status they give validates.
#[test]
fn conflicts_open_points_and_gaps_give_valid_decisions() {
    use pol::eval::decision::{UndecidedReason as R, ValidityStatus as S};
    let v = Eval::new();
    let mut reasons = std::collections::BTreeSet::new();
    let mut statuses = std::collections::BTreeSet::new();
    let opts = pol::analysis::Options::default();
    for path in pol_files("tests/analysis") {
        let src = std::fs::read_to_string(&path).unwrap();
        let name = path.display().to_string();
        let checked = pol::analysis::check_source(&src, &name, None, &opts);
        let Some(compiled) = checked.compiled else {
            continue;
        };
        let engine = pol::Engine::new(compiled.policy);
        let policy = engine.policy();
        let mut cases: Vec<(pol::Case, Vec<Option<i64>>)> = policy
            .examples
            .iter()
            .map(|ex| (example_case(policy, ex), times(policy)))
            .collect();
        cases.push((pol::decode_case(policy, "{}").unwrap(), times(policy)));
        for d in &checked.diagnostics {
            if let Some(c) = &d.counterexample {
                let case = pol::decode_case(policy, &c.case_json()).unwrap();
                let at = c.at.as_ref().map(|a| policy.parse_at(a).unwrap());
                cases.push((case, vec![at]));
            }
        }
        for (case, ats) in &cases {
            for at in ats {
                let d = v.both(&engine, case, *at, &name);
                reasons.extend(d.actions.iter().filter_map(|a| a.reason));
                reasons.extend(d.outcome_details.iter().filter_map(|o| o.reason));
                statuses.insert(d.validity.status);
            }
        }
    }
    for r in [R::Pending, R::Conflict, R::NoRule] {
        assert!(reasons.contains(&r), "{r} never validated: {reasons:?}");
    }
    assert!(statuses.contains(&S::NotYetValid), "{statuses:?}");
}

#[test]
fn batch_lines_are_decisions_or_error_records() {
    let v = Eval::new();
    let path = Path::new("policies/callback.pol");
    let policy = compile(path).unwrap();
    let mut input = Vec::new();
    let mut good = 0;
    for c in std::fs::read_dir("policies/cases/callback")
        .unwrap()
        .flatten()
    {
        let text = std::fs::read_to_string(c.path()).unwrap();
        let compact: Value = serde_json::from_str(&text).unwrap();
        input.extend(serde_json::to_vec(&compact).unwrap());
        input.push(b'\n');
        good += 1;
    }
    let bad: [&[u8]; 5] = [
        b"not json",
        b"[1, 2]",
        b"{\"no_such_fact\": true}",
        b"",
        b"{\"x\": \"\xff\xfe\"}",
    ];
    for b in bad {
        input.extend_from_slice(b);
        input.push(b'\n');
    }
    let mut output = Vec::new();
    let at = policy.parse_at("2025-05-02T10:00+07:00");
    let opts = pol::cli::batch::Options {
        threads: 1,
        ..Default::default()
    };
    let summary = pol::cli::batch::run(
        &pol::Engine::new(policy.clone()),
        at,
        input.as_slice(),
        &mut output,
        &opts,
        None,
    )
    .unwrap();
    assert_eq!(summary.lines, good + bad.len() as u64);
    let (mut decisions, mut errors) = (0, 0);
    for (i, line) in output
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let value: Value = serde_json::from_slice(line).unwrap();
        let what = format!("output line {}", i + 1);
        assert_valid(&v.any, &value, &what);
        if value.get("error").is_some() {
            assert_valid(&v.batch_error, &value, &what);
            assert_eq!(value["line"], i + 1);
            errors += 1;
        } else {
            v.decision(&value, &what);
            decisions += 1;
        }
    }
    assert_eq!((decisions, errors), (good, bad.len() as u64));
}

#[test]
fn eval_error_and_decision_from_the_binary_are_valid() {
    let v = Eval::new();
    for bad in ["{\"recipient\": 5}", "[]", "{", "{\"no_such_fact\": 1}"] {
        let out = pol_stdin(
            &[
                "eval",
                "policies/inbound_offers.pol",
                "--case",
                "-",
                "--format",
                "json",
            ],
            bad,
        );
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let value: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_valid(&v.eval_error, &value, bad);
        assert_valid(&v.any, &value, bad);
        assert_eq!(value["error"]["file"], "<stdin>");
        assert!(
            errors(&v.decision, &value).len() + errors(&v.batch_error, &value).len() > 1,
            "an error object is neither a Decision nor a batch line"
        );
    }
    let out = pol_stdin(
        &[
            "eval",
            "policies/inbound_offers.pol",
            "--case",
            "-",
            "--at",
            "2025-05-02T10:00+07:00",
        ],
        "{}",
    );
    assert_eq!(out.status.code(), Some(0));
    let value: Value = serde_json::from_slice(&out.stdout).unwrap();
    v.decision(&value, "pol eval output");
}

fn check_json(paths: &[&str]) -> Value {
    let mut args = vec!["check", "--format", "json", "--today", "2025-05-02"];
    args.extend_from_slice(paths);
    let out = Command::new(env!("CARGO_BIN_EXE_pol"))
        .args(&args)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{paths:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn check_output_is_valid_with_errors_warnings_and_counterexamples() {
    let schema = diagnostics_schema();
    let v = validator(&schema);
    let (mut errors_seen, mut warnings_seen, mut counterexamples) = (0, 0, 0);
    for paths in [
        &["policies"][..],
        &["tests/fixtures/broken.pol"],
        &["tests/diagnostics"],
        &["tests/analysis"],
        &[
            "tests/fixtures/sketch.pol",
            "tests/analysis/A0001_require_forbid.pol",
        ],
    ] {
        let report = check_json(paths);
        assert_valid(&v, &report, &format!("pol check {paths:?}"));
        assert_eq!(report["schema_version"], SCHEMA_VERSION);
        let diags = report["diagnostics"].as_array().unwrap();
        let errors = diags.iter().filter(|d| d["severity"] == "error").count();
        assert_eq!(report["summary"]["errors"], errors);
        assert_eq!(report["summary"]["warnings"], diags.len() - errors);
        errors_seen += errors;
        warnings_seen += diags.len() - errors;
        counterexamples += diags
            .iter()
            .filter(|d| d.get("counterexample").is_some())
            .count();
    }
    assert!(errors_seen > 0 && warnings_seen > 0 && counterexamples > 0);
}

fn a_decision() -> Value {
    let policy = compile(Path::new("policies/inbound_offers.pol")).unwrap();
    let d = pol::Engine::new(policy).evaluate_json("{}", None).unwrap();
    serde_json::to_value(d).unwrap()
}

/// Makes a valid document invalid.
type Spoil = Box<dyn Fn(&mut Value)>;

#[test]
fn the_decision_schema_rejects_what_pol_never_writes() {
    let v = Eval::new();
    let good = a_decision();
    v.decision(&good, "unchanged");
    let broken: Vec<(&str, Spoil)> = vec![
        (
            "a misspelled verdict",
            Box::new(|d| d["actions"][0]["verdict"] = json!("requried")),
        ),
        (
            "a missing required key",
            Box::new(|d| {
                d.as_object_mut().unwrap().remove("complete");
            }),
        ),
        (
            "an unknown key",
            Box::new(|d| d["validity"]["colour"] = json!("red")),
        ),
        (
            "another schema version",
            Box::new(|d| d["schema_version"] = json!("2.0")),
        ),
        (
            "an undecided reason outside the set",
            Box::new(|d| d["actions"][0]["reason"] = json!("maybe")),
        ),
        (
            "a null where a list is required",
            Box::new(|d| d["pending"] = Value::Null),
        ),
        (
            "an evaluation time that is not a date-time",
            Box::new(|d| d["at"] = json!("tomorrow")),
        ),
    ];
    for (what, spoil) in broken {
        let mut d = good.clone();
        spoil(&mut d);
        assert!(!v.any.is_valid(&d), "the schema accepts {what}");
    }
}

#[test]
fn the_diagnostics_schema_rejects_what_pol_never_writes() {
    let v = validator(&diagnostics_schema());
    let good = check_json(&["tests/fixtures/broken.pol"]);
    assert!(v.is_valid(&good));
    let mut bad = good.clone();
    bad["diagnostics"][0]["severity"] = json!("fatal");
    assert!(!v.is_valid(&bad), "a severity outside the set");
    let mut bad = good.clone();
    bad.as_object_mut().unwrap().remove("summary");
    assert!(!v.is_valid(&bad), "no summary");
    assert!(!v.is_valid(&json!([])), "the old array form");
}

#[test]
fn the_schemas_are_draft_2020_12_and_match_the_openapi_components() {
    let components = serde_json::to_value(openapi_components()).unwrap();
    for (schema, id) in [
        (decision_schema(), "urn:pol:decision:1.1"),
        (diagnostics_schema(), "urn:pol:diagnostics:1.1"),
    ] {
        jsonschema::meta::validate(&schema).unwrap();
        assert_eq!(schema["$id"], id);
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(
            schema["$defs"]["SchemaVersion"]["const"],
            json!(SCHEMA_VERSION)
        );
        let text = schema.to_string();
        assert!(
            !text.contains("#/components/"),
            "a reference left unrewritten"
        );
        for name in schema["$defs"].as_object().unwrap().keys() {
            assert!(
                components["schemas"].get(name).is_some(),
                "{name} is not among the OpenAPI components"
            );
        }
    }
    // The closed sets are enums; the objects pol writes are closed.
    let s = decision_schema();
    assert_eq!(
        s["$defs"]["Verdict"]["enum"],
        json!(["required", "allowed", "forbidden", "undecided"])
    );
    assert_eq!(s["$defs"]["Decision"]["additionalProperties"], json!(false));
    // Optional fields left out when empty are not required.
    let required = s["$defs"]["ActionOut"]["required"].as_array().unwrap();
    assert!(!required.contains(&json!("reason")));
    assert!(!required.contains(&json!("waiting_on")));
    // A ticket field's value is a separate, optional answer beside its status.
    let field = &s["$defs"]["FieldOut"];
    let required = field["required"].as_array().unwrap();
    for key in ["value", "value_reason", "value_waiting_on"] {
        assert!(field["properties"].get(key).is_some(), "{key}");
        assert!(!required.contains(&json!(key)), "{key}");
    }
}

#[test]
fn pol_schema_prints_the_schemas_and_refuses_ambiguity() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_pol"))
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["schema", "--decision"]);
    assert_eq!(out.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, decision_schema());
    let out = run(&["schema", "--diagnostics"]);
    assert_eq!(out.status.code(), Some(0));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, diagnostics_schema());
    for bad in [
        &["schema"][..],
        &["schema", "--decision", "--diagnostics"],
        &["schema", "policies/callback.pol", "--decision"],
    ] {
        let out = run(bad);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(out.stdout.is_empty());
        assert!(!out.stderr.is_empty());
    }
}
