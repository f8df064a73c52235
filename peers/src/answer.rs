//! The answer every engine must give for a case: the outputs of the covered
//! part of `dm_verification`, and how to read them from pol's Decision JSON.

use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt;

/// The questions of the policy, in declaration order.
pub const QUESTIONS: [&str; 6] = [
    "pj_pemilik",
    "pj",
    "q6a_tempat_bayar",
    "q6a_jumlah_tagihan",
    "q6b",
    "relasi",
];

/// The actions of the policy, in declaration order.
pub const ACTIONS: [&str; 5] = [
    "penawaran",
    "hubungi_cp",
    "konfirmasi_pj_atau_6b",
    "tawarkan_fastel_lain",
    "hubungi_cp_fastel_lain",
];

/// An action's verdict, as pol's Decision names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Verdict {
    Required,
    Allowed,
    Forbidden,
    #[default]
    Undecided,
}

impl Verdict {
    pub fn parse(text: &str) -> Option<Verdict> {
        match text {
            "required" => Some(Verdict::Required),
            "allowed" => Some(Verdict::Allowed),
            "forbidden" => Some(Verdict::Forbidden),
            "undecided" => Some(Verdict::Undecided),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Required => "required",
            Verdict::Allowed => "allowed",
            Verdict::Forbidden => "forbidden",
            Verdict::Undecided => "undecided",
        }
    }
}

/// Every output of the covered part for one case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Answer {
    /// `asked[i]`: question `QUESTIONS[i]` has the status `ask`.
    pub asked: [bool; QUESTIONS.len()],
    /// `verdicts[i]`: the verdict of action `ACTIONS[i]`.
    pub verdicts: [Verdict; ACTIONS.len()],
    /// The script `kata_kunci_pj` has the status `say`.
    pub say_kata_kunci_pj: bool,
    /// The outcome `dispen` (`None`: unset).
    pub dispen: Option<bool>,
    /// The outcome `bisa_jadi_dm` (`None`: unset).
    pub bisa_jadi_dm: Option<bool>,
}

impl Answer {
    /// Marks question `id` as asked; `false` when the policy has no such question.
    pub fn ask(&mut self, id: &str) -> bool {
        match QUESTIONS.iter().position(|q| *q == id) {
            Some(i) => {
                self.asked[i] = true;
                true
            }
            None => false,
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let asked: Vec<&str> = QUESTIONS
            .iter()
            .zip(self.asked)
            .filter(|(_, a)| *a)
            .map(|(q, _)| *q)
            .collect();
        write!(f, "ask [{}]", asked.join(", "))?;
        for (a, v) in ACTIONS.iter().zip(self.verdicts) {
            write!(f, "; {a} {}", v.as_str())?;
        }
        write!(f, "; say kata_kunci_pj {}", self.say_kata_kunci_pj)?;
        let show = |o: Option<bool>| o.map_or("unset".to_string(), |b| b.to_string());
        write!(
            f,
            "; dispen {}; bisa_jadi_dm {}",
            show(self.dispen),
            show(self.bisa_jadi_dm)
        )
    }
}

/// Reads the answer from pol's Decision JSON text.
pub fn from_pol_decision(decision_json: &[u8]) -> Result<Answer, String> {
    let d: Value = serde_json::from_slice(decision_json).map_err(|e| e.to_string())?;
    let mut answer = Answer::default();
    for q in array(&d, "questions")? {
        if q["status"] == "ask" {
            let id = q["id"].as_str().ok_or("a question without id")?;
            if !answer.ask(id) {
                return Err(format!("unknown question {id}"));
            }
        }
    }
    for a in array(&d, "actions")? {
        let id = a["id"].as_str().ok_or("an action without id")?;
        let i = ACTIONS
            .iter()
            .position(|x| *x == id)
            .ok_or_else(|| format!("unknown action {id}"))?;
        let v = a["verdict"].as_str().unwrap_or_default();
        answer.verdicts[i] = Verdict::parse(v).ok_or_else(|| format!("unknown verdict {v}"))?;
    }
    answer.say_kata_kunci_pj = array(&d, "scripts")?
        .iter()
        .any(|s| s["id"] == "kata_kunci_pj" && s["status"] == "say");
    answer.dispen = d["outcomes"]["dispen"].as_bool();
    answer.bisa_jadi_dm = d["outcomes"]["bisa_jadi_dm"].as_bool();
    Ok(answer)
}

/// The rules named in any `because` of pol's Decision JSON text.
pub fn rules_in_decision(decision_json: &[u8]) -> BTreeSet<String> {
    fn walk(v: &Value, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, x) in m {
                    if k == "because" {
                        for b in x.as_array().into_iter().flatten() {
                            if let Some(r) = b["rule"].as_str() {
                                out.insert(r.to_string());
                            }
                        }
                    } else {
                        walk(x, out);
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    if let Ok(d) = serde_json::from_slice::<Value>(decision_json) {
        walk(&d, &mut out);
    }
    out
}

fn array<'a>(d: &'a Value, key: &str) -> Result<&'a Vec<Value>, String> {
    d[key]
        .as_array()
        .ok_or_else(|| format!("the Decision has no array `{key}`"))
}
