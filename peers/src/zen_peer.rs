//! ZEN: the covered part as a JDM decision graph (encodings/dm_verification.jdm.json),
//! run by zen-engine: an expression node for the derived facts and the rules,
//! then decision tables for the verdicts, the questions and the outcomes.

use crate::answer::{Answer, Verdict, ACTIONS};
use std::sync::Arc;
use zen_engine::model::GraphContent;
use zen_engine::{Decision, Variable};

pub const SOURCE: &str = include_str!("../encodings/dm_verification.jdm.json");

pub struct ZenPeer {
    decision: Decision,
    runtime: tokio::runtime::Runtime,
}

impl ZenPeer {
    pub fn new() -> Result<ZenPeer, String> {
        let content: GraphContent = serde_json::from_str(SOURCE).map_err(|e| e.to_string())?;
        let mut decision = Decision::from(Arc::new(content));
        decision.validate().map_err(|e| e.to_string())?;
        decision.compile();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(ZenPeer { decision, runtime })
    }

    /// JSON text → the ZEN input variable.
    pub fn input(&self, case_json: &str) -> Variable {
        serde_json::from_str(case_json).expect("ZEN reads the case")
    }

    /// JSON text → ZEN variable → the decision graph → the answer.
    pub fn answer(&self, case_json: &str) -> Answer {
        let input = self.input(case_json);
        let response = self
            .runtime
            .block_on(self.decision.evaluate(input))
            .unwrap_or_else(|e| panic!("ZEN evaluation failed: {e}"));
        read_answer(&response.result)
    }
}

fn read_answer(result: &Variable) -> Answer {
    let mut answer = Answer::default();
    if let Some(asked) = result.dot("ask").and_then(|v| v.as_array()) {
        for q in asked.borrow().iter() {
            let id = q.as_str().expect("a question id");
            assert!(answer.ask(id), "ZEN asks an unknown question {id}");
        }
    }
    for (i, a) in ACTIONS.iter().enumerate() {
        let v = result.dot(a).unwrap_or_else(|| panic!("ZEN gives no {a}"));
        let v = v.as_str().unwrap_or_default();
        answer.verdicts[i] = Verdict::parse(v).unwrap_or_else(|| panic!("ZEN verdict {v}"));
    }
    answer.say_kata_kunci_pj = result
        .dot("say_kata_kunci_pj")
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    answer.dispen = result.dot("dispen").and_then(|v| v.as_bool());
    answer.bisa_jadi_dm = result.dot("bisa_jadi_dm").and_then(|v| v.as_bool());
    answer
}
