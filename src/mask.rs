//! Case records with the values of `sensitive` facts masked, for decision logs.

use crate::check::ir::Policy;
use serde_json::Value as J;

/// What a sensitive value is replaced with.
pub const MASK: &str = "***";

impl Policy {
    /// The case record (a JSON object, as given to [`Engine::evaluate_json`](crate::Engine::evaluate_json))
    /// with the value of every fact marked `sensitive` replaced by `"***"`: a
    /// list as a whole. A `null` (asked, no answer) stays `null`, so the log
    /// still tells an unanswered fact from an answered one. Keys that are not
    /// facts of the policy, and anything that is not an object, are returned as
    /// they are. Evaluation never sees the masked record.
    pub fn mask_case(&self, case: &J) -> J {
        let J::Object(map) = case else {
            return case.clone();
        };
        let masked = map
            .iter()
            .map(|(key, value)| {
                let sensitive = self.facts.iter().any(|f| f.sensitive && f.name == *key);
                let value = if sensitive && !value.is_null() {
                    J::String(MASK.into())
                } else {
                    value.clone()
                };
                (key.clone(), value)
            })
            .collect();
        J::Object(masked)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    const POLICY: &str = r#"
policy p { title "P" }
case {
  nomor_cp: text sensitive "Nomor CP" ask "Nomor?"
  nama: text ask "Nama?" sensitive
  emails: list of text sensitive
  count: int ask "Berapa?"
}
action a "A"
rule r when count > 1 then require a
"#;

    fn policy() -> crate::Policy {
        crate::compile(POLICY, "p.pol")
            .unwrap_or_else(|d| panic!("{d:?}"))
            .policy
    }

    #[test]
    fn sensitive_values_are_masked_and_nothing_else() {
        let case = json!({
            "count": 3,
            "nomor_cp": "081234567890",
            "nama": null,
            "emails": ["a@example.com", "b@example.com"],
            "not_a_fact": "kept",
        });
        let masked = policy().mask_case(&case);
        assert_eq!(
            masked,
            json!({
                "count": 3,
                "nomor_cp": "***",
                "nama": null,
                "emails": "***",
                "not_a_fact": "kept",
            })
        );
        // The order of the keys is kept, as in the record.
        let keys: Vec<&String> = masked
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["count", "nomor_cp", "nama", "emails", "not_a_fact"]);
    }

    #[test]
    fn values_of_any_json_type_are_masked() {
        let policy = policy();
        for value in [
            json!(""),
            json!(12),
            json!(true),
            json!({"x": 1}),
            json!([]),
        ] {
            let masked = policy.mask_case(&json!({ "nomor_cp": value }));
            assert_eq!(masked, json!({"nomor_cp": "***"}));
        }
    }

    #[test]
    fn absent_facts_stay_absent_and_non_objects_pass_through() {
        let policy = policy();
        assert_eq!(policy.mask_case(&json!({"count": 1})), json!({"count": 1}));
        assert_eq!(
            policy.mask_case(&json!(["081234567890"])),
            json!(["081234567890"])
        );
        assert_eq!(policy.mask_case(&json!(null)), json!(null));
    }

    #[test]
    fn the_mark_is_carried_to_the_checked_fact() {
        let policy = policy();
        let marked: Vec<(&str, bool)> = policy
            .facts
            .iter()
            .map(|f| (f.name.as_str(), f.sensitive))
            .collect();
        assert_eq!(
            marked,
            [
                ("nomor_cp", true),
                ("nama", true),
                ("emails", true),
                ("count", false)
            ]
        );
    }
}
