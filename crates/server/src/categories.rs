//! The incident categories as data over HTTP: officials with the admin role add, rename,
//! move, reorder and retire groups and categories, without a restart.

use crate::Problem;
use crate::extract::{Admin, JsonBody, Observatory, Official, Query};
use crate::query::Params;
use app::categories::CategoryEdit;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// `kind=group` names a group; anything else (or nothing) a category.
fn is_group(p: &Params) -> Result<bool, Problem> {
    match p.get("kind") {
        None | Some("category") => Ok(false),
        Some("group") => Ok(true),
        Some(other) => Err(Problem::bad_request(i18n::t(
            p.lang,
            "obs.bad_value",
            &[
                ("text", &other),
                ("field", &"kind"),
                ("allowed", &"category, group"),
            ],
        ))),
    }
}

#[utoipa::path(put, path = "/v1/categories/{code}", tag = "observatory",
    summary = "Add or change a group (no `group`) or a category (with its `group` and `family`): rename, move, reorder, bring back (admins); live at once",
    security(("admin_token" = [])),
    params(("code" = String, Path, description = "a-z, 0-9 and _, at most 40")),
    request_body(content = CategoryEdit, content_type = "application/json"),
    responses((status = 201, description = "Added"),
        (status = 204, description = "Changed"),
        (status = 400, description = "Not such a body", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not sent as `application/json`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad code, no Spanish name, an unknown group or family (the message says which)", body = Problem, content_type = "application/problem+json")))]
/// `PUT /v1/categories/{code}` (admins).
pub async fn put(
    Path(code): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
    Official(who, _): Official<Admin>,
    JsonBody(edit): JsonBody<CategoryEdit>,
) -> Result<Response, Problem> {
    let lang = p.lang;
    let created = app.put_category(&who, &code, &edit, lang).await?;
    Ok(if created {
        StatusCode::CREATED
    } else {
        StatusCode::NO_CONTENT
    }
    .into_response())
}

#[utoipa::path(delete, path = "/v1/categories/{code}", tag = "observatory",
    summary = "Retire a category, or a group with `kind=group` (admins): no new reports; its reports and released figures stay",
    security(("admin_token" = [])),
    params(("code" = String, Path), ("kind" = Option<String>, Query, description = "`category` (default) or `group`")),
    responses((status = 204, description = "Retired"),
        (status = 400, description = "Bad `kind`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or unknown token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such live category or group", body = Problem, content_type = "application/problem+json")))]
/// `DELETE /v1/categories/{code}` (admins).
pub async fn retire(
    Path(code): Path<String>,
    Query(p): Query,
    Observatory(app): Observatory,
    Official(who, _): Official<Admin>,
) -> Result<Response, Problem> {
    let lang = p.lang;
    let group = is_group(&p)?;
    app.retire_category(&who, &code, group, lang).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
