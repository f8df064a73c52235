//! pest's "expected rule_x" errors, translated into words a policy owner knows.

use super::error::SyntaxError;
use super::grammar::Rule;
use crate::span::Span;
use pest::error::{Error, ErrorVariant, InputLocation};

/// Turns a pest error on `source[offset..]` into a [`SyntaxError`] on `source`.
pub fn translate(source: &str, offset: usize, error: &Error<Rule>) -> SyntaxError {
    let pos = offset
        + match error.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((s, _)) => s,
        };
    let pos = pos.min(source.len());
    let rest = source.get(pos..).unwrap_or("");
    let found_word = token_at(rest);
    let span = Span::new(
        pos,
        pos + found_word
            .len()
            .max(usize::from(!rest.is_empty()) * first_char_len(rest)),
    );
    let positives: Vec<Rule> = match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => positives.clone(),
        ErrorVariant::CustomError { .. } => Vec::new(),
    };

    if let Some(op) = ["&&", "||"].iter().find(|op| rest.starts_with(**op)) {
        let instead = if *op == "&&" { "and" } else { "or" };
        return SyntaxError::ForeignOperator {
            span: Span::new(pos, pos + 2),
            found: op.to_string(),
            instead,
        };
    }
    if (positives.contains(&Rule::ident) || positives.contains(&Rule::fact_decl))
        && is_keyword(&found_word)
    {
        return SyntaxError::ReservedWord {
            span,
            word: found_word,
        };
    }
    if positives.contains(&Rule::header)
        || (positives.contains(&Rule::kw_policy)
            && source.get(..pos).is_some_and(|b| {
                b.lines()
                    .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
            }))
    {
        return SyntaxError::MissingHeader { span };
    }

    let mut expected: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !expected.contains(&s) {
            expected.push(s);
        }
    };
    let declaration_rules = positives.iter().filter(|r| is_declaration(**r)).count();
    if declaration_rules >= 3 {
        push("a declaration (`rule`, `question`, `action`, `example`, …)".into());
    }
    let effect_rules = positives.iter().filter(|r| is_effect(**r)).count();
    if effect_rules >= 3 {
        push(
            "an effect (`ask`, `require`, `allow`, `forbid`, `say`, `set`, `due` or `open`)".into(),
        );
    }
    for r in &positives {
        if (declaration_rules >= 3 && is_declaration(*r)) || (effect_rules >= 3 && is_effect(*r)) {
            continue;
        }
        if let Some(p) = phrase(*r) {
            push(p);
        }
    }
    let found = if rest.is_empty() {
        String::new()
    } else {
        format!("`{found_word}`")
    };
    SyntaxError::Unexpected {
        span,
        expected,
        found,
        after: previous_word(source, pos),
    }
}

fn first_char_len(s: &str) -> usize {
    s.chars().next().map_or(0, char::len_utf8)
}

/// The word or symbol at the start of `rest`.
fn token_at(rest: &str) -> String {
    let word: String = rest
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if !word.is_empty() {
        return word;
    }
    rest.chars().next().map(String::from).unwrap_or_default()
}

/// The keyword right before `pos` (skipping blanks), quoted, if there is one.
fn previous_word(source: &str, pos: usize) -> Option<String> {
    let before = source.get(..pos)?.trim_end();
    let word: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    is_keyword(&word).then(|| format!("`{word}`"))
}

fn is_keyword(word: &str) -> bool {
    matches!(
        word,
        "and"
            | "or"
            | "not"
            | "in"
            | "is"
            | "true"
            | "false"
            | "now"
            | "today"
            | "when"
            | "then"
            | "unanswered"
            | "answered"
            | "overrides"
            | "quote"
            | "policy"
            | "enum"
            | "case"
            | "let"
            | "question"
            | "action"
            | "field"
            | "script"
            | "outcome"
            | "deadline"
            | "rule"
            | "table"
            | "example"
            | "calendar"
            | "ask"
            | "require"
            | "allow"
            | "forbid"
            | "say"
            | "set"
            | "due"
            | "open"
            | "required"
            | "allowed"
            | "forbidden"
            | "undecided"
            | "given"
            | "expect"
            | "within"
            | "after"
            | "by"
            | "sensitive"
            | "assume"
    )
}

fn is_declaration(r: Rule) -> bool {
    matches!(
        r,
        Rule::enum_decl
            | Rule::case_decl
            | Rule::let_decl
            | Rule::question_decl
            | Rule::action_decl
            | Rule::field_decl
            | Rule::script_decl
            | Rule::outcome_decl
            | Rule::deadline_decl
            | Rule::calendar_decl
            | Rule::rule_decl
            | Rule::table_decl
            | Rule::example_decl
    )
}

fn is_effect(r: Rule) -> bool {
    matches!(
        r,
        Rule::ask_eff
            | Rule::require_eff
            | Rule::allow_eff
            | Rule::forbid_eff
            | Rule::say_eff
            | Rule::set_eff
            | Rule::due_eff
            | Rule::open_eff
    )
}

