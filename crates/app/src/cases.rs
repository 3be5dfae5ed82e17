//! The use cases of the observatory, one method of [`App`] each, as both front doors call
//! them: each finds the observatory itself (an [`Error::NotFound`] in the asker's language
//! when it is switched off) and the timetable being served, so that a door passes only what
//! its user gave. Planning, places and the network are in `lib.rs` and their own modules;
//! the functions these methods call stay in their modules, where their rules are written.

use crate::categories::CategoryEdit;
use crate::indicators::{IndicatorQuery, Indicators};
use crate::internal::InternalTable;
use crate::photos::Added;
use crate::questionnaires::{AnswerInput, Published, Recorded, SurveyView};
use crate::ratings::RatingInput;
use crate::reports::{Followed, ReportInput};
use crate::riders::{BotChat, Erased, Notification};
use crate::{App, Error, now_unix};
use i18n::Lang;
use observatory::questionnaire::Definition;
use store::{Official, PhotoMeta, Report, ReportFilter, Role, Status};

impl App {
    // ----- officials -----

    /// The official holding `token`, if their role is at least `needed` (401 without a valid
    /// token, 403 below the role).
    pub async fn authenticate(
        &self,
        token: Option<&str>,
        needed: Role,
        lang: Lang,
    ) -> Result<Official, Error> {
        let o = self.require_observatory(lang)?;
        crate::officials::authenticate(o, token, needed, lang).await
    }

    // ----- reports -----

    /// Checks a report against the network served and the categories, without storing it
    /// (the chatbot asks this before its last confirmation).
    pub fn check_report(&self, input: &ReportInput<'_>, lang: Lang) -> Result<(), Error> {
        let o = self.require_observatory(lang)?;
        crate::reports::validate(&self.dataset().timetable, o, input, now_unix(), lang).map(|_| ())
    }

    /// A report followed by its secret reference (with the official's `token`, their view),
    /// at a constant pace whether or not it exists.
    pub async fn follow_report(
        &self,
        reference: &str,
        token: Option<&str>,
        lang: Lang,
    ) -> Result<Followed, Error> {
        let o = self.require_observatory(lang)?;
        crate::reports::follow(o, reference, token, lang).await
    }

    /// Several reports followed at once (Open311's `service_request_id` list), each by its
    /// secret, or by its case number for an official.
    pub async fn follow_reports(
        &self,
        ids: &[&str],
        who: Option<&Official>,
        lang: Lang,
    ) -> Result<Vec<(String, Followed)>, Error> {
        let o = self.require_observatory(lang)?;
        crate::reports::follow_ids(o, ids, who, lang).await
    }

    /// The reports an official may see, as a reporter follows them.
    pub async fn followed_reports(
        &self,
        who: &Official,
        filter: &ReportFilter,
        lang: Lang,
    ) -> Result<Vec<Followed>, Error> {
        let o = self.require_observatory(lang)?;
        crate::reports::list_followed(o, who, filter, lang).await
    }

    /// The reports an official may see, as stored.
    pub async fn reports(
        &self,
        who: &Official,
        filter: &ReportFilter,
        lang: Lang,
    ) -> Result<Vec<Report>, Error> {
        let o = self.require_observatory(lang)?;
        crate::reports::list(o, who, filter, lang).await
    }

    /// An official moves a report on (the reporter is told).
    pub async fn change_status(
        &self,
        who: &Official,
        reference: &str,
        to: Status,
        note: &str,
        lang: Lang,
    ) -> Result<Followed, Error> {
        let o = self.require_observatory(lang)?;
        crate::reports::change_status(o, who, reference, to, note, lang).await
    }

    /// The reporter erases her report (and its photos) with its secret.
    pub async fn erase_report(&self, secret: &str, lang: Lang) -> Result<(), Error> {
        let o = self.require_observatory(lang)?;
        crate::reports::erase(o, secret, lang).await
    }

    // ----- photos -----

    /// The limits on photos (sizes, count), for a door to refuse early what would be refused.
    pub fn photo_limits(&self) -> crate::photos::PhotoSettings {
        self.observatory()
            .map_or_else(Default::default, |o| o.settings.photos)
    }

    /// The reporter adds a photo to her report (cleaned of metadata before it is stored).
    pub async fn add_photo(
        &self,
        secret: &str,
        content_type: Option<&str>,
        bytes: Vec<u8>,
        lang: Lang,
    ) -> Result<Added, Error> {
        let o = self.require_observatory(lang)?;
        crate::photos::add(o, secret, content_type, bytes, lang).await
    }

    /// The photos of some cases, for an official.
    pub async fn photos(
        &self,
        who: &Official,
        cases: &[String],
        lang: Lang,
    ) -> Result<Vec<PhotoMeta>, Error> {
        let o = self.require_observatory(lang)?;
        crate::photos::list(o, who, cases, lang).await
    }

    /// One photo of a case, for an official.
    pub async fn photo(
        &self,
        who: &Official,
        case: &str,
        id: &str,
        lang: Lang,
    ) -> Result<(PhotoMeta, Vec<u8>), Error> {
        let o = self.require_observatory(lang)?;
        crate::photos::get(o, who, case, id, lang).await
    }

    // ----- categories -----

    /// An editor adds or changes a category; `true` when it was created.
    pub async fn put_category(
        &self,
        who: &Official,
        code: &str,
        edit: &CategoryEdit,
        lang: Lang,
    ) -> Result<bool, Error> {
        let o = self.require_observatory(lang)?;
        crate::categories::put(o, who, code, edit, lang).await
    }

