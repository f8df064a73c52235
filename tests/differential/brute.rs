//! The brute-force side: every case of a generated policy evaluated with the
//! evaluator, and the findings the analysis must report, derived from what the
//! Decisions show.
//!
//! Which cases: every fact a condition reads ranges over values that meet
//! every region its conditions tell apart (integers compared with `0..=3`:
//! -1..=4; every enum value; both booleans; date-times on a sweep grid, see
//! [`time_points`]), and, while the number of cases stays small, `null`
//! (answered, no value) and "not given". Three-valued logic is monotone (a
//! condition true on a partial case is true on every completion; `is answered`
//! of a fact not given is unknown), so cases with facts not given add no
//! finding: they are enumerated when cheap, as a check of that argument, and
//! `null` always for facts an `is answered` reads, where it is an answer of its
//! own.

use super::generate::{Eff, Form, Item, Kind, Policy, Unit, HOUR, INT_MAX, VARIANTS};
use pol::eval::decision::{OutcomeStatus, QuestionStatus, UndecidedReason};
use pol::Decision;
use std::collections::{BTreeMap, BTreeSet};

/// The evaluation time of every case: 2025-06-01T00:00Z.
pub const T0: i64 = 1_748_736_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tri {
    T,
    F,
    U,
}

/// Whether a question is asked (T), undecided (U) or not listed (F).
pub fn asked(d: &Decision, id: &str) -> Tri {
    match d.questions.iter().find(|q| q.id == id) {
        Some(q) if q.status == QuestionStatus::Ask => Tri::T,
        Some(_) => Tri::U,
        None => Tri::F,
    }
}

/// A fact's state in one case: not given, `null`, or a JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Given {
    Absent,
    Null,
    Value(String),
}

/// One case: the record's JSON text.
pub fn case_json(p: &Policy, facts: &[(usize, Given)]) -> String {
    let mut parts = Vec::new();
    for (f, g) in facts {
        let name = &p.facts[*f].name;
        match g {
            Given::Absent => {}
            Given::Null => parts.push(format!("\"{name}\":null")),
            Given::Value(v) => parts.push(format!("\"{name}\":{v}")),
        }
    }
    format!("{{{}}}", parts.join(","))
}

fn values(kind: Kind) -> Vec<String> {
    match kind {
        Kind::Bool => vec!["true".into(), "false".into()],
        Kind::Enum => VARIANTS.iter().map(|v| format!("\"{v}\"")).collect(),
        Kind::Int => (-1..=INT_MAX + 1).map(|i| i.to_string()).collect(),
        Kind::DateTime => Vec::new(),
    }
}

/// `x < … < y` with a point at and between thresholds, and beyond either end.
fn sweep(thresholds: &BTreeSet<i64>) -> Vec<i64> {
    let t: Vec<i64> = thresholds.iter().copied().collect();
    let (Some(first), Some(last)) = (t.first(), t.last()) else {
        return vec![0];
    };
    let mut out = vec![first - HOUR];
    for (i, v) in t.iter().enumerate() {
        out.push(*v);
        if let Some(next) = t.get(i + 1) {
            out.push((v + next).div_euclid(2));
        }
    }
    out.push(last + HOUR);
    out
}

