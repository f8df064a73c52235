//! `pol ask`: a guided call. Asks the pending questions one at a time, shows
//! what the agent must do after each answer, and can save the walkthrough as
//! an `example`.

use super::output::{errln, out, outln};
use crate::check::ir::{FactDef, Policy};
use crate::eval::decision::{
    Decision, FieldOut, FieldStatus, QuestionStatus, ScriptStatus, UndecidedReason, Verdict,
};
use crate::eval::Engine;
use crate::types::Type;
use serde_json::Value as J;
use std::io::{BufRead, IsTerminal, Write};

/// A typed answer longer than this ends the walkthrough (exit 2).
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

pub struct AskOptions {
    pub at: Option<i64>,
    pub start: serde_json::Map<String, J>,
    pub save_case: Option<std::path::PathBuf>,
    pub save_decision: Option<std::path::PathBuf>,
    pub save_example: Option<std::path::PathBuf>,
    pub example_name: Option<String>,
}

/// One answer as the agent gave it.
enum Answer {
    Value(J),
    /// The customer does not know or refuses: recorded as `null`, never asked again.
    Unanswered,
    Back,
    Quit,
}

pub fn run(engine: &Engine, opts: AskOptions) -> i32 {
    let policy = engine.policy();
    let mut evaluator = engine.evaluator();
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    let mut case = opts.start.clone();
    let mut history: Vec<String> = Vec::new();
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let decision = loop {
        let d = match evaluator.evaluate_json(&J::Object(case.clone()).to_string(), opts.at) {
            Ok(d) => d,
            Err(e) => {
                errln(format_args!("error[{}]: {}", e.code, e.message), 2);
                return 2;
            }
        };
        out(status(&d), 0);
        let Some(next) = d.pending.first() else {
            break d;
        };
        let Some(fact) = policy.facts.iter().find(|f| f.name == next.fact) else {
            break d;
        };
        let answer = if interactive {
            prompt_tty(policy, fact)
        } else {
            match prompt_line(policy, fact, &mut input) {
                Ok(a) => a,
                Err(message) => {
                    errln(format_args!("error: {message}"), 2);
                    return 2;
                }
            }
        };
        match answer {
            Answer::Value(v) => {
                case.insert(fact.name.clone(), v);
                history.push(fact.name.clone());
            }
            Answer::Unanswered => {
                case.insert(fact.name.clone(), J::Null);
                history.push(fact.name.clone());
            }
            Answer::Back => {
                if let Some(last) = history.pop() {
                    case.remove(&last);
                } else {
                    outln("(nothing to go back to)", 0);
                }
            }
            Answer::Quit => {
                let d = evaluator.evaluate_json(&J::Object(case.clone()).to_string(), opts.at);
                match d {
                    Ok(d) => break d,
                    Err(_) => return 2,
                }
            }
        }
    };
    let case_json = serde_json::to_string_pretty(&J::Object(case.clone())).unwrap_or_default();
    outln(format_args!("\ncase:\n{case_json}"), 0);
    outln(format_args!("\n{}", super::human::decision(&decision)), 0);
    let mut code = 0;
    if let Some(p) = &opts.save_case {
        code |= save(p, &format!("{case_json}\n"), false);
    }
    if let Some(p) = &opts.save_decision {
        code |= save(p, &format!("{}\n", decision.to_json()), false);
    }
    if let Some(p) = &opts.save_example {
        let name = opts
            .example_name
            .clone()
            .unwrap_or_else(|| "walkthrough with pol ask".to_string());
        let text = example_text(policy, &name, &case, &decision, opts.at);
        code |= save(p, &text, true);
        outln(
            format_args!("saved example \"{name}\" to {}", p.display()),
            code,
        );
    }
    code
}

fn save(path: &std::path::Path, text: &str, append: bool) -> i32 {
    let result = if append {
        std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes()))
    } else {
        std::fs::write(path, text)
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            errln(format_args!("cannot write `{}`: {e}", path.display()), 2);
            2
        }
    }
}

/// What the agent must do now, in a few lines.
fn status(d: &Decision) -> String {
    let mut s = String::from("\n");
    for a in &d.actions {
        if a.verdict != Verdict::Undecided {
            s.push_str(&format!("  {:<10} {}\n", a.verdict, a.text));
        }
    }
    for q in d
        .questions
        .iter()
        .filter(|q| q.status == QuestionStatus::Ask)
    {
        s.push_str(&format!(
            "  ask        {}{}\n",
            q.text,
            if q.must_be_correct {
                " (must be answered correctly)"
            } else {
                ""
            }
        ));
    }
    for f in d
        .ticket_fields
        .iter()
        .filter(|f| f.status == FieldStatus::Required)
    {
        s.push_str(&format!("  field      {}{}\n", f.label, field_value(f)));
    }
    if d.complete {
        s.push_str("  (complete: nothing more to ask)\n");
    }
    s
}

