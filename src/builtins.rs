//! The built-in functions of the language, shared by the checker and the interpreter.

/// The longest text, in characters, that `edit_distance` compares: the work
/// grows with the product of the two lengths.
pub const EDIT_DISTANCE_MAX_CHARS: usize = 1_000;

/// Levenshtein distance in characters; `None` when either text is longer than
/// [`EDIT_DISTANCE_MAX_CHARS`] (evaluation then reports that it cannot compute it).
pub fn edit_distance(a: &str, b: &str) -> Option<usize> {
    if longer_than(a, EDIT_DISTANCE_MAX_CHARS) || longer_than(b, EDIT_DISTANCE_MAX_CHARS) {
        return None;
    }
    Some(levenshtein(a, b))
}

/// Whether `text` has more than `n` characters, without counting past `n + 1`.
fn longer_than(text: &str, n: usize) -> bool {
    text.len() > n && text.chars().nth(n).is_some()
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Only the digits of a text: `"+62 811-111"` → `"62811111"`.
pub fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_of_short_texts() {
        assert_eq!(edit_distance("kitten", "sitting"), Some(3));
        assert_eq!(edit_distance("", "abc"), Some(3));
    }

    #[test]
    fn texts_over_the_limit_are_not_compared() {
        let long = "a".repeat(EDIT_DISTANCE_MAX_CHARS + 1);
        let max = "a".repeat(EDIT_DISTANCE_MAX_CHARS);
        assert_eq!(edit_distance(&long, "a"), None);
        assert_eq!(edit_distance("a", &long), None);
        assert_eq!(edit_distance(&max, ""), Some(EDIT_DISTANCE_MAX_CHARS));
        // Multi-byte characters count as one each.
        let wide = "é".repeat(EDIT_DISTANCE_MAX_CHARS);
        assert_eq!(edit_distance(&wide, ""), Some(EDIT_DISTANCE_MAX_CHARS));
    }
}
