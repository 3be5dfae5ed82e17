//! A fake Telegram Bot API on loopback, for tests and benchmarks: riders' messages go in as
//! updates (served to `getUpdates`, long polling included), and everything the bot sends is
//! recorded. It speaks the Bot API's JSON (`{"ok": true, "result": …}`), can answer
//! `429 retry_after` to test flood control, and never reaches the internet.

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// The token the fake accepts.
pub const TOKEN: &str = "123456:PARADERO-TEST";

/// A call the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    /// Method, lower case (`sendmessage`).
    pub method: String,
    /// Its JSON parameters.
    pub params: Value,
    /// When it arrived.
    pub at: Instant,
}

impl Call {
    /// The chat it was for.
    pub fn chat_id(&self) -> Option<i64> {
        self.params.get("chat_id").and_then(Value::as_i64)
    }
    /// Text sent or edited.
    pub fn text(&self) -> &str {
        self.params
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("")
    }
    /// Callback data of the inline buttons sent, row by row.
    pub fn buttons(&self) -> Vec<(String, String)> {
        self.params
            .pointer("/reply_markup/inline_keyboard")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .map(|b| {
                (
                    b["text"].as_str().unwrap_or("").to_string(),
                    b["callback_data"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }
}

#[derive(Debug, Default)]
struct Inner {
    queue: Mutex<VecDeque<Value>>,
    arrived: Notify,
    calls: Mutex<Vec<Call>>,
    /// Messages sent, per chat (what riders see; kept apart so waiting stays cheap).
    sent: Mutex<HashMap<i64, Vec<Call>>>,
    called: Notify,
    next_update: AtomicI64,
    next_message: AtomicI64,
    /// Updates given out, by update id, and when they were queued (for latency).
    queued_at: Mutex<HashMap<i64, Instant>>,
    /// Method → how many next calls answer 429, and the retry_after to give.
    flood: Mutex<HashMap<String, (u32, u32)>>,
    /// Longest a `getUpdates` waits for an update.
    max_poll: Duration,
    /// Chats that blocked the bot: sending to them answers 403.
    blocked: Mutex<std::collections::HashSet<i64>>,
    /// Files riders sent (photos), by file id, served by `getFile` and the download path.
    files: Mutex<HashMap<String, Vec<u8>>>,
}

/// The fake server. Dropping it does not stop it; it lives as long as the runtime.
#[derive(Debug, Clone)]
pub struct FakeTelegram {
    addr: std::net::SocketAddr,
    inner: Arc<Inner>,
}

fn ok(result: Value) -> axum::Json<Value> {
    axum::Json(json!({ "ok": true, "result": result }))
}

fn chat(id: i64) -> Value {
    json!({ "id": id, "type": "private", "first_name": "Rider" })
}

fn user(id: i64) -> Value {
    json!({ "id": id, "is_bot": false, "first_name": "Rider", "language_code": "es" })
}

/// Text fields of a `multipart/form-data` body (teloxide sends some methods that way), as a
/// JSON object; values that are JSON stay JSON.
fn multipart_fields(boundary: &str, body: &[u8]) -> Value {
    let body = String::from_utf8_lossy(body);
    let mut out = serde_json::Map::new();
    for part in body.split(&format!("--{boundary}")) {
        let Some((head, value)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let Some(name) = head
            .split("name=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
        else {
            continue;
        };
        let value = value.strip_suffix("\r\n").unwrap_or(value);
        let v = serde_json::from_str(value).unwrap_or_else(|_| json!(value));
        out.insert(name.to_string(), v);
    }
    Value::Object(out)
}

async fn method(
    State(inner): State<Arc<Inner>>,
    Path((token, name)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    if token != format!("bot{TOKEN}") {
        return (
            axum::http::StatusCode::UNAUTHORIZED,
            axum::Json(json!({ "ok": false, "error_code": 401, "description": "Unauthorized" })),
        )
            .into_response();
    }
    let name = name.to_ascii_lowercase();
    let ctype = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let params: Value = match ctype.split_once("boundary=") {
        Some((_, b)) if ctype.starts_with("multipart/form-data") => {
            multipart_fields(b.trim_matches('"'), &body)
        }
        _ => serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    if name != "getupdates" {
        let mut flood = inner.flood.lock().expect("fake lock");
        if let Some((n, secs)) = flood.get_mut(&name)
            && *n > 0
        {
            *n -= 1;
            let secs = *secs;
            drop(flood);
            return (
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                axum::Json(json!({ "ok": false, "error_code": 429,
                    "description": format!("Too Many Requests: retry after {secs}"),
                    "parameters": { "retry_after": secs } })),
            )
                .into_response();
        }
    }
    if name.starts_with("send")
        && let Some(chat) = params.get("chat_id").and_then(Value::as_i64)
        && inner.blocked.lock().expect("fake lock").contains(&chat)
    {
        inner.calls.lock().expect("fake lock").push(Call {
            method: format!("{name}:blocked"),
            params: params.clone(),
            at: Instant::now(),
        });
        return (
            axum::http::StatusCode::FORBIDDEN,
            axum::Json(json!({ "ok": false, "error_code": 403,
                "description": "Forbidden: bot was blocked by the user" })),
        )
            .into_response();
    }
    let result = match name.as_str() {
        "getme" => json!({ "id": 123456, "is_bot": true, "first_name": "paradero",
            "username": "paradero_bot", "can_join_groups": false,
            "can_read_all_group_messages": false, "supports_inline_queries": false,
            "has_main_web_app": false }),
        "getwebhookinfo" => {
            json!({ "url": "", "has_custom_certificate": false, "pending_update_count": 0 })
        }
        "getfile" => {
            let id = params.get("file_id").and_then(Value::as_str).unwrap_or("");
            let size = inner.files.lock().expect("fake lock").get(id).map(Vec::len);
            match size {
                Some(size) => json!({ "file_id": id, "file_unique_id": format!("u{id}"),
                    "file_size": size, "file_path": format!("photos/{id}.jpg") }),
                None => {
                    return (
                        axum::http::StatusCode::BAD_REQUEST,
                        axum::Json(json!({ "ok": false, "error_code": 400,
                            "description": "Bad Request: invalid file_id" })),
                    )
                        .into_response();
                }
            }
        }
        "deletewebhook"
        | "setwebhook"
        | "setmycommands"
        | "answercallbackquery"
        | "setchatmenubutton" => json!(true),
        "getupdates" => {
            let offset = params.get("offset").and_then(Value::as_i64).unwrap_or(0);
            let wait = params
                .get("timeout")
                .and_then(Value::as_u64)
                .map_or(Duration::ZERO, Duration::from_secs)
                .min(inner.max_poll);
            let deadline = tokio::time::Instant::now() + wait;
            loop {
                let notified = inner.arrived.notified();
                {
                    let mut q = inner.queue.lock().expect("fake lock");
                    // Confirmed updates are forgotten, as Telegram does.
                    while q
                        .front()
                        .is_some_and(|u| u["update_id"].as_i64().unwrap_or(0) < offset)
                    {
                        q.pop_front();
                    }
                    if !q.is_empty() {
                        break json!(q.iter().take(100).cloned().collect::<Vec<_>>());
                    }
                }
                if tokio::time::timeout_at(deadline, notified).await.is_err() {
                    break json!([]);
                }
            }
        }
        _ => {
            let id = inner.next_message.fetch_add(1, Ordering::Relaxed) + 1;
            let chat_id = params.get("chat_id").and_then(Value::as_i64).unwrap_or(0);
            json!({ "message_id": id, "date": 1_790_000_000, "chat": chat(chat_id),
                "text": params.get("text").cloned().unwrap_or(json!("")) })
        }
    };
    if name != "getupdates" {
        let call = Call {
            method: name,
            params,
            at: Instant::now(),
        };
        if call.method == "sendmessage"
            && let Some(chat) = call.chat_id()
        {
            inner
                .sent
                .lock()
                .expect("fake lock")
                .entry(chat)
                .or_default()
                .push(call.clone());
        }
        inner.calls.lock().expect("fake lock").push(call);
        inner.called.notify_waiters();
    }
    ok(result).into_response()
}

/// A file's bytes, as Telegram serves `https://api.telegram.org/file/bot<token>/<path>`.
async fn download(
    State(inner): State<Arc<Inner>>,
    Path((token, name)): Path<(String, String)>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let id = name.trim_start_matches("photos/").trim_end_matches(".jpg");
    match inner.files.lock().expect("fake lock").get(id) {
        Some(bytes) if token == format!("bot{TOKEN}") => bytes.clone().into_response(),
        _ => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}

impl FakeTelegram {
    /// Starts the fake on a free loopback port.
    pub async fn start() -> FakeTelegram {
        FakeTelegram::start_with_poll(Duration::from_millis(300)).await
    }

    /// Starts the fake; `getUpdates` waits at most `max_poll` for an update.
    pub async fn start_with_poll(max_poll: Duration) -> FakeTelegram {
        let inner = Arc::new(Inner {
            next_update: AtomicI64::new(1000),
            next_message: AtomicI64::new(5000),
            max_poll,
            ..Inner::default()
        });
        let app = Router::new()
            .route("/{token}/{method}", post(method))
            // teloxide sends the file path as one segment (`photos%2F….jpg`).
            .route("/file/{token}/{path}", axum::routing::get(download))
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binding a loopback port for the fake Bot API");
        let addr = listener.local_addr().expect("local address");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeTelegram { addr, inner }
    }

    /// Base URL to give the bot (`Bot::set_api_url`).
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn push(&self, kind: &str, payload: Value) -> i64 {
        let id = self.inner.next_update.fetch_add(1, Ordering::Relaxed);
        let update = json!({ "update_id": id, kind: payload });
        self.inner
            .queued_at
            .lock()
            .expect("fake lock")
            .insert(id, Instant::now());
        self.inner
            .queue
            .lock()
            .expect("fake lock")
            .push_back(update);
        self.inner.arrived.notify_waiters();
        id
    }

    fn message(&self, chat_id: i64, extra: Value) -> i64 {
        let mid = self.inner.next_message.fetch_add(1, Ordering::Relaxed) + 1;
        let mut m = json!({ "message_id": mid, "date": 1_790_000_000, "chat": chat(chat_id),
            "from": user(chat_id) });
        if let (Some(m), Value::Object(extra)) = (m.as_object_mut(), extra) {
            m.extend(extra);
        }
        self.push("message", m)
    }

    /// A rider types `text` (commands get their entity, as Telegram sends them).
    pub fn text(&self, chat_id: i64, text: &str) -> i64 {
        let mut extra = json!({ "text": text });
        if text.starts_with('/') {
            let len = text
                .split_whitespace()
                .next()
                .unwrap_or("")
                .encode_utf16()
                .count();
            extra["entities"] = json!([{ "type": "bot_command", "offset": 0, "length": len }]);
        }
        self.message(chat_id, extra)
    }

    /// A rider shares a location.
    pub fn location(&self, chat_id: i64, lat: f64, lon: f64) -> i64 {
        self.message(
            chat_id,
            json!({ "location": { "latitude": lat, "longitude": lon } }),
        )
    }

    /// A rider sends a venue (a named place picked in Telegram).
    pub fn venue(&self, chat_id: i64, lat: f64, lon: f64, title: &str) -> i64 {
        self.message(
            chat_id,
            json!({ "location": { "latitude": lat, "longitude": lon },
                "venue": { "location": { "latitude": lat, "longitude": lon }, "title": title,
                    "address": "Arequipa" } }),
        )
    }

    /// A rider sends a sticker.
    pub fn sticker(&self, chat_id: i64) -> i64 {
        self.message(
            chat_id,
            json!({ "sticker": { "file_id": "s1", "file_unique_id": "u1", "type": "regular",
                "width": 512, "height": 512, "is_animated": false, "is_video": false } }),
        )
    }

    /// A rider sends a photo.
    pub fn photo(&self, chat_id: i64) -> i64 {
        self.message(
            chat_id,
            json!({ "photo": [{ "file_id": "p1", "file_unique_id": "pu1", "width": 90,
                "height": 90 }] }),
        )
    }

    /// A rider sends a photo whose largest size is `bytes` (Telegram keeps the file; the bot
    /// fetches it with `getFile` and the download path).
    pub fn photo_of(&self, chat_id: i64, bytes: Vec<u8>) -> i64 {
        let id = format!("ph{}", self.inner.next_message.load(Ordering::Relaxed));
        let size = bytes.len();
        self.inner
            .files
            .lock()
            .expect("fake lock")
            .insert(id.clone(), bytes);
        self.message(
            chat_id,
            json!({ "photo": [
                { "file_id": "thumb", "file_unique_id": "thumbu", "width": 90, "height": 90 },
                { "file_id": id, "file_unique_id": format!("u{id}"), "width": 640,
                  "height": 480, "file_size": size }] }),
        )
    }

    /// A rider presses an inline button with callback `data`.
    pub fn press(&self, chat_id: i64, data: &str) -> i64 {
        let qid = self.inner.next_update.load(Ordering::Relaxed);
        let mid = self.inner.next_message.fetch_add(1, Ordering::Relaxed) + 1;
        self.push(
            "callback_query",
            json!({ "id": format!("q{qid}"), "from": user(chat_id), "chat_instance": "ci",
                "data": data,
                "message": { "message_id": mid, "date": 1_790_000_000, "chat": chat(chat_id),
                    "text": "…" } }),
        )
    }

    /// The next `n` calls to method `name` answer 429 with `retry_after` seconds.
    pub fn flood(&self, name: &str, n: u32, retry_after: u32) {
        self.inner
            .flood
            .lock()
            .expect("fake lock")
            .insert(name.to_ascii_lowercase(), (n, retry_after));
    }

    /// Chat `chat_id` blocks the bot: what is sent to it from now on answers 403.
    pub fn block(&self, chat_id: i64) {
        self.inner
            .blocked
            .lock()
            .expect("fake lock")
            .insert(chat_id);
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.inner.calls.lock().expect("fake lock").clone()
    }

    /// Messages sent to a chat so far.
    pub fn sent_to(&self, chat_id: i64) -> Vec<Call> {
        self.inner
            .sent
            .lock()
            .expect("fake lock")
            .get(&chat_id)
            .cloned()
            .unwrap_or_default()
    }

    fn sent_count(&self, chat_id: i64) -> usize {
        self.inner
            .sent
            .lock()
            .expect("fake lock")
            .get(&chat_id)
            .map_or(0, Vec::len)
    }

    /// When an update was queued.
    pub fn queued_at(&self, update_id: i64) -> Option<Instant> {
        self.inner
            .queued_at
            .lock()
            .expect("fake lock")
            .get(&update_id)
            .copied()
    }

    /// Waits until at least `n` messages have been sent to `chat_id` (at most `within`);
    /// returns all messages sent to it.
    pub async fn wait_sent(&self, chat_id: i64, n: usize, within: Duration) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let called = self.inner.called.notified();
            if self.sent_count(chat_id) >= n {
                return self.sent_to(chat_id);
            }
            if tokio::time::timeout_at(deadline, called).await.is_err() {
                return self.sent_to(chat_id);
            }
        }
    }

    /// Waits until `n` calls of any kind have been made (at most `within`).
    pub async fn wait_calls(&self, method: &str, n: usize, within: Duration) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let called = self.inner.called.notified();
            let c: Vec<Call> = self
                .calls()
                .into_iter()
                .filter(|c| c.method == method)
                .collect();
            if c.len() >= n {
                return c;
            }
            if tokio::time::timeout_at(deadline, called).await.is_err() {
                return c;
            }
        }
    }
}
