//! `paradero observatory`: the public statistics' releases and their privacy budget.

use anyhow::Context;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Compute and store every closed period's release that is missing (the server does this
    /// hourly by itself), and print what was released.
    Release,
    /// Print the privacy-loss budget: ε per person per month, and each table's noise.
    Budget,
}

pub fn run(cfg: &config::Config, cmd: Command) -> anyhow::Result<()> {
    let budget = cfg.observatory.privacy.budget();
    match cmd {
        Command::Budget => {
            let eps = budget.epsilon(budget.rho_per_month)?;
            println!(
                "privacy-loss budget per person per calendar month, all public tables together:\n  \
                 rho = {} (zCDP), epsilon = {eps:.2} at delta = {:e}",
                budget.rho_per_month, budget.delta
            );
            println!(
                "  weeks get {:.0} % of it, months the rest; trips {:.0} %, reports {:.0} %, surveys {:.0} %",
                budget.week_share * 100.0,
                budget.kind_shares[0] * 100.0,
                budget.kind_shares[1] * 100.0,
                budget.kind_shares[2] * 100.0
            );
            println!(
                "  one person counts at most {} trips, {} reports and {} survey answers a month, once per cell",
                budget.bounds.trips, budget.bounds.reports, budget.bounds.surveys
            );
            let seeds = observatory::questionnaire::seeds();
            let (answers, answer_cells) = observatory::questionnaire::release_domain(&seeds);
            let d = observatory::release::Domains {
                categories: observatory::default_categories(),
                routes: vec![],
                zones: vec![],
                answers,
                answer_cells,
            };
            let exact = observatory::release::tabulate(
                &observatory::release::Records::default(),
                &d,
                Some(budget.bounds),
                1..=31,
            );
            println!(
                "\n{:<26} {:<14} {:>10} {:>12} {:>12}",
                "table", "measure", "rho", "sigma/month", "±95%/month"
            );
            for weekly in [false] {
                for (e, (_, noise)) in exact
                    .iter()
                    .zip(observatory::privacy::protect(&exact, &budget, weekly)?)
                {
                    for (m, n) in e.spec.measures.iter().zip(noise) {
                        println!(
                            "{:<26} {:<14} {:>10.5} {:>12.2} {:>12.1}",
                            e.spec.id,
                            m.name,
                            n.rho,
                            n.sigma,
                            observatory::publish::Z95 * n.sigma
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Release => {
            let dataset = crate::serve::prepare(cfg)?.dataset;
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            rt.block_on(async {
                let obs = crate::serve::open_observatory(cfg)
                    .await?
                    .context("the observatory is disabled ([observatory] enabled = false)")?;
                let done = app::releases::release_due(&obs, &dataset.timetable, crate::unix_now())
                    .await
                    .context("computing releases")?;
                if done.is_empty() {
                    println!("nothing to release: every closed period has its release");
                } else {
                    println!("released: {}", done.join(", "));
                }
                crate::close_observatory(&obs).await;
                Ok(())
            })
        }
    }
}