/// The date-time facts' values, as offsets from the evaluation time, that meet
/// every region of the comparisons `x - y op c` among them and `now`.
///
/// With `now` at 0, the first date-time `t` and the second `s`, the
/// comparisons are lines `t = c`, `s = c` and `s - t = c` in the plane. A sweep
/// over `t` meets every face when it stops at each line `t = c`, at each `t`
/// where an `s = c1` meets an `s - t = c2` (`t = c1 - c2`), between them and
/// beyond; at each stop, `s` stops at each of its thresholds (`c1`, `t + c2`),
/// between them and beyond.
pub fn time_points(p: &Policy, times: &[usize], given: &[bool]) -> Vec<Vec<Option<i64>>> {
    let (mut ct, mut cs, mut cst) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let t = times.first().copied();
    let s = times.get(1).copied();
    for d in &p.diffs {
        match (d.x, d.y) {
            (x, None) if x == t => {
                ct.insert(d.c);
            }
            (None, y) if y == t => {
                ct.insert(-d.c);
            }
            (x, None) if x == s => {
                cs.insert(d.c);
            }
            (None, y) if y == s => {
                cs.insert(-d.c);
            }
            (x, y) if x == s && y == t => {
                cst.insert(d.c);
            }
            (x, y) if x == t && y == s => {
                cst.insert(-d.c);
            }
            _ => {}
        }
    }
    let t_given = given.first().copied().unwrap_or(false);
    let s_given = given.get(1).copied().unwrap_or(false);
    let mut out = Vec::new();
    let t_points: Vec<Option<i64>> = if t_given {
        let mut crit = ct.clone();
        if s_given {
            for c1 in &cs {
                for c2 in &cst {
                    crit.insert(c1 - c2);
                }
            }
        }
        sweep(&crit).into_iter().map(Some).collect()
    } else {
        vec![None]
    };
    for tv in t_points {
        if times.len() < 2 {
            out.push(vec![tv]);
            continue;
        }
        let s_points: Vec<Option<i64>> = if s_given {
            let mut th = cs.clone();
            if let Some(tv) = tv {
                th.extend(cst.iter().map(|c| tv + c));
            }
            sweep(&th).into_iter().map(Some).collect()
        } else {
            vec![None]
        };
        for sv in s_points {
            out.push(vec![tv, sv]);
        }
    }
    out
}

/// Every case to evaluate, as JSON records; `None` past `most` cases.
pub fn cases(p: &Policy, cap: usize, most: usize) -> Option<Vec<String>> {
    let plain: Vec<usize> = p
        .used
        .iter()
        .copied()
        .filter(|f| p.facts[*f].kind != Kind::DateTime)
        .collect();
    let times: Vec<usize> = p
        .used
        .iter()
        .copied()
        .filter(|f| p.facts[*f].kind == Kind::DateTime)
        .collect();
    // Richest first: values, null and not given; values and null; values (null where read).
    let mut chosen = None;
    for level in 0..3 {
        let domains: Vec<Vec<Given>> = plain
            .iter()
            .map(|f| {
                let mut d: Vec<Given> = values(p.facts[*f].kind)
                    .into_iter()
                    .map(Given::Value)
                    .collect();
                if level <= 1 || p.answer_read.contains(f) {
                    d.push(Given::Null);
                }
                if level == 0 {
                    d.push(Given::Absent);
                }
                d
            })
            .collect();
        let n: usize = domains.iter().map(Vec::len).product();
        if n <= cap || level == 2 {
            chosen = Some(domains);
            break;
        }
    }
    let domains = chosen.unwrap_or_default();
    let plain_count: usize = domains.iter().map(Vec::len).product();
    if plain_count > most {
        return None;
    }
    // Date-times: given, null or not given, each combination with its grid.
    let mut time_cases: Vec<Vec<Given>> = Vec::new();
    for mask in 0..3usize.pow(times.len() as u32) {
        let states: Vec<usize> = (0..times.len())
            .map(|i| (mask / 3usize.pow(i as u32)) % 3)
            .collect();
        let given: Vec<bool> = states.iter().map(|s| *s == 0).collect();
        for pts in time_points(p, &times, &given) {
            time_cases.push(
                states
                    .iter()
                    .zip(&pts)
                    .map(|(s, v)| match (s, v) {
                        (0, Some(v)) => {
                            Given::Value(format!("\"{}\"", pol::time::format_instant(T0 + v, 0)))
                        }
                        (1, _) => Given::Null,
                        _ => Given::Absent,
                    })
                    .collect(),
            );
        }
    }
    if plain_count.saturating_mul(time_cases.len()) > most {
        return None;
    }
    let mut out = Vec::new();
    let mut idx = vec![0usize; domains.len()];
    loop {
        for tc in &time_cases {
            let mut facts: Vec<(usize, Given)> = plain
                .iter()
                .zip(&idx)
                .zip(&domains)
                .map(|((f, i), d)| (*f, d[*i].clone()))
                .collect();
            facts.extend(times.iter().copied().zip(tc.iter().cloned()));
            facts.sort_by_key(|(f, _)| *f);
            out.push(case_json(p, &facts));
        }
        let mut c = 0;
        loop {
            let Some(i) = idx.get_mut(c) else {
                return Some(out);
            };
            *i += 1;
            if *i < domains[c].len() {
                break;
            }
            *i = 0;
            c += 1;
        }
    }
}

