//! `paradero bot` and the bot inside `paradero serve`, as processes, against the fake
//! Telegram Bot API on loopback.

use bot::fake::{FakeTelegram, TOKEN};
use std::path::Path;
use std::process::Command;
use std::time::Duration;

#[test]
fn bot_without_a_token_says_how_to_give_one() {
    let out = Command::new(env!("CARGO_BIN_EXE_paradero"))
        .arg("bot")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env_remove("PARADERO_CONFIG")
        .env_remove("TELOXIDE_TOKEN")
        .env_remove("PARADERO_BOT__TOKEN")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("TELOXIDE_TOKEN"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    // A webhook without a secret is refused by the configuration check.
    let out = Command::new(env!("CARGO_BIN_EXE_paradero"))
        .arg("bot")
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env_remove("PARADERO_CONFIG")
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("PARADERO_BOT__WEBHOOK_URL", "https://paradero.example/hook")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("bot.webhook_secret"), "{err}");
}

/// Runs `paradero <args>` with the bot pointed at `fake`, on a fresh store.
fn spawn(fake: &FakeTelegram, args: &[&str], dir: &tempfile::TempDir) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_paradero"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .env_remove("PARADERO_CONFIG")
        .env("TELOXIDE_TOKEN", TOKEN)
        .env("PARADERO_BOT__API_URL", fake.url())
        .env("PARADERO_BOT__POLL_TIMEOUT_S", "1")
        .env(
            "PARADERO_STORE__URL",
            format!("sqlite://{}/paradero.db", dir.path().display()),
        )
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

fn stop(mut child: std::process::Child) -> std::process::ExitStatus {
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    child.wait().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn paradero_bot_answers_and_stops_on_sigterm() {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let child = spawn(&fake, &["bot"], &dir);
    fake.text(11, "/start");
    let sent = fake.wait_sent(11, 2, Duration::from_secs(60)).await;
    assert!(sent.len() >= 2, "welcome and language question: {sent:?}");
    assert!(sent[0].text().contains("paradero"), "{}", sent[0].text());
    assert_eq!(sent[1].buttons().len(), 3);
    let status = stop(child);
    assert!(status.success(), "{status:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_runs_the_bot_in_process_when_a_token_is_set() {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let child = spawn(&fake, &["serve", "--listen", "127.0.0.1:0"], &dir);
    fake.text(12, "/ayuda");
    let sent = fake.wait_sent(12, 1, Duration::from_secs(60)).await;
    assert!(!sent.is_empty(), "the bot inside serve answered");
    assert!(sent[0].text().contains("/reportar"), "{}", sent[0].text());
    let status = stop(child);
    assert!(status.success(), "{status:?}");
}

#[test]
fn serve_keeps_serving_when_telegram_is_unreachable() {
    // Port 9 (discard) on loopback: nothing answers there.
    let served = crate::Served::start(&[
        ("TELOXIDE_TOKEN", TOKEN),
        ("PARADERO_BOT__API_URL", "http://127.0.0.1:9/"),
    ]);
    let (status, body) = crate::http(&served.addr, "GET", "/healthz", &[], "");
    assert_eq!(status, 200, "{body}");
}
