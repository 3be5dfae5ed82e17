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
        /// viewer (read raw reports), editor (also change their status) or admin.
        #[arg(long, default_value = "viewer")]
        role: String,
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
            TokenCommand::Create { name, role } => {
                let role: store::Role = role.parse().map_err(|()| {
                    anyhow::anyhow!("--role must be viewer, editor or admin, not `{role}`")
                })?;
                anyhow::ensure!(
                    !name.trim().is_empty() && name.chars().count() <= 100,
                    "--name must have 1 to 100 characters"
                );
                let store = crate::open_store(cfg).await?;
                let token = store
                    .create_official(name.trim(), role, crate::unix_now())
                    .await
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