/// The three compiled forms of a generated policy.
pub struct Engines {
    pub plain: pol::Engine,
    pub effective: pol::Engine,
    /// `None` when nothing overrides anything: then firing is being effective.
    pub fires: Option<pol::Engine>,
}

impl Engines {
    pub fn new(p: &Policy) -> (Engines, pol::Compiled) {
        let compile = |form: Form| {
            let src = p.source(form);
            pol::compile(&src, "generated.pol").unwrap_or_else(|d| {
                panic!("the generator wrote a policy that does not compile:\n{src}\n{d:#?}")
            })
        };
        let plain = compile(Form::AsGenerated);
        (
            Engines {
                plain: pol::Engine::new(plain.policy.clone()),
                effective: pol::Engine::new(compile(Form::Effective).policy),
                fires: p
                    .overrides_any()
                    .then(|| pol::Engine::new(compile(Form::Fires).policy)),
            },
            plain,
        )
    }
}

/// What the evaluator shows of one case.
pub struct Obs {
    pub eff: Vec<Tri>,
    pub fires: Vec<Tri>,
    /// Per table: its `when` (T when it has none).
    pub when: Vec<Tri>,
    pub plain: Decision,
}

pub fn observe(e: &Engines, units: usize, p: &Policy, case: &str, at: Option<i64>) -> Obs {
    let eval = |engine: &pol::Engine| {
        engine.evaluate_json(case, at).unwrap_or_else(|err| {
            panic!(
                "case {case} rejected: {err:?}\n{}",
                p.source(Form::AsGenerated)
            )
        })
    };
    let de = eval(&e.effective);
    let df = match &e.fires {
        Some(f) => eval(f),
        None => de.clone(),
    };
    let tables = p.tables();
    Obs {
        eff: (0..units).map(|u| asked(&de, &format!("u{u}"))).collect(),
        fires: (0..units).map(|u| asked(&df, &format!("u{u}"))).collect(),
        when: tables
            .iter()
            .enumerate()
            .map(|(t, table)| match table.when {
                Some(_) => asked(&df, &format!("w{t}")),
                None => Tri::T,
            })
            .collect(),
        plain: eval(&e.plain),
    }
}

/// The facts brute force establishes: each key with the first case that shows it.
#[derive(Default)]
pub struct Truth {
    pub seen: BTreeMap<String, String>,
    pub cases: usize,
    /// Decisions that disagree with the rules' firing as the questions show it.
    pub inconsistent: Vec<String>,
}

impl Truth {
    fn note(&mut self, key: String, case: &str) {
        self.seen.entry(key).or_insert_with(|| case.to_string());
    }
    pub fn has(&self, key: &str) -> bool {
        self.seen.contains_key(key)
    }
}

fn same_table(units: &[Unit], a: usize, b: usize) -> bool {
    units[a].table.is_some() && units[a].table == units[b].table
}

