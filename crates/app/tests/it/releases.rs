//! The observatory's figures: officials read exact counts at once; the public reads noisy
//! ones only once a period is released.

use crate::{at_the_plaza, fresh};
use app::indicators::IndicatorQuery;
use app::{Channel, Error, Role};
use i18n::Lang;

#[tokio::test]
async fn exact_figures_for_officials_at_once_public_ones_only_after_a_release() {
    let f = fresh().await;
    let (o, a) = (&f.obs, &f.app);
    let lang = Lang::Es;
    for channel in [Channel::Api, Channel::Web, Channel::Bot] {
        let r = at_the_plaza("acoso_verbal", None, channel);
        a.file_report(&r, None, lang).await.unwrap();
    }
    let now = app::now_unix();
    let viewer = f.official("ana", Role::Viewer).await;
    let tables = a
        .internal_figures(&viewer, (now - 86_400, now + 86_400), lang)
        .await
        .unwrap();
    let incidents = tables.iter().find(|t| t.id == "incidents").unwrap();
    let row = incidents
        .rows
        .iter()
        .find(|r| r.key == ["acoso_verbal", "mujer"])
        .unwrap_or_else(|| panic!("{:?}", incidents.rows));
    assert_eq!(row.count, 3);

    // Nothing public before a release.
    assert_eq!(a.any_released().await, Some(false));
    let all = IndicatorQuery::default();
    assert_eq!(
        a.indicators(&all, lang).await.map(|_| ()),
        Err(Error::NotFound(i18n::t(lang, "obs.no_release", &[])))
    );
    // The month released (as the release job does once it closes), then read.
    let tt = a.dataset().timetable.clone();
    let month = app::clock::now(&tt).0.date().format("%Y-%m").to_string();
    app::releases::release_periods(o, &tt, &month, &[None], now)
        .await
        .unwrap();
    assert_eq!(a.any_released().await, Some(true));
    let got = a.indicators(&all, lang).await.unwrap();
    assert_eq!(got.periods, [month]);
    assert!(got.privacy.epsilon_per_month > 0.0);
    assert!(!got.indicators.is_empty());
    // (query, expected): one indicator only; an unknown one or an unknown filter value refused.
    let one = app::indicators::indicator_ids()[0];
    let only = |id: &str| IndicatorQuery {
        indicator: Some(id.into()),
        ..IndicatorQuery::default()
    };
    let tables = a.indicators(&only(one), lang).await.unwrap().indicators;
    assert!(
        !tables.is_empty() && tables.iter().all(|t| t.id == one),
        "{one}"
    );
    let refused = [
        only("no_such_indicator"),
        IndicatorQuery {
            filters: vec![("category".into(), "no_such_category".into())],
            ..IndicatorQuery::default()
        },
    ];
    for q in refused {
        let got = a.indicators(&q, lang).await;
        assert!(matches!(got, Err(Error::Invalid(_))), "{q:?}: {got:?}");
    }
}
