//! Small random policies, kept as a model (facts, lets, rules, tables) that is
//! written out as policy source in three forms: as generated, with every rule
//! and table row asking a question of its own (so that a Decision shows which
//! rules are effective), and the same without `overrides` and with every table
//! `hit unique` (so that a Decision shows which rules fire).

use std::collections::BTreeSet;
use std::fmt::Write;

/// A xorshift generator: the same seed gives the same policies on every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// True with probability `num / den`.
    pub fn chance(&mut self, num: usize, den: usize) -> bool {
        self.below(den) < num
    }
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    /// Of `enum E { a, b, c }`.
    Enum,
    /// Compared with the constants `0..=INT_MAX` only.
    Int,
    DateTime,
}

/// Integer facts are compared with `0..=INT_MAX`: -1..=INT_MAX+1 meets every region.
pub const INT_MAX: i64 = 3;
pub const VARIANTS: [&str; 3] = ["a", "b", "c"];
pub const STATUSES: [&str; 3] = ["s0", "s1", "s2"];
const OPS: [&str; 6] = ["==", "!=", "<", "<=", ">", ">="];
pub const HOUR: i64 = 3600;

#[derive(Debug, Clone)]
pub struct Fact {
    pub name: String,
    pub kind: Kind,
}

/// `x - y` compared with `c` seconds; `None` names the evaluation time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Diff {
    pub x: Option<usize>,
    pub y: Option<usize>,
    pub c: i64,
}

/// An effect, by output index.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Eff {
    Require(usize),
    Allow(usize),
    Forbid(usize),
    OpenAction(usize),
    SetOutcome(usize, usize),
    OpenOutcome(usize),
    SetField(usize, usize),
    RequireField(usize),
    Ask(usize),
}

impl Eff {
    /// What the effect decides, so that one rule never speaks twice of one output.
    fn target(&self) -> (u8, usize) {
        match self {
            Eff::Require(a) | Eff::Allow(a) | Eff::Forbid(a) | Eff::OpenAction(a) => (0, *a),
            Eff::SetOutcome(o, _) | Eff::OpenOutcome(o) => (1, *o),
            Eff::SetField(f, _) | Eff::RequireField(f) => (2, *f),
            Eff::Ask(q) => (3, *q),
        }
    }

