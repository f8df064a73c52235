//! Cedar: the covered part as a Cedar policy set (encodings/dm_verification.cedar).
//! The case record is the request context; one authorization request per output.

use crate::answer::{Answer, Verdict, ACTIONS, QUESTIONS};
use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicyId, PolicySet, Request, Response,
};
use std::collections::HashSet;
use std::str::FromStr;

pub const SOURCE: &str = include_str!("../encodings/dm_verification.cedar");

pub struct CedarPeer {
    policies: PolicySet,
    authorizer: Authorizer,
    entities: Entities,
    agent: EntityUid,
    ask: EntityUid,
    perform: EntityUid,
    say: EntityUid,
    set: EntityUid,
    questions: Vec<EntityUid>,
    acts: Vec<EntityUid>,
    kata_kunci_pj: EntityUid,
    dispen_true: EntityUid,
    dispen_false: EntityUid,
    bisa_jadi_dm_false: EntityUid,
    /// Policies annotated `@effect("open")` (forbid) and `@effect("require")` (permit).
    open: HashSet<PolicyId>,
    require: HashSet<PolicyId>,
}

fn uid(type_name: &str, id: &str) -> EntityUid {
    EntityUid::from_str(&format!("{type_name}::\"{id}\"")).expect("a valid entity uid")
}

impl CedarPeer {
    pub fn new() -> Result<CedarPeer, String> {
        let policies = PolicySet::from_str(SOURCE).map_err(|e| format!("{e:?}"))?;
        let with_effect = |effect: &str| -> HashSet<PolicyId> {
            policies
                .policies()
                .filter(|p| p.annotation("effect") == Some(effect))
                .map(|p| p.id().clone())
                .collect()
        };
        let open = with_effect("open");
        let require = with_effect("require");
        Ok(CedarPeer {
            authorizer: Authorizer::new(),
            entities: Entities::empty(),
            agent: uid("Agent", "agent"),
            ask: uid("Action", "ask"),
            perform: uid("Action", "perform"),
            say: uid("Action", "say"),
            set: uid("Action", "set"),
            questions: QUESTIONS.iter().map(|q| uid("Question", q)).collect(),
            acts: ACTIONS.iter().map(|a| uid("Act", a)).collect(),
            kata_kunci_pj: uid("Script", "kata_kunci_pj"),
            dispen_true: uid("Outcome", "dispen=true"),
            dispen_false: uid("Outcome", "dispen=false"),
            bisa_jadi_dm_false: uid("Outcome", "bisa_jadi_dm=false"),
            open,
            require,
            policies,
        })
    }

    fn request(&self, context: &Context, action: &EntityUid, resource: &EntityUid) -> Response {
        let request = Request::new(
            self.agent.clone(),
            action.clone(),
            resource.clone(),
            context.clone(),
            None,
        )
        .expect("a request without schema is valid");
        self.authorizer
            .is_authorized(&request, &self.policies, &self.entities)
    }

    /// JSON text → the Cedar request context.
    pub fn input(&self, case_json: &str) -> Context {
        Context::from_json_str(case_json, None).expect("Cedar reads the case")
    }

    /// Runs every request of one case; `on_response` sees each response.
    fn run(&self, case_json: &str, mut on_response: impl FnMut(&Response)) -> Answer {
        let context = self.input(case_json);
        let mut answer = Answer::default();
        let mut allowed = |action: &EntityUid, resource: &EntityUid| {
            let r = self.request(&context, action, resource);
            on_response(&r);
            (r.decision() == Decision::Allow, r)
        };
        for (i, q) in self.questions.iter().enumerate() {
            answer.asked[i] = allowed(&self.ask, q).0;
        }
        for (i, a) in self.acts.iter().enumerate() {
            let (allow, r) = allowed(&self.perform, a);
            let mut reasons = r.diagnostics().reason();
            answer.verdicts[i] = if allow {
                if reasons.any(|id| self.require.contains(id)) {
                    Verdict::Required
                } else {
                    Verdict::Allowed
                }
            } else {
                let reasons: Vec<&PolicyId> = reasons.collect();
                if reasons.is_empty() || reasons.iter().any(|id| self.open.contains(*id)) {
                    Verdict::Undecided
                } else {
                    Verdict::Forbidden
                }
            };
        }
        answer.say_kata_kunci_pj = allowed(&self.say, &self.kata_kunci_pj).0;
        answer.dispen = if allowed(&self.set, &self.dispen_false).0 {
            Some(false)
        } else if allowed(&self.set, &self.dispen_true).0 {
            Some(true)
        } else {
            None
        };
        answer.bisa_jadi_dm = allowed(&self.set, &self.bisa_jadi_dm_false)
            .0
            .then_some(false);
        answer
    }

    /// JSON text → Cedar context → one request per output → the answer.
    pub fn answer(&self, case_json: &str) -> Answer {
        self.run(case_json, |_| {})
    }

    /// The evaluation errors Cedar reports for a case (none expected).
    pub fn errors(&self, case_json: &str) -> Vec<String> {
        let mut errors = Vec::new();
        self.run(case_json, |r| {
            errors.extend(r.diagnostics().errors().map(|e| e.to_string()))
        });
        errors
    }
}
