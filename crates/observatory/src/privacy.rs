//! Differential privacy for the releases, through the OpenDP library: the discrete Gaussian
//! mechanism on integer vectors (exact sampling, OpenSSL's secure random source), its
//! privacy map for zero-concentrated DP (ρ), and OpenDP's conversion of ρ into (ε, δ).
//!
//! The budget is per person per calendar month, for the whole public catalogue: ρ is split
//! by kind of record (trips, reports, surveys: a bot rider may be in all three), then by
//! table and measure (the weights of [`crate::release::CATALOGUE`]), then between the
//! month's release and its weeks'. A person contributes at most `b` records of a kind per
//! month and once per cell, so a measure's L2 sensitivity is `√(b · cells per record) ·
//! (largest value)`, and because the month's bound holds across its weeks, all five weekly
//! releases together cost a person what one would (zCDP composes by adding ρ; the weeks'
//! data are disjoint slices of the same bounded set). Total per person per month:
//! ρ(month release) + ρ(week release) = the configured ρ.

use crate::release::{Bounds, Exact, Kind, Value};
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measurements::make_gaussian;
use opendp::measures::ZeroConcentratedDivergence;
use opendp::metrics::{AbsoluteDistance, L2Distance};
use serde::{Deserialize, Serialize};

/// The privacy-loss budget and how it is shared.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// zCDP ρ per person per calendar month, everything public together.
    pub rho_per_month: f64,
    /// δ at which ε is reported.
    pub delta: f64,
    /// Share of ρ spent on the weekly releases (the rest on the monthly one).
    pub week_share: f64,
    /// Share of ρ per kind of record: trips, reports, surveys (summing to 1).
    pub kind_shares: [f64; 3],
    /// Records per person per month.
    pub bounds: Bounds,
}

impl Default for Budget {
    /// ρ = 0.16 per month (ε ≈ 3.0 at δ = 10⁻⁷): the least that met the utility target of the
    /// benchmark (median relative error ≤ 10 % on monthly cells of at least 20); see
    /// crates/observatory/README.md for the figures at ρ = 0.075 (ε = 2).
    fn default() -> Self {
        Budget {
            rho_per_month: 0.16,
            delta: 1e-7,
            week_share: 0.2,
            kind_shares: [0.2, 0.65, 0.15],
            bounds: Bounds::default(),
        }
    }
}

/// Why noise could not be added (the library refused the parameters).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("differential privacy: {0}")]
pub struct PrivacyError(pub String);

impl Budget {
    fn kind_share(&self, k: Kind) -> f64 {
        match k {
            Kind::Trips => self.kind_shares[0],
            Kind::Reports => self.kind_shares[1],
            Kind::Surveys => self.kind_shares[2],
        }
    }

    fn bound(&self, k: Kind) -> u32 {
        match k {
            Kind::Trips => self.bounds.trips,
            Kind::Reports => self.bounds.reports,
            Kind::Surveys => self.bounds.surveys,
        }
    }

    /// ε of a total ρ at this budget's δ, by OpenDP's zCDP → approximate-DP conversion.
    pub fn epsilon(&self, rho: f64) -> Result<f64, PrivacyError> {
        epsilon(rho, self.delta)
    }

    /// Checks the numbers (shares in range, bounds positive).
    pub fn validate(&self) -> Result<(), String> {
        let sum: f64 = self.kind_shares.iter().sum();
        if !(self.rho_per_month.is_finite() && self.rho_per_month > 0.0) {
            return Err(format!(
                "rho_per_month must be positive, got {}",
                self.rho_per_month
            ));
        }
        if !(self.delta > 0.0 && self.delta < 1e-3) {
            return Err(format!(
                "delta must be between 0 and 0.001, got {}",
                self.delta
            ));
        }
        if !(0.0..1.0).contains(&self.week_share) {
            return Err(format!(
                "week_share must be in [0, 1), got {}",
                self.week_share
            ));
        }
        if (sum - 1.0).abs() > 1e-6 || self.kind_shares.iter().any(|s| *s < 0.0) {
            return Err(format!(
                "kind shares must be non-negative and sum to 1, got {sum}"
            ));
        }
        if self.bounds.trips == 0 || self.bounds.reports == 0 || self.bounds.surveys == 0 {
            return Err("contribution bounds must be at least 1".into());
        }
        Ok(())
    }
}

