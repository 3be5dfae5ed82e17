//! A chat rider's own things, as the chatbot keeps them: the conversation row (dialogue state,
//! consented profile, random handle), the reports they filed, erasure of everything linked to
//! them, and the notifications of their reports' changes waiting to be delivered. The bot
//! reaches the store only through these.

use crate::reports::Followed;
use crate::{Error, Obs, now_unix};
use i18n::Lang;
pub use store::{BotChat, Erased, Notification};

/// The stored conversation of `chat_id`, if any.
pub(crate) async fn chat(o: &Obs, chat_id: i64, lang: Lang) -> Result<Option<BotChat>, Error> {
    o.store
        .bot_chat(chat_id)
        .await
        .map_err(|e| Error::from_store(&e, lang))
}

/// Stores a conversation (after every turn, so a restart loses nothing).
pub(crate) async fn save_chat(o: &Obs, c: &BotChat, lang: Lang) -> Result<(), Error> {
    o.store
        .save_bot_chat(c, now_unix())
        .await
        .map_err(|e| Error::from_store(&e, lang))
}

/// The last `limit` reports a rider filed, newest first, each with its history.
pub(crate) async fn reports_of(
    o: &Obs,
    rider: &str,
    limit: i64,
    lang: Lang,
) -> Result<Vec<Followed>, Error> {
    let reports = o
        .store
        .reports_of_rider(rider, limit)
        .await
        .map_err(|e| Error::from_store(&e, lang))?;
    crate::reports::with_histories(o, reports, lang).await
}

/// Right to erasure for a chat rider: their trips and survey answers go, their reports are
/// unlinked from them, and the conversation row (with the handle) is deleted.
pub(crate) async fn erase(o: &Obs, rider: &str, chat_id: i64, lang: Lang) -> Result<Erased, Error> {
    let failed = |e: store::StoreError| Error::from_store(&e, lang);
    let erased = o.store.erase_rider(rider).await.map_err(failed)?;
    o.store.delete_bot_chat(chat_id).await.map_err(failed)?;
    Ok(erased)
}

/// The outbox of report changes to tell riders about, oldest first. Each is delivered at
/// least once: [`claim`] it before sending, [`give_back`] it when sending failed.
pub(crate) async fn pending_notifications(o: &Obs, limit: i64) -> Result<Vec<Notification>, Error> {
    o.store
        .pending_notifications(limit)
        .await
        .map_err(|e| Error::from_store(&e, Lang::default()))
}

/// Takes notification `id` for delivery; `false` when another process took it first.
pub(crate) async fn claim(o: &Obs, id: i64) -> Result<bool, Error> {
    o.store
        .claim_notification(id, now_unix())
        .await
        .map_err(|e| Error::from_store(&e, Lang::default()))
}

/// Puts a claimed notification back for a later try (sending failed).
pub(crate) async fn give_back(o: &Obs, id: i64) -> Result<(), Error> {
    o.store
        .release_notification(id)
        .await
        .map_err(|e| Error::from_store(&e, Lang::default()))
}