    fn source(&self) -> String {
        match self {
            Eff::Require(a) => format!("require a{a}"),
            Eff::Allow(a) => format!("allow a{a}"),
            Eff::Forbid(a) => format!("forbid a{a}"),
            Eff::OpenAction(a) => format!("open a{a} \"the SOP is silent\""),
            Eff::SetOutcome(o, v) => format!("set o{o} = {}", STATUSES[*v]),
            Eff::OpenOutcome(o) => format!("open o{o} \"the SOP is silent\""),
            Eff::SetField(f, v) => format!("set d{f} = \"{}\"", ["x", "y"][*v]),
            Eff::RequireField(f) => format!("require d{f}"),
            Eff::Ask(q) => format!("ask q{q}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    /// Earlier rules and tables, by name.
    pub overrides: Vec<String>,
    pub cond: Option<String>,
    pub effects: Vec<Eff>,
}

/// A table's output column.
#[derive(Debug, Clone, Copy)]
pub enum OutCol {
    Action(usize),
    Outcome(usize),
    Field(usize),
}

#[derive(Debug, Clone)]
pub struct Table {
    pub name: String,
    pub overrides: Vec<String>,
    pub first: bool,
    pub complete: bool,
    pub when: Option<String>,
    /// Fact or `let` names, with their kinds.
    pub columns: Vec<(String, Kind)>,
    pub outs: Vec<OutCol>,
    /// Per row: the input cells and the effects of its output cells (`None` for `-`).
    pub rows: Vec<(Vec<String>, Vec<Option<Eff>>)>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Rule(Rule),
    Table(Table),
}

/// A rule or a table row, in the order the checker numbers them.
#[derive(Debug, Clone)]
pub struct Unit {
    pub name: String,
    pub effects: Vec<Eff>,
    pub table: Option<usize>,
    /// Whether it overrides some other unit (such rules are never called redundant).
    pub overrides_something: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub facts: Vec<Fact>,
    /// Boolean derived facts: name and expression.
    pub lets: Vec<(String, String)>,
    pub actions: Vec<(bool, bool)>, // (must decide, has a default)
    pub outcomes: Vec<(bool, bool)>,
    pub fields: usize,
    pub questions: usize,
    pub items: Vec<Item>,
    /// Facts some condition reads (directly or through a `let`).
    pub used: BTreeSet<usize>,
    /// Facts an `is answered` / `is unanswered` reads.
    pub answer_read: BTreeSet<usize>,
    /// The time comparisons, for the grid of times.
    pub diffs: Vec<Diff>,
}

/// Which source to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    AsGenerated,
    /// Every rule and row asks `u{N}`; every table `when` is watched by a rule asking `w{T}`.
    Effective,
    /// Like `Effective`, without `overrides` and with `hit unique` tables.
    Fires,
}

/// What the generator may use.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub max_facts: usize,
    pub kinds: &'static [Kind],
    pub lets: bool,
    pub tables: bool,
    /// `is answered` / `is unanswered`.
    pub answered: bool,
    /// Table columns that are `let`s.
    pub let_columns: bool,
    /// Rules without `when`, and `hit first` tables ending in a row of `-`.
    pub catch_all: bool,
    /// Tables with a `when`.
    pub table_when: bool,
}

struct Gen<'r> {
    rng: &'r mut Rng,
    shape: Shape,
    p: Policy,
    /// The facts each `let` reads.
    let_facts: Vec<BTreeSet<usize>>,
    let_answer: Vec<BTreeSet<usize>>,
    let_diffs: Vec<Vec<Diff>>,
    reading: BTreeSet<usize>,
    answer: BTreeSet<usize>,
    diffs: Vec<Diff>,
}