/// Records what one case shows.
pub fn record(truth: &mut Truth, p: &Policy, units: &[Unit], o: &Obs, case: &str, at: Option<i64>) {
    truth.cases += 1;
    let label = match at {
        Some(t) => format!("{case} at {}", pol::time::format_instant(t, 0)),
        None => case.to_string(),
    };
    let case = label.as_str();
    let n = units.len();
    for u in 0..n {
        if o.fires[u] == Tri::T {
            truth.note(format!("fires {}", units[u].name), case);
        }
        if o.eff[u] == Tri::T {
            truth.note(format!("eff {}", units[u].name), case);
            for v in 0..n {
                if o.eff[v] == Tri::F {
                    truth.note(format!("eff {} not {}", units[u].name, units[v].name), case);
                }
            }
        }
    }
    let eff = |u: usize| o.eff[u] == Tri::T;
    let off = |u: usize| o.eff[u] == Tri::F;
    // Conflicts on actions: a requirer and a forbidder (not rows of one table), no open.
    for a in 0..p.actions.len() {
        let id = format!("a{a}");
        let act = o.plain.actions.iter().find(|x| x.id == id);
        let reason = act.and_then(|x| x.reason);
        let req: Vec<usize> = (0..n)
            .filter(|u| units[*u].effects.contains(&Eff::Require(a)))
            .collect();
        let forb: Vec<usize> = (0..n)
            .filter(|u| units[*u].effects.contains(&Eff::Forbid(a)))
            .collect();
        let open: Vec<usize> = (0..n)
            .filter(|u| units[*u].effects.contains(&Eff::OpenAction(a)))
            .collect();
        let pair = req.iter().any(|r| {
            forb.iter()
                .any(|f| eff(*r) && eff(*f) && !same_table(units, *r, *f))
        });
        let conflict = pair && open.iter().all(|u| off(*u));
        if conflict {
            truth.note(format!("A0001 a{a}"), case);
            if reason != Some(UndecidedReason::Conflict) {
                truth
                    .inconsistent
                    .push(format!("{case}: a{a} is not a conflict in the Decision"));
            }
        }
        let deciders: Vec<usize> = (0..n)
            .filter(|u| {
                units[*u].effects.iter().any(|e| {
                    matches!(e, Eff::Require(x) | Eff::Allow(x) | Eff::Forbid(x) | Eff::OpenAction(x) if *x == a)
                })
            })
            .collect();
        if deciders.iter().all(|u| off(*u)) {
            truth.note(format!("gap a{a}"), case);
            if !p.actions[a].1 && reason != Some(UndecidedReason::NoRule) {
                truth
                    .inconsistent
                    .push(format!("{case}: a{a} is not no_rule in the Decision"));
            }
        }
    }
    for oi in 0..p.outcomes.len() {
        let id = format!("o{oi}");
        let out = o.plain.outcome_details.iter().find(|x| x.id == id);
        let (reason, status) = (out.and_then(|x| x.reason), out.map(|x| x.status));
        let setters: Vec<(usize, usize)> = (0..n)
            .flat_map(|u| {
                units[u].effects.iter().filter_map(move |e| match e {
                    Eff::SetOutcome(x, v) if *x == oi => Some((u, *v)),
                    _ => None,
                })
            })
            .collect();
        let open: Vec<usize> = (0..n)
            .filter(|u| units[*u].effects.contains(&Eff::OpenOutcome(oi)))
            .collect();
        let pair = setters.iter().any(|(r1, v1)| {
            setters
                .iter()
                .any(|(r2, v2)| v1 != v2 && eff(*r1) && eff(*r2) && !same_table(units, *r1, *r2))
        });
        if pair && open.iter().all(|u| off(*u)) {
            truth.note(format!("A0002 o{oi}"), case);
            if reason != Some(UndecidedReason::Conflict) {
                truth
                    .inconsistent
                    .push(format!("{case}: o{oi} is not a conflict in the Decision"));
            }
        }
        let deciders: Vec<usize> = (0..n)
            .filter(|u| {
                units[*u]
                    .effects
                    .iter()
                    .any(|e| matches!(e, Eff::SetOutcome(x, _) | Eff::OpenOutcome(x) if *x == oi))
            })
            .collect();
        if deciders.iter().all(|u| off(*u)) {
            truth.note(format!("gap o{oi}"), case);
            if !p.outcomes[oi].1 && status != Some(OutcomeStatus::Unset) {
                truth
                    .inconsistent
                    .push(format!("{case}: o{oi} is not unset in the Decision"));
            }
        }
    }
    for fi in 0..p.fields {
        let setters: Vec<(usize, usize)> = (0..n)
            .flat_map(|u| {
                units[u].effects.iter().filter_map(move |e| match e {
                    Eff::SetField(x, v) if *x == fi => Some((u, *v)),
                    _ => None,
                })
            })
            .collect();
        let pair = setters.iter().any(|(r1, v1)| {
            setters
                .iter()
                .any(|(r2, v2)| v1 != v2 && eff(*r1) && eff(*r2) && !same_table(units, *r1, *r2))
        });
        if pair {
            truth.note(format!("A0002 d{fi}"), case);
            let shown = o.plain.ticket_fields.iter().any(|f| {
                f.id == format!("d{fi}") && f.value_reason == Some(UndecidedReason::Conflict)
            });
            if !shown {
                truth.inconsistent.push(format!(
                    "{case}: d{fi} has no value conflict in the Decision"
                ));
            }
        }
    }
    // Tables: two rows that fire at once, and no row while the `when` holds.
    let mut first_unit = 0;
    let mut t = 0;
    for item in &p.items {
        match item {
            Item::Rule(_) => first_unit += 1,
            Item::Table(table) => {
                let rows = first_unit..first_unit + table.rows.len();
                let firing = rows.clone().filter(|u| o.fires[*u] == Tri::T).count();
                if firing >= 2 {
                    truth.note(format!("overlap t{t}"), case);
                }
                if o.when[t] == Tri::T && rows.clone().all(|u| o.fires[u] == Tri::F) {
                    truth.note(format!("uncovered t{t}"), case);
                }
                first_unit = rows.end;
                t += 1;
            }
        }
    }
}

