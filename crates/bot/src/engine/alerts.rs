//! `/alertas`: a chat follows a route's service alerts (detours, cuts, strikes) — `/alertas
//! 12` follows route 12 (both directions), `/alertas no 12` leaves it, `/alertas no` leaves
//! them all, `/alertas` lists what it follows and the alerts in force for those routes. New
//! and changed alerts reach followers through `crate::deliver_alerts`.

use super::{Engine, EngineError, Out, Turn};
use i18n::t;

impl Engine {
    pub(super) async fn alerts_command(
        &self,
        chat: i64,
        turn: &mut Turn,
        args: &str,
    ) -> Result<(), EngineError> {
        let lang = turn.lang;
        if self.app.observatory().is_none() {
            turn.out.push(Out::text(t(lang, "bot.alerts.off", &[])));
            return Ok(());
        }
        let args = args.trim();
        let (leave, rest) = match args.split_once(char::is_whitespace) {
            Some((w, rest)) if is_no(w) => (true, rest.trim()),
            _ if is_no(args) => (true, ""),
            _ => (false, args),
        };
        let names = |routes: &[app::alerts::FollowedRoute]| {
            let mut n: Vec<&str> = routes.iter().map(|r| r.short_name.as_str()).collect();
            n.sort_unstable();
            n.dedup();
            n.join(", ")
        };
        if leave {
            if rest.is_empty() {
                self.app.unfollow_route_alerts(chat, None, lang).await?;
                turn.out
                    .push(Out::text(t(lang, "bot.alerts.unfollowed_all", &[])));
            } else if self
                .app
                .unfollow_route_alerts(chat, Some(rest), lang)
                .await?
                == 0
            {
                turn.out
                    .push(Out::text(t(lang, "bot.alerts.not_following", &[])));
            } else {
                turn.out.push(Out::text(t(
                    lang,
                    "bot.alerts.unfollowed",
                    &[("routes", &rest)],
                )));
            }
            return Ok(());
        }
        if !rest.is_empty() {
            let routes = self.app.follow_route_alerts(chat, rest, lang).await?;
            turn.out.push(Out::text(t(
                lang,
                "bot.alerts.following",
                &[("routes", &names(&routes))],
            )));
            return Ok(());
        }
        let followed = self.app.followed_routes(chat, lang).await?;
        if followed.is_empty() {
            turn.out.push(Out::text(t(lang, "bot.alerts.none", &[])));
            return Ok(());
        }
        let mut text = t(lang, "bot.alerts.list", &[("routes", &names(&followed))]);
        let ids: Vec<&str> = followed.iter().map(|r| r.id.as_str()).collect();
        let now = app::now_unix();
        let alerts = self.app.alerts(now, lang).await?;
        let mine: Vec<String> = alerts
            .alerts
            .iter()
            .filter(|a| a.active_now)
            .filter(|a| {
                a.informed
                    .iter()
                    .any(|e| e.route.as_deref().is_some_and(|r| ids.contains(&r)))
            })
            .map(|a| {
                let h = &a.header;
                let pick = match lang {
                    i18n::Lang::En => h.en.clone(),
                    i18n::Lang::Qu => h.qu.clone(),
                    i18n::Lang::Es => None,
                }
                .unwrap_or_else(|| h.es.clone());
                format!("• {pick}")
            })
            .collect();
        if !mine.is_empty() {
            text.push_str("\n\n");
            text.push_str(&t(lang, "bot.alerts.active", &[]));
            for m in mine {
                text.push('\n');
                text.push_str(&m);
            }
        }
        turn.out.push(Out::text(text));
        Ok(())
    }
}

/// "Stop" in the three languages.
fn is_no(w: &str) -> bool {
    matches!(
        w.to_lowercase().as_str(),
        "no" | "off" | "stop" | "dejar" | "salir" | "mana" | "amaña"
    )
}