/// What to fill a mandatory field with: the prescribed value, or what the value
/// still depends on.
fn field_value(f: &FieldOut) -> String {
    if let Some(v) = &f.value {
        return format!(" = {v}");
    }
    match f.value_reason {
        Some(UndecidedReason::Conflict) => " (value: the rules disagree)".into(),
        Some(_) if !f.value_waiting_on.is_empty() => {
            format!(" (value depends on {})", f.value_waiting_on.join(", "))
        }
        Some(r) => format!(" (value {r})"),
        None => String::new(),
    }
}

fn prompt_text(fact: &FactDef) -> String {
    fact.ask
        .clone()
        .or_else(|| fact.label.clone())
        .unwrap_or_else(|| fact.name.clone())
}

fn enum_options(policy: &Policy, fact: &FactDef) -> Vec<(String, String)> {
    match &fact.ty {
        Type::Enum(ei, _) => policy.enums[*ei]
            .variants
            .iter()
            .map(|v| {
                (
                    v.name.clone(),
                    v.label.clone().unwrap_or_else(|| v.name.clone()),
                )
            })
            .collect(),
        Type::Bool => vec![("true".into(), "yes".into()), ("false".into(), "no".into())],
        _ => Vec::new(),
    }
}

const UNKNOWN_OPTION: &str = "the customer does not know / refuses";
const BACK_OPTION: &str = "« go back";

fn prompt_tty(policy: &Policy, fact: &FactDef) -> Answer {
    let question = prompt_text(fact);
    let options = enum_options(policy, fact);
    if !options.is_empty() {
        let mut labels: Vec<String> = options
            .iter()
            .map(|(n, l)| {
                if n == l {
                    n.clone()
                } else {
                    format!("{l} ({n})")
                }
            })
            .collect();
        labels.push(UNKNOWN_OPTION.into());
        labels.push(BACK_OPTION.into());
        return match inquire::Select::new(&question, labels.clone()).prompt() {
            Ok(choice) if choice == UNKNOWN_OPTION => Answer::Unanswered,
            Ok(choice) if choice == BACK_OPTION => Answer::Back,
            Ok(choice) => {
                let i = labels.iter().position(|l| *l == choice).unwrap_or(0);
                match options.get(i) {
                    Some((n, _)) => parse_answer(policy, fact, n).unwrap_or(Answer::Quit),
                    None => Answer::Quit,
                }
            }
            Err(_) => Answer::Quit,
        };
    }
    let help = format!(
        "{} — `?` the customer does not know / refuses, `<` go back",
        fact.ty
    );
    loop {
        match inquire::Text::new(&question)
            .with_help_message(&help)
            .prompt()
        {
            Ok(input) => match parse_answer(policy, fact, &input) {
                Ok(a) => return a,
                Err(msg) => errln(msg, 0),
            },
            Err(_) => return Answer::Quit,
        }
    }
}

/// Asks on standard output and reads the answer from `input`. `Err` when an answer
/// is longer than [`MAX_ANSWER_BYTES`] (the rest of the line is not stored).
fn prompt_line(
    policy: &Policy,
    fact: &FactDef,
    input: &mut impl BufRead,
) -> Result<Answer, String> {
    loop {
        let mut text = format!("? {}\n", prompt_text(fact));
        let options = enum_options(policy, fact);
        for (i, (n, l)) in options.iter().enumerate() {
            text.push_str(&format!(
                "  {}) {l}{}\n",
                i + 1,
                if n == l {
                    String::new()
                } else {
                    format!(" ({n})")
                }
            ));
        }
        let list_hint = if matches!(fact.ty, Type::List(_)) {
            "values separated by commas, `[]` for none; "
        } else {
            ""
        };
        text.push_str(&format!(
            "  [{}; {list_hint}`?` = the customer does not know / refuses, `<` = go back]\n",
            fact.ty
        ));
        out(text, 0);
        let mut line = Vec::new();
        match super::batch::read_line(input, &mut line, MAX_ANSWER_BYTES, false) {
            Ok(Some(false)) => {}
            Ok(Some(true)) => {
                return Err(format!(
                    "the answer is longer than {MAX_ANSWER_BYTES} bytes: the walkthrough stops"
                ))
            }
            Ok(None) | Err(_) => return Ok(Answer::Quit),
        }
        let line = String::from_utf8_lossy(&line);
        match parse_answer(policy, fact, &line) {
            Ok(a) => return Ok(a),
            Err(msg) => outln(msg, 0),
        }
    }
}

