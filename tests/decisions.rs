//! Decisions of the shipped policies on their shipped case records, snapshotted:
//! any change in what an agent is told shows up in review.

#[test]
fn shipped_case_records_give_these_decisions() {
    let mut policies: Vec<_> = std::fs::read_dir("policies")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "pol"))
        .collect();
    policies.sort();
    let mut n = 0;
    for path in policies {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_string();
        let name = path.display().to_string();
        let src = std::fs::read_to_string(&path).unwrap();
        let policy = pol::Engine::new(pol::compile(&src, &name).unwrap().policy);
        let at = policy.policy().parse_at("2025-05-02T10:00:00+07:00");
        let mut cases: Vec<_> = std::fs::read_dir(format!("policies/cases/{stem}"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        cases.sort();
        for case in cases {
            let text = std::fs::read_to_string(&case).unwrap();
            let decision = policy.evaluate_json(&text, at).unwrap();
            let snap = format!("{stem}__{}", case.file_stem().unwrap().to_str().unwrap());
            insta::assert_snapshot!(snap, decision.to_json());
            n += 1;
        }
    }
    assert!(n >= 15, "{n} case records");
}