impl Gen<'_> {
    fn int(&mut self) -> i64 {
        self.rng.below(INT_MAX as usize + 1) as i64
    }

    fn time_name(&self, v: Option<usize>) -> String {
        match v {
            Some(f) => self.p.facts[f].name.clone(),
            None => "now".into(),
        }
    }

    fn atom(&mut self, allow_lets: usize) -> String {
        if allow_lets > 0 && self.rng.chance(1, 6) {
            let l = self.rng.below(allow_lets);
            self.reading.extend(self.let_facts[l].iter().copied());
            self.answer.extend(self.let_answer[l].iter().copied());
            self.diffs.extend(self.let_diffs[l].iter().copied());
            let name = self.p.lets[l].0.clone();
            return if self.rng.chance(1, 3) {
                format!("not {name}")
            } else {
                name
            };
        }
        let f = self.rng.below(self.p.facts.len());
        let name = self.p.facts[f].name.clone();
        self.reading.insert(f);
        if self.shape.answered && self.rng.chance(1, 14) {
            self.answer.insert(f);
            let w = if self.rng.chance(1, 2) {
                "answered"
            } else {
                "unanswered"
            };
            return format!("{name} is {w}");
        }
        match self.p.facts[f].kind {
            Kind::Bool => match self.rng.below(4) {
                0 => name,
                1 => format!("not {name}"),
                2 => format!("{name} == {}", self.rng.pick(&["true", "false"])),
                _ => format!("{name} != {}", self.rng.pick(&["true", "false"])),
            },
            Kind::Enum => match self.rng.below(4) {
                0 => format!("{name} == {}", self.rng.pick(&VARIANTS)),
                1 => format!("{name} != {}", self.rng.pick(&VARIANTS)),
                2 => format!(
                    "{name} in [{}, {}]",
                    self.rng.pick(&VARIANTS),
                    self.rng.pick(&VARIANTS)
                ),
                _ => format!("{name} not in [{}]", self.rng.pick(&VARIANTS)),
            },
            Kind::Int => match self.rng.below(6) {
                0..=2 => format!("{name} {} {}", self.rng.pick(&OPS), self.int()),
                3 => {
                    let lo = self.int();
                    let hi = (lo + self.rng.below(3) as i64).min(INT_MAX);
                    format!("{name} in {lo} .. {hi}")
                }
                4 => format!("{name} in [{}, {}]", self.int(), self.int()),
                _ => format!("{name} not in [{}]", self.int()),
            },
            Kind::DateTime => self.time_atom(f),
        }
    }

    /// `x op y + k hours` between two of the date-times and `now`, one of them `f`.
    fn time_atom(&mut self, f: usize) -> String {
        let times: Vec<usize> = (0..self.p.facts.len())
            .filter(|i| self.p.facts[*i].kind == Kind::DateTime && *i != f)
            .collect();
        let other = if times.is_empty() || self.rng.chance(1, 2) {
            None
        } else {
            Some(times[self.rng.below(times.len())])
        };
        if let Some(o) = other {
            self.reading.insert(o);
        }
        let (x, y) = if self.rng.chance(1, 2) {
            (other, Some(f))
        } else {
            (Some(f), other)
        };
        let k = [0, 2, 24, 48][self.rng.below(4)];
        let op = self.rng.pick(&OPS);
        self.diffs.push(Diff { x, y, c: k * HOUR });
        let (xn, yn) = (self.time_name(x), self.time_name(y));
        match (k, self.rng.below(3)) {
            (0, _) => format!("{xn} {op} {yn}"),
            (_, 0) => format!("{xn} {op} {yn} + {k} hours"),
            (_, 1) => format!("{xn} - {yn} {op} {k} hours"),
            // y + k < x  is  x - y > k
            _ => {
                let flipped = match op {
                    "<" => ">",
                    "<=" => ">=",
                    ">" => "<",
                    ">=" => "<=",
                    o => o,
                };
                format!("{yn} + {k} hours {flipped} {xn}")
            }
        }
    }

    fn formula(&mut self, depth: u32, lets: usize) -> String {
        if depth == 0 || self.rng.chance(2, 5) {
            return self.atom(lets);
        }
        match self.rng.below(5) {
            0 | 1 => format!(
                "({} and {})",
                self.formula(depth - 1, lets),
                self.formula(depth - 1, lets)
            ),
            2 | 3 => format!(
                "({} or {})",
                self.formula(depth - 1, lets),
                self.formula(depth - 1, lets)
            ),
            _ => format!("not {}", self.formula(depth - 1, lets)),
        }
    }

    /// A condition, and records what it reads as used.
    fn condition(&mut self, depth: u32) -> String {
        self.reading.clear();
        self.answer.clear();
        self.diffs.clear();
        let lets = self.p.lets.len();
        let c = self.formula(depth, lets);
        self.commit();
        c
    }

    fn commit(&mut self) {
        self.p.used.extend(self.reading.iter().copied());
        self.p.answer_read.extend(self.answer.iter().copied());
        self.p.diffs.extend(self.diffs.iter().copied());
    }

    fn effect(&mut self) -> Eff {
        let p = &self.p;
        let (na, no, nf, nq) = (p.actions.len(), p.outcomes.len(), p.fields, p.questions);
        loop {
            let e = match self.rng.below(20) {
                0..=3 => Eff::Require(self.rng.below(na)),
                4..=6 => Eff::Allow(self.rng.below(na)),
                7..=10 => Eff::Forbid(self.rng.below(na)),
                11 => Eff::OpenAction(self.rng.below(na)),
                12..=14 if no > 0 => Eff::SetOutcome(self.rng.below(no), self.rng.below(3)),
                15 if no > 0 => Eff::OpenOutcome(self.rng.below(no)),
                16 | 17 if nf > 0 => Eff::SetField(self.rng.below(nf), self.rng.below(2)),
                18 if nf > 0 => Eff::RequireField(self.rng.below(nf)),
                19 if nq > 0 => Eff::Ask(self.rng.below(nq)),
                _ => continue,
            };
            return e;
        }
    }

    fn effects(&mut self) -> Vec<Eff> {
        let n = 1 + usize::from(self.rng.chance(1, 3));
        let mut out: Vec<Eff> = Vec::new();
        // Few outputs may not give two effects on different ones.
        for _ in 0..20 {
            if out.len() == n {
                break;
            }
            let e = self.effect();
            if !out.iter().any(|x| x.target() == e.target()) {
                out.push(e);
            }
        }
        out
    }

    /// A name earlier rules or tables go by, to override.
    fn override_target(&mut self) -> Vec<String> {
        let names: Vec<String> = self
            .p
            .items
            .iter()
            .map(|i| match i {
                Item::Rule(r) => r.name.clone(),
                Item::Table(t) => t.name.clone(),
            })
            .collect();
        if names.is_empty() || !self.rng.chance(1, 3) {
            return Vec::new();
        }
        vec![names[self.rng.below(names.len())].clone()]
    }

    fn cell(&mut self, kind: Kind) -> String {
        if self.rng.chance(1, 4) {
            return "-".into();
        }
        match kind {
            Kind::Bool => self.rng.pick(&["true", "false"]).into(),
            Kind::Enum => match self.rng.below(3) {
                0 => self.rng.pick(&VARIANTS).into(),
                1 => format!("{}, {}", self.rng.pick(&VARIANTS), self.rng.pick(&VARIANTS)),
                _ => format!("not {}", self.rng.pick(&VARIANTS)),
            },
            Kind::Int => match self.rng.below(5) {
                0 => self.int().to_string(),
                1 => format!("{} {}", self.rng.pick(&["<", "<=", ">", ">="]), self.int()),
                2 => {
                    let lo = self.int();
                    format!("{lo} .. {}", (lo + self.rng.below(3) as i64).min(INT_MAX))
                }
                3 => format!("{}, {}", self.int(), self.int()),
                _ => format!("not {}", self.int()),
            },
            Kind::DateTime => "-".into(),
        }
    }

    fn table(&mut self, index: usize) -> Table {
        let name = format!("t{index}");
        let overrides = self.override_target();
        let first = self.rng.chance(1, 3);
        let complete = self.rng.chance(1, 3);
        let when = (self.shape.table_when && self.rng.chance(1, 4)).then(|| self.condition(1));
        // Columns: facts (not date-times) and boolean lets.
        let mut pool: Vec<(String, Kind, Option<usize>, Option<usize>)> = self
            .p
            .facts
            .iter()
            .enumerate()
            .filter(|(_, f)| f.kind != Kind::DateTime)
            .map(|(i, f)| (f.name.clone(), f.kind, Some(i), None))
            .collect();
        for (l, (n, _)) in self.p.lets.iter().enumerate() {
            if !self.shape.let_columns {
                break;
            }
            pool.push((n.clone(), Kind::Bool, None, Some(l)));
        }
        let ncols = (1 + self.rng.below(2)).min(pool.len());
        let mut columns = Vec::new();
        while columns.len() < ncols {
            let (n, k, f, l) = pool.remove(self.rng.below(pool.len()));
            if let Some(f) = f {
                self.p.used.insert(f);
            }
            if let Some(l) = l {
                self.p.used.extend(self.let_facts[l].iter().copied());
                self.p
                    .answer_read
                    .extend(self.let_answer[l].iter().copied());
            }
            columns.push((n, k));
        }
        let mut outs = Vec::new();
        let available = self.p.actions.len() + self.p.outcomes.len() + self.p.fields;
        let nouts = (1 + self.rng.below(2)).min(available);
        let mut taken = BTreeSet::new();
        while outs.len() < nouts {
            let c = match self.rng.below(4) {
                0 | 1 => OutCol::Action(self.rng.below(self.p.actions.len())),
                2 if !self.p.outcomes.is_empty() => {
                    OutCol::Outcome(self.rng.below(self.p.outcomes.len()))
                }
                3 if self.p.fields > 0 => OutCol::Field(self.rng.below(self.p.fields)),
                _ => continue,
            };
            let key = match c {
                OutCol::Action(a) => (0, a),
                OutCol::Outcome(o) => (1, o),
                OutCol::Field(f) => (2, f),
            };
            if taken.insert(key) {
                outs.push(c);
            }
        }
        let nrows = 2 + self.rng.below(3);
        let mut rows: Vec<(Vec<String>, Vec<Option<Eff>>)> = Vec::new();
        for _ in 0..nrows {
            let cells = columns.iter().map(|(_, k)| self.cell(*k)).collect();
            let effs = outs
                .iter()
                .map(|c| {
                    if self.rng.chance(1, 4) {
                        return None;
                    }
                    Some(match c {
                        OutCol::Action(a) => match self.rng.below(3) {
                            0 => Eff::Require(*a),
                            1 => Eff::Allow(*a),
                            _ => Eff::Forbid(*a),
                        },
                        OutCol::Outcome(o) => Eff::SetOutcome(*o, self.rng.below(3)),
                        OutCol::Field(f) => {
                            if self.rng.chance(1, 3) {
                                Eff::RequireField(*f)
                            } else {
                                Eff::SetField(*f, self.rng.below(2))
                            }
                        }
                    })
                })
                .collect();
            rows.push((cells, effs));
        }
        // Sometimes a catch-all last row.
        if first && self.shape.catch_all && self.rng.chance(1, 2) {
            if let Some(last) = rows.last_mut() {
                for c in &mut last.0 {
                    *c = "-".into();
                }
            }
        }
        Table {
            name,
            overrides,
            first,
            complete,
            when,
            columns,
            outs,
            rows,
        }
    }
}