/// Reads one typed answer and validates it against the case schema.
fn parse_answer(policy: &Policy, fact: &FactDef, input: &str) -> Result<Answer, String> {
    let input = input.trim();
    match input {
        "?" => return Ok(Answer::Unanswered),
        "<" => return Ok(Answer::Back),
        "" => return Err("please answer, or type `?` if the customer does not know".into()),
        _ => {}
    }
    let value = json_of(policy, &fact.ty, input)?;
    // Read exactly as the fact's value in a case record.
    match crate::eval::decode_fact(policy, fact, &value) {
        Ok(_) => Ok(Answer::Value(value)),
        Err(e) => Err(format!("not accepted: {}", e.message)),
    }
}

fn json_of(policy: &Policy, ty: &Type, input: &str) -> Result<J, String> {
    Ok(match ty {
        Type::Bool => match input.to_lowercase().as_str() {
            "y" | "yes" | "ya" | "true" | "1" | "да" => J::Bool(true),
            "n" | "no" | "tidak" | "false" | "0" | "2" | "нет" => J::Bool(false),
            _ => return Err(format!("`{input}` is not yes or no")),
        },
        Type::Int => J::from(
            input
                .parse::<i64>()
                .map_err(|_| format!("`{input}` is not a whole number"))?,
        ),
        Type::Enum(ei, _) => {
            let en = &policy.enums[*ei];
            // A number picks the choice shown with it (they are listed from 1).
            if let Ok(n) = input.parse::<usize>() {
                if let Some(v) = n.checked_sub(1).and_then(|i| en.variants.as_slice().get(i)) {
                    return Ok(J::String(v.name.clone()));
                }
            }
            let lower = input.to_lowercase();
            match en.variants.iter().find(|v| {
                v.name.to_lowercase() == lower
                    || v.label.as_ref().is_some_and(|l| l.to_lowercase() == lower)
            }) {
                Some(v) => J::String(v.name.clone()),
                None => return Err(format!("`{input}` is not one of the choices")),
            }
        }
        Type::List(_) if matches!(input, "[]" | "-" | "none") => J::Array(Vec::new()),
        Type::List(elem) => J::Array(
            input
                .split(',')
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .map(|p| json_of(policy, elem, p))
                .collect::<Result<Vec<_>, _>>()?,
        ),
        _ => J::String(input.to_string()),
    })
}

/// The walkthrough as an `example` block: the case given, the verdicts now expected.
fn example_text(
    policy: &Policy,
    name: &str,
    case: &serde_json::Map<String, J>,
    d: &Decision,
    at: Option<i64>,
) -> String {
    let mut s = format!("\nexample {} {{\n", quote(name));
    if let Some(t) = at {
        s.push_str(&format!(
            "  at {}\n",
            crate::time::format_instant(t, policy.calendar.zone.offset_at(t))
        ));
    }
    s.push_str("  given {\n");
    for f in &policy.facts {
        if let Some(v) = case.get(&f.name) {
            s.push_str(&format!("    {}: {}\n", f.name, literal(&f.ty, v)));
        }
    }
    s.push_str("  }\n  expect {\n");
    for a in &d.actions {
        s.push_str(&format!("    {} {}\n", a.id, a.verdict));
    }
    for q in d
        .questions
        .iter()
        .filter(|q| q.status == QuestionStatus::Ask)
    {
        s.push_str(&format!("    ask {}\n", q.id));
    }
    for f in d
        .ticket_fields
        .iter()
        .filter(|f| f.status == FieldStatus::Required)
    {
        s.push_str(&format!("    require {}\n", f.id));
    }
    for sc in d.scripts.iter().filter(|x| x.status == ScriptStatus::Say) {
        s.push_str(&format!("    say {}\n", sc.id));
    }
    for (id, v) in &d.outcomes {
        let ty = policy
            .outcomes
            .iter()
            .find(|o| o.name == *id)
            .map(|o| o.ty.clone())
            .unwrap_or(Type::Text);
        s.push_str(&format!("    {id} = {}\n", literal(&ty, v)));
    }
    s.push_str(if d.complete {
        "    complete\n"
    } else {
        "    not complete\n"
    });
    s.push_str("  }\n}\n");
    s
}

fn quote(t: &str) -> String {
    format!(
        "\"{}\"",
        t.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('{', "\\{")
            .replace('}', "\\}")
    )
}

/// A case value written in pol syntax.
fn literal(ty: &Type, v: &J) -> String {
    match (ty, v) {
        (_, J::Null) => "unanswered".into(),
        (Type::Text, J::String(s)) => quote(s),
        (Type::Decimal, J::String(s)) => s.clone(),
        (Type::Duration, J::String(s)) => crate::eval::parse_duration(s)
            .map(crate::time::format_duration)
            .unwrap_or_else(|| s.clone()),
        (Type::DateTime, J::String(s)) => match crate::time::parse_datetime(s) {
            Some((local, Some(off))) => crate::time::format_instant(local - i64::from(off), off),
            _ => s.clone(),
        },
        (Type::List(elem), J::Array(items)) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| literal(elem, i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (_, J::String(s)) => s.clone(),
        (_, other) => other.to_string(),
    }
}
