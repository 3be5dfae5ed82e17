//! Small-cell suppression for published tables.
//!
//! A table is the complete grid over its dimensions' values, with a total (`*`) along every
//! dimension, so readers can add up what they see. A cell counting 1 to k − 1 people is
//! suppressed (published as null with a flag); zeros are published, since they describe nobody.
//! Totals make a lone suppressed cell recoverable by subtraction, so more cells are suppressed
//! (complementary suppression) until an attacker who knows every published number, that every
//! suppressed cell counts at least one person, and every additive relation of the grid, cannot
//! pin any suppressed cell to one value. The attacker is interval propagation over those
//! relations; the property tests run it on random tables.

use serde::Serialize;

/// The key of a total along a dimension.
pub const TOTAL: &str = "*";

/// Most grid cells a table may have (with totals); more is an error asking to narrow it.
pub const MAX_CELLS: usize = 250_000;

/// One group of input: its key (one value per dimension), how many people, and per measure
/// a sum and how many contributed to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// One value per dimension.
    pub key: Vec<String>,
    /// People counted.
    pub count: i64,
    /// Per measure: sum of the values.
    pub sums: Vec<f64>,
    /// Per measure: how many values were summed.
    pub ns: Vec<i64>,
}

/// A published row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// One value per dimension, `*` for the total along it.
    pub key: Vec<String>,
    /// People counted; `None` when suppressed.
    pub count: Option<i64>,
    /// Per measure: the mean; `None` when suppressed or nothing to average.
    pub values: Vec<Option<f64>>,
    /// Whether the count (and values) were withheld.
    pub suppressed: bool,
}

/// A published table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    /// Dimension names.
    pub dimensions: Vec<String>,
    /// Each dimension's values, in grid order (its total comes after them).
    pub values: Vec<Vec<String>>,
    /// Measure names (means).
    pub measures: Vec<String>,
    /// The threshold: published counts are 0 or at least k.
    pub k: i64,
    /// Every cell of the grid, totals included.
    pub rows: Vec<Row>,
}

/// Why a table could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooLarge {
    /// Cells the grid would have.
    pub cells: usize,
}

/// The shape of a table's grid: values per dimension (the total after them), mixed radix.
#[derive(Debug)]
struct Grid {
    values: Vec<Vec<String>>,
    strides: Vec<usize>,
    size: usize,
}

impl Grid {
    fn new(values: Vec<Vec<String>>) -> Result<Grid, TooLarge> {
        let d = values.len();
        let mut strides = vec![1; d];
        let mut size = 1usize;
        for dim in (0..d).rev() {
            strides[dim] = size;
            size = size.saturating_mul(values[dim].len() + 1);
        }
        if size > MAX_CELLS {
            return Err(TooLarge { cells: size });
        }
        Ok(Grid {
            values,
            strides,
            size,
        })
    }
    fn radix(&self, d: usize) -> usize {
        self.values[d].len() + 1
    }
    fn coord(&self, i: usize, d: usize) -> usize {
        (i / self.strides[d]) % self.radix(d)
    }
    /// The line through `i` along `d`: its cells, the total last.
    fn line(&self, i: usize, d: usize) -> impl Iterator<Item = usize> + '_ {
        let base = i - self.coord(i, d) * self.strides[d];
        (0..self.radix(d)).map(move |c| base + c * self.strides[d])
    }
    /// Starts of all lines along `d` (cells whose coordinate on `d` is 0).
    fn line_starts(&self, d: usize) -> impl Iterator<Item = usize> + '_ {
        (0..self.size).filter(move |&i| self.coord(i, d) == 0)
    }
}