/// A random policy of the given shape.
pub fn generate(rng: &mut Rng, shape: Shape) -> Policy {
    let mut g = Gen {
        rng,
        shape,
        p: Policy::default(),
        let_facts: Vec::new(),
        let_answer: Vec::new(),
        let_diffs: Vec::new(),
        reading: BTreeSet::new(),
        answer: BTreeSet::new(),
        diffs: Vec::new(),
    };
    let nfacts = 1 + g.rng.below(shape.max_facts);
    for i in 0..nfacts {
        let mut kind = shape.kinds[g.rng.below(shape.kinds.len())];
        // The grid of times handles two date-times (and `now`).
        let times =
            g.p.facts
                .iter()
                .filter(|f| f.kind == Kind::DateTime)
                .count();
        if kind == Kind::DateTime && times == 2 {
            kind = Kind::Bool;
        }
        g.p.facts.push(Fact {
            name: format!("f{i}"),
            kind,
        });
    }
    if shape.lets {
        for i in 0..g.rng.below(3) {
            g.reading.clear();
            g.answer.clear();
            g.diffs.clear();
            let expr = g.formula(1, i);
            g.let_facts.push(g.reading.clone());
            g.let_answer.push(g.answer.clone());
            g.let_diffs.push(g.diffs.clone());
            g.p.lets.push((format!("l{i}"), expr));
        }
    }
    g.p.actions = (0..1 + g.rng.below(2))
        .map(|_| (g.rng.chance(1, 3), g.rng.chance(1, 6)))
        .collect();
    g.p.outcomes = (0..g.rng.below(2))
        .map(|_| (g.rng.chance(1, 3), g.rng.chance(1, 6)))
        .collect();
    g.p.fields = g.rng.below(2);
    g.p.questions = g.rng.below(2);
    let nrules = 1 + g.rng.below(5);
    let ntables = if shape.tables {
        usize::from(g.rng.chance(1, 2)) + usize::from(g.rng.chance(1, 8))
    } else {
        0
    };
    let total = nrules + ntables;
    let mut tables_left = ntables;
    for i in 0..total {
        let table_now = tables_left > 0 && g.rng.below(total - i) < tables_left;
        if table_now {
            tables_left -= 1;
            let t = g.table(ntables - tables_left - 1);
            g.p.items.push(Item::Table(t));
        } else {
            let overrides = g.override_target();
            let cond = (!(shape.catch_all && g.rng.chance(1, 12))).then(|| g.condition(2));
            let effects = g.effects();
            g.p.items.push(Item::Rule(Rule {
                name: format!("r{i}"),
                overrides,
                cond,
                effects,
            }));
        }
    }
    g.p
}

