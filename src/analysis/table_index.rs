//! The candidate points each cell of a decision table accepts, stored sparsely,
//! with an index from points to the rows that accept them. Overlapping rows and
//! uncovered combinations are then looked for among the rows that can match,
//! not among every pair of rows, and the work done is counted against a limit.

/// The candidate points (by index, ascending) that one cell accepts.
#[derive(Debug, Clone)]
pub(super) enum Acc {
    All,
    Some(Vec<u32>),
}

impl Acc {
    pub(super) fn contains(&self, i: usize) -> bool {
        match self {
            Acc::All => true,
            Acc::Some(v) => u32::try_from(i).is_ok_and(|i| v.binary_search(&i).is_ok()),
        }
    }

    /// The first point both cells accept.
    fn first_common(&self, other: &Acc, total: usize) -> Option<usize> {
        match (self, other) {
            (Acc::All, Acc::All) => (total > 0).then_some(0),
            (Acc::All, Acc::Some(v)) | (Acc::Some(v), Acc::All) => v.first().map(|i| *i as usize),
            (Acc::Some(a), Acc::Some(b)) => {
                let (mut i, mut j) = (0, 0);
                while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
                    match x.cmp(y) {
                        std::cmp::Ordering::Less => i += 1,
                        std::cmp::Ordering::Greater => j += 1,
                        std::cmp::Ordering::Equal => return Some(*x as usize),
                    }
                }
                None
            }
        }
    }
}

/// The work limit was reached: the check is not done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Stopped;

pub(super) struct Index {
    /// Per row, per column.
    accepts: Vec<Vec<Acc>>,
    /// Candidate points per column.
    sizes: Vec<usize>,
    /// Per column, per point: the rows whose cell lists that point.
    at: Vec<Vec<Vec<u32>>>,
    /// Per column: the rows whose cell accepts every point.
    all: Vec<Vec<u32>>,
    /// Rows looked at so far.
    pub work: usize,
    budget: usize,
}

impl Index {
    pub(super) fn new(accepts: Vec<Vec<Acc>>, sizes: Vec<usize>, budget: usize) -> Index {
        let mut at: Vec<Vec<Vec<u32>>> = sizes.iter().map(|n| vec![Vec::new(); *n]).collect();
        let mut all: Vec<Vec<u32>> = vec![Vec::new(); sizes.len()];
        for (r, row) in accepts.iter().enumerate() {
            let r = r as u32;
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Acc::All => {
                        if let Some(a) = all.get_mut(c) {
                            a.push(r);
                        }
                    }
                    Acc::Some(points) => {
                        for p in points {
                            if let Some(rows) = at.get_mut(c).and_then(|x| x.get_mut(*p as usize)) {
                                rows.push(r);
                            }
                        }
                    }
                }
            }
        }
        Index {
            accepts,
            sizes,
            at,
            all,
            work: 0,
            budget,
        }
    }

    fn spend(&mut self, n: usize) -> Result<(), Stopped> {
        self.work = self.work.saturating_add(n);
        if self.work > self.budget {
            Err(Stopped)
        } else {
            Ok(())
        }
    }

    /// The rows that may accept `point` (by column), from the most selective column.
    fn candidates(&self, choose: impl Fn(usize) -> Option<usize>) -> Option<Vec<u32>> {
        let mut best: Option<(usize, Vec<u32>)> = None;
        for c in 0..self.sizes.len() {
            let all = self.all.get(c).map_or(&[][..], Vec::as_slice);
            let Some(p) = choose(c) else { continue };
            let listed = self
                .at
                .get(c)
                .and_then(|x| x.get(p))
                .map_or(&[][..], Vec::as_slice);
            let n = all.len() + listed.len();
            if best.as_ref().is_none_or(|(m, _)| n < *m) {
                let mut rows: Vec<u32> = all.iter().chain(listed).copied().collect();
                rows.sort_unstable();
                rows.dedup();
                best = Some((n, rows));
            }
        }
        best.map(|(_, rows)| rows)
    }

    /// The first pair of rows `(a, b)`, `a < b`, smallest `b` first, then smallest
    /// `a`, that accept a common point in every column, with that point.
    /// Pairs in `skip` are passed over.
    pub(super) fn first_overlap(
        &mut self,
        skip: &std::collections::BTreeSet<(usize, usize)>,
    ) -> Result<Option<(usize, usize, Vec<usize>)>, Stopped> {
        let columns = self.sizes.len();
        for b in 0..self.accepts.len() {
            // The column where the fewest rows can share a point with row `b`.
            let Some(row_b) = self.accepts.get(b) else {
                continue;
            };
            let pick = (0..columns).min_by_key(|c| match row_b.get(*c) {
                Some(Acc::Some(points)) => points
                    .iter()
                    .filter_map(|p| self.at.get(*c).and_then(|x| x.get(*p as usize)))
                    .map(Vec::len)
                    .fold(self.all.get(*c).map_or(0, Vec::len), usize::saturating_add),
                _ => usize::MAX,
            });
            let mut cands: Vec<u32> = match (pick, pick.and_then(|c| row_b.get(c))) {
                (Some(c), Some(Acc::Some(points))) => {
                    let mut rows: Vec<u32> = self.all.get(c).cloned().unwrap_or_default();
                    for p in points {
                        if let Some(listed) = self.at.get(c).and_then(|x| x.get(*p as usize)) {
                            rows.extend(listed.iter().copied().filter(|r| (*r as usize) < b));
                        }
                    }
                    rows
                }
                _ => (0..b as u32).collect(),
            };
            cands.retain(|r| (*r as usize) < b);
            cands.sort_unstable();
            cands.dedup();
            let cost = cands.len().saturating_mul(columns.max(1));
            self.work = self.work.saturating_add(cost);
            if self.work > self.budget {
                return Err(Stopped);
            }
            for a in cands {
                if skip.contains(&(a as usize, b)) {
                    continue;
                }
                let Some(row_a) = self.accepts.get(a as usize) else {
                    continue;
                };
                let common: Option<Vec<usize>> = (0..columns)
                    .map(|c| {
                        let total = self.sizes.get(c).copied().unwrap_or(0);
                        row_a.get(c)?.first_common(row_b.get(c)?, total)
                    })
                    .collect();
                if let Some(w) = common {
                    return Ok(Some((a as usize, b, w)));
                }
            }
        }
        Ok(None)
    }

    /// Whether some row accepts the combination `idx` (a point per column).
    pub(super) fn covered(&mut self, idx: &[usize]) -> Result<bool, Stopped> {
        let Some(rows) = self.candidates(|c| idx.get(c).copied()) else {
            return Ok(!self.accepts.is_empty());
        };
        self.spend(rows.len().max(1))?;
        Ok(rows.iter().any(|r| {
            self.accepts
                .get(*r as usize)
                .is_some_and(|row| row.iter().zip(idx).all(|(cell, i)| cell.contains(*i)))
        }))
    }
}
