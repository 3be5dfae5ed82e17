//! `paradero admin`: officials' tokens for the observatory.

use anyhow::Context;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Officials' bearer tokens.
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(clap::Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a token for an official and print it (only its hash is stored: keep it now).
    Create {
        /// The official's name, as shown in report histories.
        #[arg(long)]
        name: String,
        /// viewer (read raw reports), editor (also change their status), admin, or operator
        /// (a bus company's: push its fleet's positions, read nothing).
        #[arg(long, default_value = "viewer")]
        role: String,
        /// For an operator: an agency it speaks for, as `FEED:AGENCY_ID` (`arequipa:0`);
        /// repeat for several.
        #[arg(long = "agency")]
        agencies: Vec<String>,
    },
    /// Revoke every token of an official.
    Revoke {
        /// The official's name.
        #[arg(long)]
        name: String,
    },
}

pub fn run(cfg: &config::Config, cmd: Command) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    rt.block_on(async {
        let Command::Token(t) = cmd;
        match t {
            TokenCommand::Create {
                name,
                role,
                agencies,
            } => {
                let role: store::Role = role.parse().map_err(|()| {
                    anyhow::anyhow!(
                        "--role must be viewer, editor, admin or operator, not `{role}`"
                    )
                })?;
                anyhow::ensure!(
                    !name.trim().is_empty() && name.chars().count() <= 100,
                    "--name must have 1 to 100 characters"
                );
                check_agencies(cfg, role, &agencies)?;
                let store = crate::open_store(cfg).await?;
                let now = crate::unix_now();
                let token = if role == store::Role::Operator {
                    store.create_operator(name.trim(), &agencies, now).await
                } else {
                    store.create_official(name.trim(), role, now).await
                }
                .context("creating the token")?;
                println!("{token}");
                eprintln!(
                    "token for {} ({role}) created; send it as `Authorization: Bearer <token>`. \
                     It cannot be shown again.",
                    name.trim()
                );
                Ok(())
            }
            TokenCommand::Revoke { name } => {
                let store = crate::open_store(cfg).await?;
                let n = store
                    .revoke_official(name.trim(), crate::unix_now())
                    .await
                    .context("revoking")?;
                anyhow::ensure!(n > 0, "no active token for `{}`", name.trim());
                eprintln!("{n} token(s) of {} revoked", name.trim());
                Ok(())
            }
        }
    })
}

/// An operator needs agencies, each `FEED:ID` of a configured feed; nobody else has any.
fn check_agencies(
    cfg: &config::Config,
    role: store::Role,
    agencies: &[String],
) -> anyhow::Result<()> {
    if role != store::Role::Operator {
        anyhow::ensure!(
            agencies.is_empty(),
            "--agency is for operators only (--role operator)"
        );
        return Ok(());
    }
    anyhow::ensure!(
        !agencies.is_empty(),
        "an operator speaks for at least one agency: add --agency FEED:AGENCY_ID (for example \
         --agency arequipa:0; the ids are in the feed's agency.txt)"
    );
    for a in agencies {
        let feed = a.split_once(':').map(|(f, id)| (f, id.trim()));
        let known =
            feed.is_some_and(|(f, id)| !id.is_empty() && cfg.feeds.iter().any(|c| c.id == f));
        anyhow::ensure!(
            known,
            "--agency `{a}` is not FEED:AGENCY_ID of a configured feed ({})",
            cfg.feeds
                .iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}
