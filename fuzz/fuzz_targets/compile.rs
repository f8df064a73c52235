//! Any bytes as a policy file: read as UTF-8, parsed, checked and analysed as
//! `pol check` does, and every diagnostic rendered for people and as JSON.
//! Nothing may panic, whatever the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

const FILE: &str = "fuzz.pol";

fuzz_target!(|data: &[u8]| {
    let src = match pol::policy_text(data.to_vec()) {
        Ok(src) => src,
        Err(bad) => {
            // E0014 is rendered against the text with the bad bytes replaced.
            let diags = [bad.diagnostic];
            let _ = pol::render::human(&diags, FILE, &bad.shown, false);
            let entries = pol::render::json(&diags, FILE, &bad.shown);
            assert!(serde_json::to_string(&entries).is_ok());
            return;
        }
    };
    let checked = pol::analysis::check_source(&src, FILE, None, &Default::default());
    let human = pol::render::human(&checked.diagnostics, FILE, &src, false);
    let entries = pol::render::json(&checked.diagnostics, FILE, &src);
    assert_eq!(entries.len(), checked.diagnostics.len());
    assert!(serde_json::to_string(&entries).is_ok());
    // A policy with errors says so.
    if checked.compiled.is_none() {
        assert!(checked.errors() > 0, "no policy and no error:\n{human}");
    }
});