impl Policy {
    /// The rules and table rows, in the checker's order, with who overrides whom.
    pub fn units(&self) -> Vec<Unit> {
        let mut out = Vec::new();
        let mut overriders: BTreeSet<String> = BTreeSet::new();
        for item in &self.items {
            match item {
                Item::Rule(r) => {
                    if !r.overrides.is_empty() {
                        overriders.insert(r.name.clone());
                    }
                }
                Item::Table(t) => {
                    if !t.overrides.is_empty() {
                        overriders.insert(t.name.clone());
                    }
                }
            }
        }
        for (ti, item) in self.items.iter().enumerate() {
            match item {
                Item::Rule(r) => out.push(Unit {
                    name: r.name.clone(),
                    effects: r.effects.clone(),
                    table: None,
                    overrides_something: overriders.contains(&r.name),
                }),
                Item::Table(t) => {
                    for (i, (_, effs)) in t.rows.iter().enumerate() {
                        out.push(Unit {
                            name: format!("{}[{}]", t.name, i + 1),
                            effects: effs.iter().flatten().cloned().collect(),
                            table: Some(ti),
                            overrides_something: overriders.contains(&t.name)
                                || (t.first && i + 1 < t.rows.len()),
                        });
                    }
                }
            }
        }
        out
    }

    /// Whether some rule or table row overrides another.
    pub fn overrides_any(&self) -> bool {
        self.items.iter().any(|i| match i {
            Item::Rule(r) => !r.overrides.is_empty(),
            Item::Table(t) => !t.overrides.is_empty() || t.first,
        })
    }

