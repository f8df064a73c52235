//! CEL: the covered part as a list of CEL programs (encodings/dm_verification.cel).
//! The case record's fields are CEL variables; each `name := expression` entry
//! is one program whose result becomes a variable for the entries after it; the
//! last entry, `answer`, returns a map with every output.

use crate::answer::{Answer, Verdict, ACTIONS, QUESTIONS};
use cel::objects::Key;
use cel::{Context, Env, Program, Value};
use std::sync::Arc;

pub const SOURCE: &str = include_str!("../encodings/dm_verification.cel");

pub struct CelPeer {
    /// Made once, as a CEL user would: each case's variables go into a child
    /// scope of it, so nothing of the environment is rebuilt per case.
    root: Context<'static, 'static>,
    /// Every entry but the last, in order.
    variables: Vec<(String, Program)>,
    answer: Program,
    /// The keys of the `answer` map: one per question, one per action, then
    /// `say_kata_kunci_pj`, `dispen` and `bisa_jadi_dm`.
    keys: Vec<Key>,
}

/// Splits the source into `name := expression` entries. An entry runs until the
/// next line that starts a new entry; lines starting with `//` are comments.
fn entries(source: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in source.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") || trimmed.is_empty() {
            continue;
        }
        let starts_entry = !line.starts_with(char::is_whitespace) && line.contains(":=");
        if starts_entry {
            let (name, expr) = line.split_once(":=").expect("checked above");
            out.push((name.trim().to_string(), expr.trim().to_string()));
        } else {
            let last = out
                .last_mut()
                .ok_or_else(|| format!("a continuation line before any entry: {line}"))?;
            last.1.push('\n');
            last.1.push_str(line);
        }
    }
    Ok(out)
}

impl CelPeer {
    pub fn new() -> Result<CelPeer, String> {
        let env = Arc::new(Env::stdlib());
        let mut programs = Vec::new();
        for (name, expr) in entries(SOURCE)? {
            let program = env
                .compile(&expr)
                .map_err(|e| format!("CEL entry `{name}`: {e}"))?;
            programs.push((name, program));
        }
        let (last, answer) = programs.pop().ok_or("no CEL entries")?;
        if last != "answer" {
            return Err(format!("the last CEL entry is `{last}`, not `answer`"));
        }
        let keys = QUESTIONS
            .iter()
            .map(|q| format!("ask_{q}"))
            .chain(ACTIONS.iter().map(|a| a.to_string()))
            .chain(["say_kata_kunci_pj", "dispen", "bisa_jadi_dm"].map(String::from))
            .map(Key::from)
            .collect();
        Ok(CelPeer {
            root: Context::with_env(env),
            variables: programs,
            answer,
            keys,
        })
    }

    /// JSON text → a child scope of the root context with one variable per field
    /// of the case.
    pub fn input(&self, case_json: &str) -> Context<'_, 'static> {
        let case: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(case_json).expect("the case is a JSON object");
        let mut context = self.root.new_inner_scope();
        for (name, value) in case {
            context
                .add_variable(name, value)
                .expect("a JSON value is a CEL value");
        }
        context
    }

    /// JSON text → CEL variables → the programs in order → the answer.
    pub fn answer(&self, case_json: &str) -> Answer {
        let mut context = self.input(case_json);
        for (name, program) in &self.variables {
            let value = program
                .execute(&context)
                .unwrap_or_else(|e| panic!("CEL entry `{name}`: {e}"));
            context.add_variable_from_value(name.as_str(), value);
        }
        let result = self.answer.execute(&context).expect("CEL entry `answer`");
        self.read_answer(&result)
    }

    fn read_answer(&self, value: &Value) -> Answer {
        let Value::Map(map) = value else {
            panic!("CEL `answer` is not a map: {value:?}");
        };
        let get = |i: usize| {
            map.map
                .get(&self.keys[i])
                .unwrap_or_else(|| panic!("CEL `answer` has no {:?}", self.keys[i]))
        };
        let flag = |i: usize| matches!(get(i), Value::Bool(true));
        let outcome = |i: usize| match get(i) {
            Value::Bool(b) => Some(*b),
            _ => None,
        };
        let q = QUESTIONS.len();
        let a = ACTIONS.len();
        let mut answer = Answer::default();
        for (i, asked) in answer.asked.iter_mut().enumerate() {
            *asked = flag(i);
        }
        for (i, verdict) in answer.verdicts.iter_mut().enumerate() {
            *verdict = match get(q + i) {
                Value::String(s) => Verdict::parse(s).unwrap_or_else(|| panic!("CEL verdict {s}")),
                other => panic!("CEL verdict of {} is {other:?}", ACTIONS[i]),
            };
        }
        answer.say_kata_kunci_pj = flag(q + a);
        answer.dispen = outcome(q + a + 1);
        answer.bisa_jadi_dm = outcome(q + a + 2);
        answer
    }
}
