//! `span::line_col` and `span::LineIndex` against a byte-by-byte reference, on every offset of the shipped
//! policies and on edge cases (the fast version counts newlines in vectorised blocks).

use pol::span::{line_col, LineIndex};

fn reference(source: &str, offset: u32) -> (usize, usize) {
    let offset = (offset as usize).min(source.len());
    let mut line = 1;
    let mut line_start = 0;
    for (i, b) in source.bytes().enumerate().take(offset) {
        if b == b'\n' {
            line += 1;
            line_start = i + 1;
        }
    }
    let col = source
        .get(line_start..offset)
        .map(|s| s.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

#[test]
fn same_as_reference() {
    let mut sources: Vec<String> = std::fs::read_dir("policies")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "pol"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    sources.push(String::new());
    sources.push("\n".repeat(600));
    sources.push("a\r\nbé\n\nçà\r\n".repeat(100));
    for s in &sources {
        // Every offset of the small texts; a spread of offsets in the policies.
        let step = if s.len() > 10_000 { 17 } else { 1 };
        let index = LineIndex::new(s);
        for offset in (0..=(s.len() as u32 + 2)).step_by(step) {
            assert_eq!(line_col(s, offset), reference(s, offset), "offset {offset}");
            assert_eq!(
                index.line_col(s, offset),
                reference(s, offset),
                "offset {offset}"
            );
        }
    }
}