    /// An editor retires a category (or a whole group).
    pub async fn retire_category(
        &self,
        who: &Official,
        code: &str,
        group: bool,
        lang: Lang,
    ) -> Result<(), Error> {
        let o = self.require_observatory(lang)?;
        crate::categories::retire(o, who, code, group, lang).await
    }

    // ----- ratings and questionnaires -----

    /// A rider rates a ride.
    pub async fn rate_ride(&self, input: &RatingInput<'_>, lang: Lang) -> Result<(), Error> {
        let o = self.require_observatory(lang)?;
        crate::ratings::answer(o, &self.dataset().timetable, input, lang).await
    }

    /// The questionnaires open to answers.
    pub async fn questionnaires(&self, lang: Lang) -> Result<Vec<SurveyView>, Error> {
        let o = self.require_observatory(lang)?;
        crate::questionnaires::list(o, lang).await
    }

    /// A questionnaire's definition (the live version, or `version`) and its version.
    pub async fn questionnaire(
        &self,
        code: &str,
        version: Option<i32>,
        lang: Lang,
    ) -> Result<(Definition, i32), Error> {
        let o = self.require_observatory(lang)?;
        crate::questionnaires::get(o, code, version, lang).await
    }

    /// A rider answers a questionnaire.
    pub async fn answer_questionnaire(
        &self,
        code: &str,
        answer: &AnswerInput<'_>,
        lang: Lang,
    ) -> Result<Recorded, Error> {
        let o = self.require_observatory(lang)?;
        crate::questionnaires::answer(o, &self.dataset().timetable, code, answer, lang).await
    }

    /// An admin publishes a questionnaire's new version (its definition in JSON).
    pub async fn publish_questionnaire(
        &self,
        who: &Official,
        code: &str,
        body: &str,
        lang: Lang,
    ) -> Result<Published, Error> {
        let o = self.require_observatory(lang)?;
        crate::questionnaires::publish(o, who, code, body, lang).await
    }

    /// An editor closes a questionnaire to answers.
    pub async fn retire_questionnaire(
        &self,
        who: &Official,
        code: &str,
        lang: Lang,
    ) -> Result<(), Error> {
        let o = self.require_observatory(lang)?;
        crate::questionnaires::retire(o, who, code, lang).await
    }

    /// A questionnaire's answers between two instants, as CSV, for an official.
    pub async fn export_questionnaire(
        &self,
        who: &Official,
        code: &str,
        (from, to): (i64, i64),
        with_text: bool,
        lang: Lang,
    ) -> Result<String, Error> {
        let o = self.require_observatory(lang)?;
        crate::questionnaires::export_csv(o, who, code, from, to, with_text, lang).await
    }

    // ----- releases -----

    /// The public indicators asked for, from the releases.
    pub async fn indicators(&self, q: &IndicatorQuery, lang: Lang) -> Result<Indicators, Error> {
        let o = self.require_observatory(lang)?;
        crate::indicators::read(o, &self.dataset().timetable, q, lang).await
    }

    /// Exact internal figures between two instants, for an official.
    pub async fn internal_figures(
        &self,
        who: &Official,
        (from, to): (i64, i64),
        lang: Lang,
    ) -> Result<Vec<InternalTable>, Error> {
        let o = self.require_observatory(lang)?;
        crate::internal::figures(o, who, &self.dataset().timetable, from, to, lang).await
    }

    /// Whether anything was released yet; `None` when the observatory is off or unreadable.
    pub async fn any_released(&self) -> Option<bool> {
        crate::releases::any_released(self.observatory()?).await
    }

    // ----- chat riders -----

    /// The stored conversation of `chat_id`, if any.
    pub async fn rider_chat(&self, chat_id: i64, lang: Lang) -> Result<Option<BotChat>, Error> {
        let o = self.require_observatory(lang)?;
        crate::riders::chat(o, chat_id, lang).await
    }

    /// Stores a conversation.
    pub async fn save_rider_chat(&self, c: &BotChat, lang: Lang) -> Result<(), Error> {
        let o = self.require_observatory(lang)?;
        crate::riders::save_chat(o, c, lang).await
    }

    /// The last `limit` reports a rider filed, newest first.
    pub async fn rider_reports(
        &self,
        rider: &str,
        limit: i64,
        lang: Lang,
    ) -> Result<Vec<Followed>, Error> {
        let o = self.require_observatory(lang)?;
        crate::riders::reports_of(o, rider, limit, lang).await
    }

    /// Right to erasure for a chat rider.
    pub async fn erase_rider(
        &self,
        rider: &str,
        chat_id: i64,
        lang: Lang,
    ) -> Result<Erased, Error> {
        let o = self.require_observatory(lang)?;
        crate::riders::erase(o, rider, chat_id, lang).await
    }

    /// Report changes to tell riders about, oldest first (none when the observatory is off).
    /// Each is delivered at least once: [`App::claim_notification`] it before sending,
    /// [`App::give_back_notification`] when sending failed.
    pub async fn pending_notifications(&self, limit: i64) -> Result<Vec<Notification>, Error> {
        match self.observatory() {
            Some(o) => crate::riders::pending_notifications(o, limit).await,
            None => Ok(Vec::new()),
        }
    }

    /// Takes notification `id` for delivery; `false` when another process took it first.
    pub async fn claim_notification(&self, id: i64) -> Result<bool, Error> {
        let o = self.require_observatory(Lang::default())?;
        crate::riders::claim(o, id).await
    }

    /// Gives notification `id` back after a failed delivery.
    pub async fn give_back_notification(&self, id: i64) -> Result<(), Error> {
        let o = self.require_observatory(Lang::default())?;
        crate::riders::give_back(o, id).await
    }
}
