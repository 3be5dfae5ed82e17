//! Random sequences of whatever riders might send, straight into the engine: it never
//! panics, always answers, and the stored state always reads back.

use bot::{Engine, Input};
use proptest::prelude::*;
use std::sync::Arc;

fn input() -> impl Strategy<Value = Input> {
    let commands = prop::sample::select(vec![
        "start",
        "ruta",
        "salidas",
        "reportar",
        "mis_reportes",
        "encuesta",
        "encuestas",
        "perfil",
        "idioma",
        "borrar",
        "cancelar",
        "ayuda",
        "nada",
    ]);
    let buttons = prop::sample::select(vec![
        "lang:qu",
        "lang:xx",
        "consent:yes",
        "consent:no",
        "g:mujer",
        "g:skip",
        "g:",
        "a:18_35",
        "a:skip",
        "n:both",
        "p:0",
        "p:1",
        "p:99",
        "p:-1",
        "when:now",
        "when:today",
        "when:other",
        "cat:robo",
        "cat:",
        "desc:skip",
        "act:peaton",
        "act:skip",
        "act:ovni",
        "act:",
        "send",
        "send:anon",
        "cancel",
        "r:0",
        "s:3",
        "s:9",
        "erase:yes",
        "erase:no",
        "later",
        "rate",
        "q:perfil",
        "q:mujeres",
        "q:menu",
        "q:no",
        "q:zzz",
        "o:skip",
        "o:done",
        "o:mujer",
        "o:miradas",
        "o:ninguna",
        "o:3",
        "o:",
        "profile:change",
        "profile:withdraw",
        "stop:nope",
        "",
        "🙂",
    ]);
    prop_oneof![
        (commands, ".{0,30}").prop_map(|(c, a)| Input::Command(c.to_string(), a)),
        buttons.prop_map(|b| Input::Button(b.to_string())),
        prop::sample::select(vec![
            "charcani",
            "08:00",
            "25:61",
            "2026-02-30 10:00",
            "21/11 07:45",
            "A",
            "-16.3989,-71.5369",
            "nan,nan",
            "",
            " ",
            "ñandú",
            "Cotaspa 4",
        ])
        .prop_map(|t| Input::Text(t.to_string())),
        ".{0,300}".prop_map(Input::Text),
        (-90.0f64..90.0, -180.0f64..180.0).prop_map(|(a, b)| Input::Location(a, b)),
        (-16.45f64..-16.35, -71.58f64..-71.48).prop_map(|(a, b)| Input::Location(a, b)),
        Just(Input::Location(f64::NAN, 0.0)),
        Just(Input::Other),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_sequence_of_inputs_gets_answers_and_never_panics(
        seq in prop::collection::vec(input(), 1..25)
    ) {
        let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}/fuzz.db", dir.path().display());
            let state = crate::app_state(&url).await;
            let engine = Arc::new(Engine::new(state.clone(), bot::BotSettings::default()).unwrap());
            for (i, input) in seq.into_iter().enumerate() {
                let out = engine
                    .handle(7, input.clone(), Some("es"), &format!("k{i}"))
                    .await
                    .unwrap_or_else(|e| panic!("{input:?}: {e}"));
                assert!(!out.is_empty(), "no answer to {input:?}");
                for o in &out {
                    assert!(!o.text.trim().is_empty(), "empty text for {input:?}");
                    assert!(!o.text.contains("bot."), "a missing catalog key for {input:?}: {}", o.text);
                }
                if let Some(c) = state.observatory().unwrap().store().bot_chat(7).await.unwrap() {
                    let back = bot::dialogue::ChatState::from_json(&c.state);
                    assert_eq!(back.to_json(), c.state, "the stored state reads back");
                }
            }
        });
    }
}