fn lib(e: opendp::error::Error) -> PrivacyError {
    PrivacyError(e.to_string())
}

/// ε(δ) of zCDP ρ, by OpenDP's optimal conversion (Canonne, Kamath and Steinke 2020).
pub fn epsilon(rho: f64, delta: f64) -> Result<f64, PrivacyError> {
    if rho <= 0.0 {
        return Ok(0.0);
    }
    // A scalar Gaussian whose ρ at sensitivity 1 is `rho`, converted by the library.
    let sigma = 1.0 / (2.0 * rho).sqrt();
    let m = make_gaussian::<_, _, ZeroConcentratedDivergence>(
        AtomDomain::<i64>::default(),
        AbsoluteDistance::<f64>::default(),
        sigma,
        None,
    )
    .map_err(lib)?;
    let approx = opendp::combinators::make_zCDP_to_approxDP(m).map_err(lib)?;
    approx
        .map(&1.0)
        .and_then(|profile| profile.epsilon(delta))
        .map_err(lib)
}

/// How one measure of one table was protected.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    /// Standard deviation of the discrete Gaussian added to each cell.
    pub sigma: f64,
    /// L2 sensitivity (one person's largest effect on the vector).
    pub sensitivity: f64,
    /// zCDP ρ this measure costs a person, by the library's privacy map.
    pub rho: f64,
}

type VectorGaussian = opendp::core::Measurement<
    VectorDomain<AtomDomain<i64>>,
    L2Distance<f64>,
    ZeroConcentratedDivergence,
    Vec<i64>,
>;

/// The library's discrete Gaussian mechanism on integer vectors, of standard deviation `sigma`.
fn gaussian(sigma: f64) -> Result<VectorGaussian, PrivacyError> {
    make_gaussian::<_, _, ZeroConcentratedDivergence>(
        VectorDomain::new(AtomDomain::<i64>::default()),
        L2Distance::<f64>::default(),
        sigma,
        None,
    )
    .map_err(lib)
}

/// ρ of one measure of a table in a release of the given kind (month or week).
fn measure_rho(b: &Budget, kind: Kind, weight: f64, weekly: bool) -> f64 {
    let period = if weekly {
        b.week_share
    } else {
        1.0 - b.week_share
    };
    b.rho_per_month * b.kind_share(kind) * weight * period
}

/// One table after noise: each measure's noisy values (same layout as the exact ones) and how
/// each measure was protected.
pub type Protected = (Vec<Vec<i64>>, Vec<Noise>);