/// The findings the analysis must report, as (code, first name in the message),
/// with why, by its own definitions (src/analysis/mod.rs, findings.rs,
/// findings/tables.rs).
pub fn expected(truth: &Truth, p: &Policy, units: &[Unit]) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    let why = |k: &str| {
        truth
            .seen
            .get(k)
            .map(|c| format!("brute force: {k} in {c}"))
            .unwrap_or_else(|| format!("brute force: no case of {} shows {k}", truth.cases))
    };
    for a in 0..p.actions.len() {
        let k = format!("A0001 a{a}");
        if truth.has(&k) {
            out.insert(("A0001".into(), format!("a{a}")), why(&k));
        }
        let (must, default) = p.actions[a];
        let k = format!("gap a{a}");
        if must && !default && truth.has(&k) {
            out.insert(("A0003".into(), format!("a{a}")), why(&k));
        }
    }
    for o in 0..p.outcomes.len() {
        let k = format!("A0002 o{o}");
        if truth.has(&k) {
            out.insert(("A0002".into(), format!("o{o}")), why(&k));
        }
        let (must, default) = p.outcomes[o];
        let k = format!("gap o{o}");
        if must && !default && truth.has(&k) {
            out.insert(("A0003".into(), format!("o{o}")), why(&k));
        }
    }
    for f in 0..p.fields {
        let k = format!("A0002 d{f}");
        if truth.has(&k) {
            out.insert(("A0002".into(), format!("d{f}")), why(&k));
        }
    }
    for u in units {
        let fires = format!("fires {}", u.name);
        let eff = format!("eff {}", u.name);
        if !truth.has(&fires) {
            out.insert(("A0004".into(), u.name.clone()), why(&fires));
        } else if !truth.has(&eff) {
            out.insert(
                ("A0005".into(), u.name.clone()),
                format!("{}; {}", why(&fires), why(&eff)),
            );
        }
    }
    // Redundant rules, in the analysis' order: a later rule with the same
    // effects is the one reported; a rule reported is no one's reason.
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    for (i, r1) in units.iter().enumerate() {
        let k1: BTreeSet<&Eff> = r1.effects.iter().collect();
        if r1.overrides_something || k1.is_empty() || !truth.has(&format!("eff {}", r1.name)) {
            continue;
        }
        for (j, r2) in units.iter().enumerate() {
            let k2: BTreeSet<&Eff> = r2.effects.iter().collect();
            if i == j || reported.contains(&j) || !k1.is_subset(&k2) {
                continue;
            }
            if k1 == k2 && i < j && !truth.has(&format!("eff {} not {}", r2.name, r1.name)) {
                continue;
            }
            if truth.has(&format!("eff {} not {}", r1.name, r2.name)) {
                continue;
            }
            out.insert(
                ("A0006".into(), r1.name.clone()),
                format!(
                    "brute force: whenever `{}` is effective `{}` is too, and it gives every effect",
                    r1.name, r2.name
                ),
            );
            reported.insert(i);
            break;
        }
    }
    for (t, table) in p.tables().iter().enumerate() {
        let k = format!("overlap t{t}");
        if !table.first && truth.has(&k) {
            out.insert(("A0007".into(), format!("t{t}")), why(&k));
        }
        let k = format!("uncovered t{t}");
        if truth.has(&k) {
            let code = if table.complete { "A0009" } else { "A0010" };
            out.insert((code.into(), format!("t{t}")), why(&k));
        }
    }
    out
}
