//! A ride's rating (`POST /v1/ratings`, the bot's `/encuesta`): what is accepted and stored.

use crate::{arequipa, fresh};
use app::ratings::RatingInput;
use app::{Channel, Error};

fn rating<'a>(route: Option<&'a str>, safety: Option<u8>, at: Option<i64>) -> RatingInput<'a> {
    RatingInput {
        route_id: route,
        safety,
        satisfaction: Some(4),
        at,
        gender: Some("mujer"),
        age_band: Some("18_35"),
        channel: Channel::Api,
        rider: None,
    }
}

#[tokio::test]
async fn ratings_are_checked_then_stored() {
    let f = fresh().await;
    let tt = arequipa();
    let route = tt.routes()[0].id.clone();
    let now = app::now_unix();
    let lang = i18n::Lang::Es;
    // (input) → Ok or the error's kind; nothing is stored for an error.
    let cases: [(RatingInput<'_>, Result<(), &str>); 6] = [
        (rating(Some(&route), Some(2), None), Ok(())),
        (rating(None, Some(5), Some(now - 3600)), Ok(())),
        (rating(Some(&route), Some(6), None), Err("invalid")),
        (rating(Some(&route), Some(0), None), Err("invalid")),
        (
            rating(Some("arequipa:nope"), Some(3), None),
            Err("unprocessable"),
        ),
        (
            rating(Some(&route), Some(3), Some(now + 86_400)),
            Err("unprocessable"),
        ),
    ];
    let mut stored = 0;
    for (input, expected) in cases {
        let got = match f.app.rate_ride(&input, lang).await {
            Ok(()) => Ok(()),
            Err(Error::Invalid(m)) => {
                assert!(!m.is_empty());
                Err("invalid")
            }
            Err(Error::Unprocessable(m)) => {
                assert!(!m.is_empty());
                Err("unprocessable")
            }
            Err(other) => panic!("{other:?}"),
        };
        stored += usize::from(got.is_ok());
        assert_eq!(
            got, expected,
            "{:?} {:?} {:?}",
            input.route_id, input.safety, input.at
        );
    }
    let groups = f.obs.store().survey_groups(0, now + 10).await.unwrap();
    let counted: i64 = groups.iter().map(|g| g.answers).sum();
    assert_eq!(counted, stored as i64);
}