fn phrase(r: Rule) -> Option<String> {
    let s = match r {
        Rule::EOI => "the end of the file",
        Rule::ident | Rule::reference | Rule::name_list | Rule::header_cell => "a name",
        Rule::text | Rule::string => "a text in double quotes",
        Rule::expr
        | Rule::or_expr
        | Rule::and_expr
        | Rule::not_expr
        | Rule::cmp_expr
        | Rule::sum
        | Rule::product
        | Rule::unary
        | Rule::paren
        | Rule::call_args
        | Rule::list_lit
        | Rule::given_value => "a value or a condition",
        Rule::cmp_op => "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
        Rule::or_op | Rule::and_op => "`and` or `or`",
        Rule::add_op | Rule::mul_op => "an arithmetic operator",
        Rule::in_test => "`in`",
        Rule::is_test => "`is`",
        Rule::type_ref | Rule::list_type => "a type (`bool`, `int`, `decimal`, `text`, `date`, `datetime`, `time`, `duration`, an enum name or `list of …`)",
        Rule::date_lit => "a date such as `2025-06-30`",
        Rule::time_lit => "a time of day such as `19:01`",
        Rule::datetime_lit => "a date and time such as `2025-04-29T10:30+07:00`",
        Rule::int_lit => "a whole number",
        Rule::decimal_lit => "a number",
        Rule::duration_lit | Rule::duration_unit => "a duration such as `30 minutes`",
        Rule::source_file_field => "`source file \"…\"`",
        Rule::header_field | Rule::meta_field | Rule::meta_key => {
            "a header line (`title`, `source`, `source file`, `owner`, `version`, `language`, `valid`, `status`)"
        }
        Rule::valid_from | Rule::kw_from => "`from`",
        Rule::valid_until | Rule::kw_until => "`until`",
        Rule::fact_decl => "a fact such as `recipient: Recipient`",
        Rule::enum_variant => "a value name",
        Rule::fact_ask => "`ask`",
        Rule::fact_sensitive => "`sensitive`",
        Rule::must_be_correct => "`must be correct`",
        Rule::own_words | Rule::kw_own | Rule::kw_words => "`own words`",
        Rule::must_decide => "`must decide`",
        Rule::action_default | Rule::outcome_default => "`default`",
        Rule::script_limit => "`max N characters`",
        Rule::over_limit => "`over limit \"…\"`",
        Rule::quote_clause => "`quote`",
        Rule::assume_clause | Rule::kw_assume => "`assume \"…\"`",
        Rule::when_clause => "`when`",
        Rule::then_clause => "`then`",
        Rule::overrides => "`overrides`",
        Rule::hit_clause => "`hit`",
        Rule::valid_field => "`valid`",
        Rule::table_header | Rule::table_row | Rule::pipe => "a table line starting with `|`",
        Rule::table_sep => "a separator line `|---|`",
        Rule::in_cell | Rule::cell_test | Rule::cell_cmp | Rule::cell_range => "a cell value (a value, `-`, `not …`, `< 3`, `1 .. 2`)",
        Rule::out_cell => "a result cell (a value, `required`, `allowed`, `forbidden`, `ask`, `say` or `-`)",
        Rule::any_cell => "`-`",
        Rule::arrow => "`=>` between the condition columns and the result columns",
        Rule::calendar_zone | Rule::kw_zone => "`zone`",
        Rule::calendar_open => "`open DAY .. DAY HH:MM .. HH:MM`",
        Rule::calendar_closed | Rule::kw_closed => "`closed`",
        Rule::weekday_span => "a day of the week such as `monday`",
        Rule::example_at => "`at`",
        Rule::given_block => "`given { … }`",
        Rule::expect_block => "`expect { … }`",
        Rule::given_item => "a fact and its value, such as `recipient: payer`",
        Rule::exp_complete
        | Rule::exp_pending
        | Rule::exp_not
        | Rule::exp_ask
        | Rule::exp_say
        | Rule::exp_require
        | Rule::exp_due
        | Rule::exp_value
        | Rule::exp_verdict => "an expectation such as `offer allowed` or `ask pj`",
        Rule::verdict => "`required`, `allowed` or `forbidden`",
        Rule::due_within | Rule::kw_within => "`within`",
        Rule::due_by | Rule::kw_by => "`by`",
        Rule::kw_after => "`after`",
        Rule::dotdot => "`..`",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::comma => "`,`",
        Rule::colon => "`:`",
        Rule::semicolon => "`;`",
        Rule::assign => "`=`",
        Rule::eq_eq => "`==`",
        Rule::kw_of => "`of`",
        Rule::kw_characters => "`characters`",
        Rule::kw_over => "`over`",
        Rule::kw_limit => "`limit`",
        Rule::kw_be => "`be`",
        Rule::kw_correct => "`correct`",
        Rule::header => "`policy`",
        Rule::kw_working | Rule::WS => return None,
        Rule::item_only => "a declaration (`rule`, `question`, `action`, `example`, …)",
        other => {
            let name = format!("{other:?}");
            return name.strip_prefix("kw_").map(|w| format!("`{w}`"));
        }
    };
    Some(s.to_string())
}