/// Adds discrete Gaussian noise to every measure of every table.
pub fn protect(exact: &[Exact], b: &Budget, weekly: bool) -> Result<Vec<Protected>, PrivacyError> {
    use rayon::prelude::*;
    // Tables in parallel: exact sampling of the discrete Gaussian is the release's main cost
    // (about 20 µs a cell), and the library's random source is thread-safe.
    exact
        .par_iter()
        .map(|e| {
            let mut noisy = Vec::with_capacity(e.measures.len());
            let mut how = Vec::with_capacity(e.measures.len());
            for (m, values) in e.spec.measures.iter().zip(&e.measures) {
                let max = match m.value {
                    Value::Count => 1.0,
                    Value::Sum(_, max) => f64::from(max),
                };
                let sensitivity =
                    (f64::from(b.bound(e.spec.kind)) * f64::from(e.cells_per_record)).sqrt() * max;
                let rho = measure_rho(b, e.spec.kind, m.weight, weekly);
                let sigma = sensitivity / (2.0 * rho).sqrt();
                let mech = gaussian(sigma)?;
                // The library's own account of what this costs, not our formula.
                let spent = mech.map(&sensitivity).map_err(lib)?;
                // Cells get independent noise, so the vector is sampled in chunks in
                // parallel: the same distribution as one call, and the account above (the
                // whole vector's sensitivity) covers every chunk.
                let chunks: Vec<Vec<i64>> = values
                    .par_chunks(2048)
                    .map(|c| gaussian(sigma)?.invoke(&c.to_vec()).map_err(lib))
                    .collect::<Result<_, _>>()?;
                noisy.push(chunks.concat());
                how.push(Noise {
                    sigma,
                    sensitivity,
                    rho: spent,
                });
            }
            Ok((noisy, how))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::{Domains, Records, tabulate};

    #[test]
    fn the_library_accounts_for_exactly_the_configured_budget() {
        let b = Budget::default();
        b.validate().unwrap();
        let (answers, answer_cells) =
            crate::questionnaire::release_domain(&crate::questionnaire::seeds());
        let d = Domains {
            categories: crate::default_categories(),
            routes: vec!["r".into()],
            zones: vec!["z".into()],
            answers,
            answer_cells,
        };
        let exact = tabulate(&Records::default(), &d, Some(b.bounds), 1..=31);
        let month: f64 = protect(&exact, &b, false)
            .unwrap()
            .iter()
            .flat_map(|(_, n)| n)
            .map(|n| n.rho)
            .sum();
        let week: f64 = protect(&exact, &b, true)
            .unwrap()
            .iter()
            .flat_map(|(_, n)| n)
            .map(|n| n.rho)
            .sum();
        assert!(
            (month + week - b.rho_per_month).abs() < 1e-9,
            "{month} + {week}"
        );
        let eps = b.epsilon(month + week).unwrap();
        assert!(eps > 2.5 && eps < 3.5, "{eps}");
        // The conversion the library does is the known one: ρ = 0.075 is about ε = 2.
        assert!((epsilon(0.075, 1e-7).unwrap() - 2.04).abs() < 0.05);
    }

    #[test]
    fn noise_has_the_scale_it_claims() {
        let b = Budget::default();
        let d = Domains {
            categories: crate::default_categories(),
            routes: vec![],
            zones: (0..500).map(|i| format!("z{i}")).collect(),
            answers: Vec::new(),
            answer_cells: 0,
        };
        let exact = tabulate(&Records::default(), &d, Some(b.bounds), 1..=31);
        let out = protect(&exact, &b, false).unwrap();
        let zones = exact.iter().position(|e| e.spec.id == "zone_risk").unwrap();
        let (noisy, how) = &out[zones];
        let n = noisy[0].len() as f64;
        let var = noisy[0].iter().map(|&x| (x * x) as f64).sum::<f64>() / n;
        let sigma = how[0].sigma;
        // 6,000 draws: the sample standard deviation within 5 % of σ (5 standard errors).
        assert!(
            (var.sqrt() / sigma - 1.0).abs() < 0.05,
            "sd {} vs σ {sigma}",
            var.sqrt()
        );
        assert!(noisy[0].iter().any(|&x| x < 0), "noise is two-sided");
    }

    #[test]
    fn survey_answers_pay_for_every_cell_an_answer_can_touch() {
        let b = Budget::default();
        let seeds = crate::questionnaire::seeds();
        let (answers, answer_cells) = crate::questionnaire::release_domain(&seeds);
        let widest = seeds.iter().map(|d| d.max_cells()).max().unwrap();
        assert_eq!(answer_cells, widest);
        let d = Domains {
            categories: crate::default_categories(),
            routes: vec![],
            zones: vec![],
            answers,
            answer_cells,
        };
        let exact = tabulate(&Records::default(), &d, Some(b.bounds), 1..=31);
        let out = protect(&exact, &b, false).unwrap();
        let i = exact
            .iter()
            .position(|e| e.spec.id == "survey_answers")
            .unwrap();
        let how = &out[i].1[0];
        // σ = Δ / √(2ρ) with Δ = √(answers a person may give × cells an answer may touch).
        let delta = (f64::from(b.bounds.surveys) * f64::from(widest)).sqrt();
        assert!(
            (how.sensitivity - delta).abs() < 1e-9,
            "{}",
            how.sensitivity
        );
        assert!(
            (how.sigma - delta / (2.0 * how.rho).sqrt()).abs() < 1e-6 * how.sigma,
            "σ {} for Δ {delta}",
            how.sigma
        );
    }
}
