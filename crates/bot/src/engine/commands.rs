//! The commands riders type, in one table: the dispatcher (`Engine::command`), Telegram's
//! command menu (`set_commands`) and the help text all read it.

use i18n::{Lang, t};

/// A command riders type: its name (Spanish, as the menu shows it), the other names it
/// answers to, and whether the help lists it. Its menu description is `bot.cmd.<name>` and its
/// line in the help `bot.help.<name>` in the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    /// The name in the menu (`/ruta`).
    pub name: &'static str,
    /// Other names (English, Quechua) it answers to.
    pub aliases: &'static [&'static str],
    /// Listed in the help (not `/start` or `/ayuda` itself).
    pub in_help: bool,
    /// What it does: the flow it starts, or its one answer.
    pub action: Action,
}

/// What a command does. The dispatcher matches on this (every action handled, checked by the
/// compiler), never on a command's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Welcome, then the language and the profile.
    Start,
    /// Plan a trip (text after the command answers the first question).
    Route,
    /// The next buses at a stop (text after the command answers the first question).
    Departures,
    /// Report an incident.
    Report,
    /// The rider's reports and their status.
    MyReports,
    /// Follow (or leave) a route's service alerts.
    Alerts,
    /// Rate a ride.
    Rating,
    /// The surveys open to answers.
    Questionnaires,
    /// See, change or withdraw the profile.
    Profile,
    /// Choose the language.
    Language,
    /// Choose the city.
    City,
    /// Erase everything kept about the rider.
    Erase,
    /// Leave whatever was being asked.
    Cancel,
    /// The help.
    Help,
}

impl Command {
    /// The catalog key of its description in the command menu.
    pub fn menu_key(&self) -> String {
        format!("bot.cmd.{}", self.name)
    }
}

/// Every command, once: the dispatcher, the command menu and the help text read this table.
pub const COMMANDS: [Command; 14] = [
    Command {
        name: "start",
        aliases: &[],
        in_help: false,
        action: Action::Start,
    },
    Command {
        name: "ruta",
        aliases: &["route", "plan"],
        in_help: true,
        action: Action::Route,
    },
    Command {
        name: "salidas",
        aliases: &["departures"],
        in_help: true,
        action: Action::Departures,
    },
    Command {
        name: "reportar",
        aliases: &["report"],
        in_help: true,
        action: Action::Report,
    },
    Command {
        name: "mis_reportes",
        aliases: &["my_reports"],
        in_help: true,
        action: Action::MyReports,
    },
    Command {
        name: "alertas",
        aliases: &["alerts", "willakuy"],
        in_help: true,
        action: Action::Alerts,
    },
    Command {
        name: "encuesta",
        aliases: &["survey"],
        in_help: true,
        action: Action::Rating,
    },
    Command {
        name: "encuestas",
        aliases: &["surveys"],
        in_help: true,
        action: Action::Questionnaires,
    },
    Command {
        name: "perfil",
        aliases: &["profile"],
        in_help: true,
        action: Action::Profile,
    },
    Command {
        name: "idioma",
        aliases: &["language", "simi"],
        in_help: true,
        action: Action::Language,
    },
    Command {
        name: "ciudad",
        aliases: &["city", "llaqta"],
        in_help: true,
        action: Action::City,
    },
    Command {
        name: "borrar",
        aliases: &["delete"],
        in_help: true,
        action: Action::Erase,
    },
    Command {
        name: "cancelar",
        aliases: &["cancel"],
        in_help: true,
        action: Action::Cancel,
    },
    Command {
        name: "ayuda",
        aliases: &["help"],
        in_help: false,
        action: Action::Help,
    },
];

/// The command a typed name means, by its name or one of its aliases.
pub fn command_named(name: &str) -> Option<&'static Command> {
    COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name))
}

/// What the bot can do, in the rider's language: the header and one line per command the
/// help lists, from [`COMMANDS`].
pub fn help(lang: Lang) -> String {
    let mut text = t(lang, "bot.help", &[]);
    for c in COMMANDS.iter().filter(|c| c.in_help) {
        text.push_str(&format!(
            "\n/{} — {}",
            c.name,
            t(lang, &format!("bot.help.{}", c.name), &[])
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::LANGS;

    #[test]
    fn every_command_is_described_in_every_language_and_answers_to_each_of_its_names() {
        let mut names = std::collections::HashSet::new();
        for c in COMMANDS {
            for n in std::iter::once(c.name).chain(c.aliases.iter().copied()) {
                assert!(names.insert(n), "`/{n}` names two commands");
                assert_eq!(command_named(n).map(|x| x.name), Some(c.name));
            }
            for lang in LANGS {
                let menu = c.menu_key();
                assert_ne!(t(lang, &menu, &[]), menu, "{lang:?} has no {menu}");
                if c.in_help {
                    let key = format!("bot.help.{}", c.name);
                    assert_ne!(t(lang, &key, &[]), key, "{lang:?} has no {key}");
                }
            }
        }
        assert!(command_named("nada").is_none());
    }

    #[test]
    fn the_help_lists_the_commands_of_the_table_in_order() {
        for lang in LANGS {
            let help = help(lang);
            let listed: Vec<&str> = help
                .lines()
                .filter_map(|l| l.strip_prefix('/'))
                .filter_map(|l| l.split(' ').next())
                .collect();
            let table: Vec<&str> = COMMANDS
                .iter()
                .filter(|c| c.in_help)
                .map(|c| c.name)
                .collect();
            assert_eq!(listed, table, "{lang:?}");
        }
        assert!(help(Lang::Es).starts_with("Esto es lo que puedo hacer:\n/ruta — cómo llegar"));
    }
}