    pub fn tables(&self) -> Vec<&Table> {
        self.items
            .iter()
            .filter_map(|i| match i {
                Item::Table(t) => Some(t),
                Item::Rule(_) => None,
            })
            .collect()
    }

    /// The policy as source text.
    pub fn source(&self, form: Form) -> String {
        let mut s = String::from("policy generated { title \"generated\" }\n");
        s.push_str("enum E { a, b, c }\nenum S { s0, s1, s2 }\ncase {\n");
        for f in &self.facts {
            let ty = match f.kind {
                Kind::Bool => "bool",
                Kind::Enum => "E",
                Kind::Int => "int",
                Kind::DateTime => "datetime",
            };
            let _ = writeln!(s, "  {}: {ty} \"{}\"", f.name, f.name);
        }
        s.push_str("}\n");
        for (n, e) in &self.lets {
            let _ = writeln!(s, "let {n} = {e}");
        }
        for q in 0..self.questions {
            let _ = writeln!(s, "question q{q} \"q{q}?\"");
        }
        for (a, (must, default)) in self.actions.iter().enumerate() {
            let _ = writeln!(
                s,
                "action a{a} \"a{a}\"{}{}",
                if *default { " default allowed" } else { "" },
                if *must { " must decide" } else { "" }
            );
        }
        for (o, (must, default)) in self.outcomes.iter().enumerate() {
            let _ = writeln!(
                s,
                "outcome o{o}: S \"o{o}\"{}{}",
                if *default { " default s0" } else { "" },
                if *must { " must decide" } else { "" }
            );
        }
        for f in 0..self.fields {
            let _ = writeln!(s, "field d{f}: text \"d{f}\"");
        }
        let instrument = form != Form::AsGenerated;
        let keep_overrides = form != Form::Fires;
        if instrument {
            for (u, _) in self.units().iter().enumerate() {
                let _ = writeln!(s, "question u{u} \"u{u}?\"");
            }
            for (t, table) in self.tables().iter().enumerate() {
                if let Some(w) = &table.when {
                    let _ = writeln!(s, "question w{t} \"w{t}?\"");
                    let _ = writeln!(s, "rule watch{t} quote \"q\" when {w} then ask w{t}");
                }
            }
        }
        let mut unit = 0;
        for item in &self.items {
            match item {
                Item::Rule(r) => {
                    let _ = write!(s, "rule {}", r.name);
                    if keep_overrides && !r.overrides.is_empty() {
                        let _ = write!(s, " overrides {}", r.overrides.join(", "));
                    }
                    s.push_str("\n  quote \"q\"\n");
                    if let Some(c) = &r.cond {
                        let _ = writeln!(s, "  when {c}");
                    }
                    let mut effs: Vec<String> = r.effects.iter().map(Eff::source).collect();
                    if instrument {
                        effs.push(format!("ask u{unit}"));
                    }
                    let _ = writeln!(s, "  then {}", effs.join("\n       "));
                    unit += 1;
                }
                Item::Table(t) => {
                    let _ = write!(s, "table {}", t.name);
                    if keep_overrides && !t.overrides.is_empty() {
                        let _ = write!(s, " overrides {}", t.overrides.join(", "));
                    }
                    s.push_str("\n  quote \"q\"\n");
                    let first = t.first && keep_overrides;
                    let _ = writeln!(
                        s,
                        "  hit {}{}",
                        if first { "first" } else { "unique" },
                        if t.complete { " complete" } else { "" }
                    );
                    if let Some(w) = &t.when {
                        let _ = writeln!(s, "  when {w}");
                    }
                    let head: Vec<String> = t.columns.iter().map(|c| c.0.clone()).collect();
                    let mut out_head: Vec<String> = t
                        .outs
                        .iter()
                        .map(|c| match c {
                            OutCol::Action(a) => format!("a{a}"),
                            OutCol::Outcome(o) => format!("o{o}"),
                            OutCol::Field(f) => format!("d{f}"),
                        })
                        .collect();
                    if instrument {
                        out_head.extend((0..t.rows.len()).map(|i| format!("u{}", unit + i)));
                    }
                    let _ = writeln!(s, "  | {} => {} |", head.join(" | "), out_head.join(" | "));
                    for (i, (cells, effs)) in t.rows.iter().enumerate() {
                        let mut outs: Vec<String> = effs
                            .iter()
                            .map(|e| match e {
                                None => "-".into(),
                                Some(Eff::Require(_)) => "required".into(),
                                Some(Eff::Allow(_)) => "allowed".into(),
                                Some(Eff::Forbid(_)) => "forbidden".into(),
                                Some(Eff::SetOutcome(_, v)) => STATUSES[*v].into(),
                                Some(Eff::SetField(_, v)) => format!("\"{}\"", ["x", "y"][*v]),
                                Some(Eff::RequireField(_)) => "required".into(),
                                Some(other) => other.source(),
                            })
                            .collect();
                        if instrument {
                            outs.extend(
                                (0..t.rows.len()).map(|j| if i == j { "ask" } else { "-" }.into()),
                            );
                        }
                        let _ = writeln!(s, "  | {} => {} |", cells.join(" | "), outs.join(" | "));
                    }
                    unit += t.rows.len();
                }
            }
        }
        s
    }
}