/// Publishes `cells` over `dimensions` (each with its known values; values seen in the cells
/// are added), with k-suppression and complementary suppression.
pub fn publish(
    dimensions: &[&str],
    domains: Vec<Vec<String>>,
    measures: &[&str],
    cells: &[Cell],
    k: i64,
) -> Result<Table, TooLarge> {
    let d = dimensions.len();
    let mut values = domains;
    values.resize(d, Vec::new());
    for c in cells {
        for (dim, v) in c.key.iter().enumerate().take(d) {
            if !values[dim].contains(v) {
                values[dim].push(v.clone());
            }
        }
    }
    let grid = Grid::new(values)?;
    let size = grid.size;
    let m = measures.len();
    let mut count = vec![0i64; size];
    let mut sums = vec![0f64; size * m];
    let mut ns = vec![0i64; size * m];
    for c in cells {
        let base: Vec<usize> = (0..d)
            .map(|dim| {
                grid.values[dim]
                    .iter()
                    .position(|v| *v == c.key[dim])
                    .unwrap_or(0)
            })
            .collect();
        // Add to the cell and to every total that covers it (each subset of dimensions
        // replaced by its total).
        for mask in 0..(1usize << d) {
            let i: usize = (0..d)
                .map(|dim| {
                    let coord = if mask & (1 << dim) != 0 {
                        grid.values[dim].len()
                    } else {
                        base[dim]
                    };
                    coord * grid.strides[dim]
                })
                .sum();
            count[i] += c.count;
            for j in 0..m {
                sums[i * m + j] += c.sums.get(j).copied().unwrap_or(0.0);
                ns[i * m + j] += c.ns.get(j).copied().unwrap_or(0);
            }
        }
    }
    let suppressed = suppress(&grid, &count, k);
    let rows = (0..size)
        .map(|i| {
            let key = (0..d)
                .map(|dim| {
                    let c = grid.coord(i, dim);
                    grid.values[dim]
                        .get(c)
                        .cloned()
                        .unwrap_or_else(|| TOTAL.to_string())
                })
                .collect();
            let s = suppressed[i];
            Row {
                key,
                count: (!s).then_some(count[i]),
                values: (0..m)
                    .map(|j| {
                        let n = ns[i * m + j];
                        (!s && n > 0).then(|| sums[i * m + j] / n as f64)
                    })
                    .collect(),
                suppressed: s,
            }
        })
        .collect();
    Ok(Table {
        values: grid.values,
        dimensions: dimensions.iter().map(|s| (*s).to_string()).collect(),
        measures: measures.iter().map(|s| (*s).to_string()).collect(),
        k,
        rows,
    })
}

/// Which cells to withhold.
fn suppress(grid: &Grid, count: &[i64], k: i64) -> Vec<bool> {
    let d = grid.values.len();
    let mut s: Vec<bool> = count.iter().map(|&c| c > 0 && c < k).collect();
    loop {
        // Cheap pass: no line may hold exactly one suppressed cell.
        let mut changed = true;
        while changed {
            changed = false;
            for dim in 0..d {
                let starts: Vec<usize> = grid.line_starts(dim).collect();
                for start in starts {
                    let line: Vec<usize> = grid.line(start, dim).collect();
                    if line.iter().filter(|&&i| s[i]).count() == 1
                        && let Some(pick) = smallest_published(&line, count, &s)
                    {
                        s[pick] = true;
                        changed = true;
                    }
                }
            }
        }
        // Thorough pass: the attacker must not pin any suppressed cell.
        let Some(pinned) = attack(grid, count, &s).into_iter().next() else {
            return s;
        };
        let pick = (0..d)
            .filter_map(|dim| {
                let line: Vec<usize> = grid.line(pinned, dim).collect();
                smallest_published(&line, count, &s)
            })
            .min_by_key(|&i| (count[i], i));
        match pick {
            Some(i) => s[i] = true,
            // Nothing left to hide it behind: withhold everything non-zero.
            None => {
                for (i, c) in count.iter().enumerate() {
                    s[i] = *c > 0;
                }
                return s;
            }
        }
    }
}

fn smallest_published(line: &[usize], count: &[i64], s: &[bool]) -> Option<usize> {
    line.iter()
        .copied()
        .filter(|&i| !s[i] && count[i] > 0)
        .min_by_key(|&i| (count[i], i))
}

const INF: i64 = i64::MAX / 8;

/// What an attacker can deduce: the suppressed cells whose value is pinned to one number,
/// knowing the published counts, that suppressed cells are at least 1, and that along every
/// line the cells add up to the total. Interval propagation to a fixpoint.
fn attack(grid: &Grid, count: &[i64], s: &[bool]) -> Vec<usize> {
    let (mut lo, mut hi): (Vec<i64>, Vec<i64>) = (0..grid.size)
        .map(|i| if s[i] { (1, INF) } else { (count[i], count[i]) })
        .unzip();
    let d = grid.values.len();
    let lines: Vec<Vec<usize>> = (0..d)
        .flat_map(|dim| {
            grid.line_starts(dim)
                .map(move |start| grid.line(start, dim).collect::<Vec<_>>())
                .collect::<Vec<_>>()
        })
        .filter(|l| l.iter().any(|&i| s[i]))
        .collect();
    for _ in 0..200 {
        let mut changed = false;
        for line in &lines {
            let (cells, total) = line.split_at(line.len() - 1);
            let t = total[0];
            // Lower bounds only rise from ≥ 0 and upper bounds only fall, so sums of finite
            // bounds cannot overflow; unbounded uppers are counted apart.
            let sum_lo: i64 = cells.iter().map(|&i| lo[i]).sum();
            let n_unbounded = cells.iter().filter(|&&i| hi[i] >= INF).count();
            let sum_hi_finite: i64 = cells.iter().map(|&i| hi[i]).filter(|&h| h < INF).sum();
            // The total lies within the cells' sum.
            if sum_lo > lo[t] {
                lo[t] = sum_lo;
                changed = true;
            }
            if n_unbounded == 0 && sum_hi_finite < hi[t] {
                hi[t] = sum_hi_finite;
                changed = true;
            }
            // Each cell is the total minus the others.
            for &c in cells {
                let others_lo = sum_lo - lo[c];
                let others_unbounded = n_unbounded - usize::from(hi[c] >= INF);
                let new_lo = if others_unbounded == 0 {
                    let others_hi = sum_hi_finite - if hi[c] < INF { hi[c] } else { 0 };
                    lo[c].max(lo[t] - others_hi)
                } else {
                    lo[c]
                };
                let new_hi = if hi[t] < INF {
                    hi[c].min(hi[t] - others_lo)
                } else {
                    hi[c]
                };
                if new_lo != lo[c] || new_hi != hi[c] {
                    lo[c] = new_lo;
                    hi[c] = new_hi;
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    (0..grid.size).filter(|&i| s[i] && lo[i] >= hi[i]).collect()
}

/// Runs the attacker on a published table, seeing only what is published: the rows (in grid
/// order) of suppressed cells it can pin to one value. Empty for every table `publish` makes.
pub fn attack_table(t: &Table) -> Vec<usize> {
    let Ok(grid) = Grid::new(t.values.clone()) else {
        return Vec::new();
    };
    let count: Vec<i64> = t.rows.iter().map(|r| r.count.unwrap_or(0)).collect();
    let s: Vec<bool> = t.rows.iter().map(|r| r.suppressed).collect();
    if count.len() != grid.size {
        return Vec::new();
    }
    attack(&grid, &count, &s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cell(key: &[&str], count: i64) -> Cell {
        Cell {
            key: key.iter().map(|s| (*s).to_string()).collect(),
            count,
            sums: vec![count as f64 * 10.0],
            ns: vec![count],
        }
    }

    #[test]
    fn a_small_cell_and_its_complement_are_withheld() {
        let cells = [
            cell(&["mujer", "06-08"], 2),
            cell(&["mujer", "09-11"], 40),
            cell(&["hombre", "06-08"], 30),
            cell(&["hombre", "09-11"], 50),
        ];
        let t = publish(&["gender", "band"], vec![], &["mean"], &cells, 5).unwrap();
        assert_eq!(t.rows.len(), 9, "2 × 2 cells plus totals");
        let get = |g: &str, b: &str| t.rows.iter().find(|r| r.key == [g, b]).unwrap().clone();
        assert!(get("mujer", "06-08").suppressed);
        assert_eq!(get("mujer", "06-08").count, None);
        assert_eq!(get("mujer", "06-08").values, vec![None]);
        // With only the small cell hidden, totals would give it away; so more is hidden.
        assert!(t.rows.iter().filter(|r| r.suppressed).count() >= 4);
        assert_eq!(get("*", "*").count, Some(122));
        assert_eq!(get("*", "*").values, vec![Some(10.0)]);
        assert!(attack_table(&t).is_empty());
        // The attacker itself works: hide only the small cell and it is recovered.
        let mut naive = t.clone();
        for r in &mut naive.rows {
            let small = r.key == ["mujer", "06-08"];
            r.suppressed = small;
            r.count = if small {
                None
            } else {
                Some(
                    cells
                        .iter()
                        .filter(|c| {
                            (r.key[0] == "*" || c.key[0] == r.key[0])
                                && (r.key[1] == "*" || c.key[1] == r.key[1])
                        })
                        .map(|c| c.count)
                        .sum(),
                )
            };
        }
        assert_eq!(attack_table(&naive).len(), 1);
    }

    #[test]
    fn too_many_cells_is_an_error() {
        let domains = vec![
            (0..1000).map(|i| i.to_string()).collect(),
            (0..1000).map(|i| i.to_string()).collect(),
        ];
        assert!(publish(&["a", "b"], domains, &[], &[], 5).is_err());
    }

    fn table() -> impl Strategy<Value = (usize, Vec<usize>, Vec<i64>, i64)> {
        (1usize..=3)
            .prop_flat_map(|d| (Just(d), proptest::collection::vec(1usize..=4, d)))
            .prop_flat_map(|(d, sizes)| {
                let n: usize = sizes.iter().product();
                (
                    Just(d),
                    Just(sizes),
                    proptest::collection::vec(
                        prop_oneof![3 => 0i64..5, 2 => 5i64..40, 1 => Just(1i64)],
                        n,
                    ),
                    2i64..=6,
                )
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        #[test]
        fn no_published_table_gives_a_suppressed_cell_away((d, sizes, counts, k) in table()) {
            let names: Vec<String> = (0..d).map(|i| format!("d{i}")).collect();
            let dims: Vec<&str> = names.iter().map(String::as_str).collect();
            let mut cells = Vec::new();
            for (flat, &c) in counts.iter().enumerate() {
                let mut rest = flat;
                let mut key = Vec::new();
                for &n in sizes.iter().rev() {
                    key.push(format!("v{}", rest % n));
                    rest /= n;
                }
                key.reverse();
                let key_refs: Vec<&str> = key.iter().map(String::as_str).collect();
                cells.push(cell(&key_refs, c));
            }
            let domains: Vec<Vec<String>> =
                sizes.iter().map(|&n| (0..n).map(|i| format!("v{i}")).collect()).collect();
            let t = publish(&dims, domains, &["mean"], &cells, k).unwrap();
            for r in &t.rows {
                // True count of this row, computed independently.
                let truth: i64 = cells
                    .iter()
                    .filter(|c| c.key.iter().zip(&r.key).all(|(a, b)| b == TOTAL || a == b))
                    .map(|c| c.count)
                    .sum();
                match r.count {
                    Some(c) => {
                        prop_assert_eq!(c, truth);
                        prop_assert!(c == 0 || c >= k, "published {} < k = {}", c, k);
                    }
                    None => prop_assert!(r.suppressed && truth > 0),
                }
            }
            let pinned = attack_table(&t);
            prop_assert!(pinned.is_empty(), "recoverable rows {:?} in {:?}", pinned, t.rows);
        }
    }
}
