//! The HTTP routes. Bad input is a 4xx with a JSON error, never a 500.

use super::decision_log::Record;
use super::registry::{Entry, Version};
use super::State;
use crate::contract::{
    EvalError, Health, PolicyInfo, PolicyList, Ready, ServiceError, ServiceErrorBody,
    ServiceErrorCode, ServingVersion,
};
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

type Shared = axum::extract::State<Arc<State>>;

pub fn router(state: Arc<State>) -> Router {
    let limit = state.config.max_body_bytes;
    Router::new()
        .route("/v1/policies", get(list))
        .route("/v1/policies/{id}", get(one))
        .route("/v1/policies/{id}/schema", get(case_schema))
        .route(
            "/v1/policies/{id}/evaluate",
            post(evaluate).layer(DefaultBodyLimit::max(limit)),
        )
        .route(
            "/v1/policies/{id}/evaluate:batch",
            post(batch).layer(DefaultBodyLimit::disable()),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/openapi.json", get(openapi))
        .fallback(not_found_route)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// A request-level error, answered as `{"error": {"code": …, "message": …}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ServiceErrorCode,
    message: String,
}

pub fn error(status: StatusCode, code: ServiceErrorCode, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        code,
        message: message.into(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ServiceError {
            error: ServiceErrorBody {
                code: self.code,
                message: self.message,
            },
        };
        json_response(self.status, &body)
    }
}

/// `body` as JSON with `status`.
fn json_response<T: serde::Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (status, json_headers(), bytes).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn json_headers() -> [(header::HeaderName, HeaderValue); 1] {
    [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )]
}

/// Times every request, counts it, and answers 503 when it runs past the time limit.
async fn observe(state: Shared, req: Request, next: Next) -> Response {
    let started = Instant::now();
    // A `Uri` clone shares its bytes: no allocation per request.
    let uri = req.uri().clone();
    let route = route_name(uri.path());
    let policy = policy_label(&state, uri.path());
    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let response = match tokio::time::timeout(state.config.timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => error(
            StatusCode::SERVICE_UNAVAILABLE,
            ServiceErrorCode::Timeout,
            format!(
                "the request took longer than {} ms",
                state.config.timeout.as_millis()
            ),
        )
        .into_response(),
    };
    state.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    state.metrics.request(
        route,
        policy,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

fn route_name(path: &str) -> &'static str {
    let rest = path.strip_prefix("/v1/policies");
    match rest {
        Some("") | Some("/") => "list",
        Some(r) if r.ends_with("/evaluate") => "evaluate",
        Some(r) if r.ends_with("/evaluate:batch") => "evaluate_batch",
        Some(r) if r.ends_with("/schema") => "schema",
        Some(_) => "policy",
        None => match path {
            "/healthz" => "healthz",
            "/readyz" => "readyz",
            "/metrics" => "metrics",
            "/openapi.json" => "openapi",
            _ => "other",
        },
    }
}

/// The policy id of the path when it names a served policy, else `-` (so that
/// unknown ids cannot grow the metrics without bound).
fn policy_label<'p>(state: &State, path: &'p str) -> &'p str {
    let id = path
        .strip_prefix("/v1/policies/")
        .and_then(|r| r.split('/').next())
        .unwrap_or("");
    if !id.is_empty() && state.registry.load().entries.contains_key(id) {
        id
    } else {
        "-"
    }
}

async fn not_found_route(req: Request) -> Response {
    error(
        StatusCode::NOT_FOUND,
        ServiceErrorCode::NotFound,
        format!("no route `{} {}`", req.method(), req.uri().path()),
    )
    .into_response()
}

fn entry(state: &State, id: &str) -> Result<Arc<Entry>, ApiError> {
    state
        .registry
        .load()
        .entries
        .get(id)
        .cloned()
        .ok_or_else(|| {
            error(
                StatusCode::NOT_FOUND,
                ServiceErrorCode::PolicyNotFound,
                format!("no policy `{id}`: GET /v1/policies lists the policies served"),
            )
        })
}

fn serving(state: &State, id: &str) -> Result<Arc<Version>, ApiError> {
    let e = entry(state, id)?;
    e.serving.clone().ok_or_else(|| {
        error(
            StatusCode::SERVICE_UNAVAILABLE,
            ServiceErrorCode::PolicyUnavailable,
            format!(
                "policy `{id}` has errors and no earlier version that checked: GET /v1/policies/{id} shows them"
            ),
        )
    })
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn rfc3339_utc(secs: i64) -> String {
    crate::time::format_instant(secs, 0)
}

/// The `at` query parameter, if any.
fn query_at(query: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(q) = query else { return Ok(None) };
    for pair in q.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if k == "at" {
            return percent_decode(v).map(Some).ok_or_else(|| {
                error(
                    StatusCode::BAD_REQUEST,
                    ServiceErrorCode::BadAt,
                    "the `at` parameter is not valid percent-encoded UTF-8",
                )
            });
        }
    }
    Ok(None)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        match c {
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn parse_at(policy: &crate::Policy, text: Option<&str>) -> Result<i64, ApiError> {
    match text {
        None => Ok(now_secs()),
        Some(t) => policy.parse_at(t).ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                ServiceErrorCode::BadAt,
                format!("`{t}` is not a date and time such as 2025-04-29T10:30+07:00"),
            )
        }),
    }
}

fn body_error(rejection: BytesRejection, limit: usize) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            ServiceErrorCode::PayloadTooLarge,
            format!("the request body is over {limit} bytes"),
        )
    } else {
        error(
            StatusCode::BAD_REQUEST,
            ServiceErrorCode::BadRequest,
            format!("cannot read the request body: {rejection}"),
        )
    }
}

/// A case error, in the same JSON as `pol eval` prints.
fn case_error(e: &crate::CaseError) -> Response {
    json_response(StatusCode::BAD_REQUEST, &EvalError::new(e, "request body"))
}

/// The case and the evaluation time of an `evaluate` body: either the case record
/// itself, or `{"case": {…}, "at": "…"}` (no fact can be named `case`: it is a keyword).
fn split_envelope(body: &str) -> Result<(std::borrow::Cow<'_, str>, Option<String>), ()> {
    if !body.contains("\"case\"") {
        return Ok((body.into(), None));
    }
    let Ok(serde_json::Value::Object(mut m)) = serde_json::from_str::<serde_json::Value>(body)
    else {
        return Ok((body.into(), None));
    };
    let Some(case) = m.remove("case") else {
        return Ok((body.into(), None));
    };
    let at = match m.remove("at") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(_) => return Err(()),
    };
    if !m.is_empty() {
        return Err(());
    }
    Ok((case.to_string().into(), at))
}

/// Evaluate one case record
///
/// The body is the case record itself, or `{"case": {…}, "at": "…"}`. The evaluation
/// time comes from the `at` parameter, else the body's `at`, else the current time; the
/// Decision echoes it.
#[utoipa::path(
    post,
    path = "/v1/policies/{id}/evaluate",
    tag = "policies",
    params(
        ("id" = String, Path, description = "The policy: its file name without `.pol`"),
        ("at" = Option<String>, Query, description = "Evaluation time, e.g. 2025-04-29T10:30+07:00 (without offset: the policy's zone; a date: its start)")
    ),
    request_body(content = Object, content_type = "application/json", description = "A case record (see GET /v1/policies/{id}/schema), or {\"case\": {…}, \"at\": \"…\"}"),
    responses(
        (status = 200, description = "The Decision", body = crate::Decision,
         headers(("x-decision-id" = String, description = "The id of this decision in the decision log"),
                 ("x-policy-hash" = String, description = "sha256 of the policy file that answered"))),
        (status = 400, description = "The case record or a parameter is not valid", body = crate::contract::BadRequest),
        (status = 404, description = "No such policy", body = ServiceError),
        (status = 413, description = "The body is over the size limit", body = ServiceError),
        (status = 503, description = "The policy has errors and no earlier version, or the request took too long", body = ServiceError),
    )
)]
pub(super) async fn evaluate(
    state: Shared,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let version = match serving(&state, &id) {
        Ok(v) => v,
        Err(r) => return r.into_response(),
    };
    let body = match body {
        Ok(b) => b,
        Err(r) => return body_error(r, state.config.max_body_bytes).into_response(),
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        return case_error(&crate::CaseError {
            code: "E0601",
            path: "$".into(),
            expected: "a JSON object".into(),
            found: "bytes that are not UTF-8 text".into(),
            message: "the case is not UTF-8 text".into(),
        });
    };
    let (case_text, body_at) = match split_envelope(text) {
        Ok(x) => x,
        Err(()) => {
            return error(
                StatusCode::BAD_REQUEST,
                ServiceErrorCode::BadRequest,
                "a body with `case` must be {\"case\": {…}, \"at\": \"…\"} and nothing else",
            )
            .into_response()
        }
    };
    let at_text = match query_at(query.as_deref()) {
        Ok(Some(q)) => Some(q),
        Ok(None) => body_at,
        Err(r) => return r.into_response(),
    };
    let policy = version.engine.policy();
    let at = match parse_at(policy, at_text.as_deref()) {
        Ok(a) => a,
        Err(r) => return r.into_response(),
    };
    let mut out = Vec::with_capacity(4096);
    match version
        .engine
        .evaluate_json_into(&case_text, Some(at), &mut out)
    {
        Ok(()) => {
            state.metrics.evaluations(&id, 1, 0);
            let decision_id = state.decision_id();
            if let Some(log) = &state.log {
                let facts = serde_json::from_str(&case_text).unwrap_or(serde_json::Value::Null);
                log.write(
                    Record {
                        decision_id: &decision_id,
                        time: &rfc3339_utc(now_secs()),
                        policy: &id,
                        content_hash: &version.content_hash,
                        facts: &policy.mask_case(&facts),
                        decision: &out,
                    }
                    .to_line(),
                );
            }
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if let Ok(v) = HeaderValue::from_str(&decision_id) {
                headers.insert("x-decision-id", v);
            }
            if let Ok(v) = HeaderValue::from_str(&version.content_hash) {
                headers.insert("x-policy-hash", v);
            }
            (StatusCode::OK, headers, out).into_response()
        }
        Err(e) => {
            state.metrics.evaluations(&id, 0, 1);
            case_error(&e)
        }
    }
}

/// Evaluate many case records
///
/// NDJSON in, NDJSON out, streamed: one output line per input line, in order — a
/// Decision, a refused case record (`{"line": N, "error": {…}}`), or a line refused
/// before its case was read (too long, or the batch stopped there). Every line is a
/// `BatchLine` (see the components).
#[utoipa::path(
    post,
    path = "/v1/policies/{id}/evaluate:batch",
    tag = "policies",
    params(
        ("id" = String, Path, description = "The policy: its file name without `.pol`"),
        ("at" = Option<String>, Query, description = "Evaluation time for every line (default: now)")
    ),
    request_body(description = "One case record per line (NDJSON; sent as application/x-ndjson or text/plain)",
        content((String = "application/x-ndjson"), (String = "text/plain"))),
    responses(
        (status = 200, description = "One BatchLine per input line, in order", body = String, content_type = "application/x-ndjson",
         headers(("x-decision-id" = String, description = "The prefix of this batch's decision ids (line N: PREFIX.N)"))),
        (status = 400, description = "A parameter is not valid", body = ServiceError),
        (status = 404, description = "No such policy", body = ServiceError),
        (status = 413, description = "The declared body size is over the batch limit", body = ServiceError),
        (status = 503, description = "The policy has errors and no earlier version, or the request took too long", body = ServiceError),
    )
)]
pub(super) async fn batch(
    state: Shared,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
    req: Request,
) -> Response {
    let version = match serving(&state, &id) {
        Ok(v) => v,
        Err(r) => return r.into_response(),
    };
    let at = match query_at(query.as_deref()) {
        Ok(t) => match parse_at(version.engine.policy(), t.as_deref()) {
            Ok(a) => a,
            Err(r) => return r.into_response(),
        },
        Err(r) => return r.into_response(),
    };
    let max = state.config.max_batch_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return error(
            StatusCode::PAYLOAD_TOO_LARGE,
            ServiceErrorCode::PayloadTooLarge,
            format!("the batch is over {max} bytes"),
        )
        .into_response();
    }
    let decision_id = state.decision_id();
    let input = req.into_body().into_data_stream();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::spawn(super::batch::stream(
        state.0.clone(),
        version,
        id,
        at,
        decision_id.clone(),
        input,
        tx,
    ));
    let output = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    if let Ok(v) = HeaderValue::from_str(&decision_id) {
        headers.insert("x-decision-id", v);
    }
    (StatusCode::OK, headers, Body::from_stream(output)).into_response()
}

fn policy_info(e: &Entry) -> PolicyInfo {
    PolicyInfo {
        id: e.id.clone(),
        file: e.file.display().to_string(),
        load_status: e.status,
        file_hash: e.file_hash.clone(),
        serving: e.serving.as_ref().map(|v| {
            let m = &v.engine.policy().meta;
            ServingVersion {
                policy_id: m.id.clone(),
                version: m.version.clone(),
                title: m.title.clone(),
                valid_from: m.valid_from.map(crate::time::format_date),
                valid_until: m.valid_until.map(crate::time::format_date),
                content_hash: v.content_hash.clone(),
                loaded_at: rfc3339_utc(v.loaded_at),
            }
        }),
        diagnostics: e.diagnostics.clone(),
    }
}

/// The policies of the folder
#[utoipa::path(get, path = "/v1/policies", tag = "policies",
    responses((status = 200, description = "Every policy file, with its load status and the version served", body = PolicyList)))]
pub(super) async fn list(state: Shared) -> Response {
    let reg = state.registry.load();
    let body = PolicyList {
        policies: reg.entries.values().map(|e| policy_info(e)).collect(),
    };
    json_response(StatusCode::OK, &body)
}

/// One policy
#[utoipa::path(get, path = "/v1/policies/{id}", tag = "policies",
    params(("id" = String, Path, description = "The policy: its file name without `.pol`")),
    responses((status = 200, description = "The policy file, its load status, diagnostics and the version served", body = PolicyInfo),
              (status = 404, description = "No such policy", body = ServiceError)))]
pub(super) async fn one(state: Shared, Path(id): Path<String>) -> Response {
    match entry(&state, &id) {
        Ok(e) => json_response(StatusCode::OK, &policy_info(&e)),
        Err(r) => r.into_response(),
    }
}

/// The JSON Schema of a policy's case record
#[utoipa::path(get, path = "/v1/policies/{id}/schema", tag = "policies",
    params(("id" = String, Path, description = "The policy: its file name without `.pol`")),
    responses((status = 200, description = "JSON Schema (2020-12), as `pol schema POLICY` prints it", body = Object),
              (status = 404, description = "No such policy", body = ServiceError),
              (status = 503, description = "The policy has errors and no earlier version", body = ServiceError)))]
pub(super) async fn case_schema(state: Shared, Path(id): Path<String>) -> Response {
    match serving(&state, &id) {
        Ok(v) => {
            let schema = crate::schema::case_schema(v.engine.policy());
            (StatusCode::OK, json_headers(), schema.to_string()).into_response()
        }
        Err(r) => r.into_response(),
    }
}

/// Liveness: the process answers
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "Alive", body = Health)))]
pub(super) async fn healthz() -> Response {
    let body = Health {
        status: "ok".into(),
    };
    json_response(StatusCode::OK, &body)
}

/// Readiness: at least one policy is served and the server is not shutting down
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "Ready", body = Ready),
              (status = 503, description = "Not ready", body = ServiceError)))]
pub(super) async fn readyz(state: Shared) -> Response {
    let reg = state.registry.load();
    let served = reg.entries.values().filter(|e| e.serving.is_some()).count();
    if !state.ready.load(Ordering::SeqCst) {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            ServiceErrorCode::NotReady,
            "the server is shutting down",
        )
        .into_response();
    }
    if served == 0 {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            ServiceErrorCode::NotReady,
            "no policy is served: every policy file is missing or has errors",
        )
        .into_response();
    }
    let body = Ready {
        status: "ready".into(),
        policies: served,
    };
    json_response(StatusCode::OK, &body)
}

/// Prometheus metrics
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text format 0.0.4", body = String, content_type = "text/plain")))]
pub(super) async fn metrics(state: Shared) -> Response {
    let reg = state.registry.load();
    let loaded = reg.entries.values().filter(|e| e.serving.is_some()).count();
    let failed = reg.entries.len() - loaded;
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        state.metrics.render(loaded, failed),
    )
        .into_response()
}

/// This document
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "OpenAPI 3.1", body = Object)))]
pub(super) async fn openapi() -> Response {
    (
        StatusCode::OK,
        json_headers(),
        super::openapi::document().to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_at_is_percent_decoded() {
        let at = query_at(Some("x=1&at=2025-05-02T10%3A00%2B07%3A00"))
            .ok()
            .flatten();
        assert_eq!(at.as_deref(), Some("2025-05-02T10:00+07:00"));
        assert!(query_at(Some("at=%ZZ")).is_err());
    }

    #[test]
    fn envelope_or_bare_case() {
        let (c, at) = split_envelope(r#"{"a": 1}"#).unwrap();
        assert_eq!((c.as_ref(), at), (r#"{"a": 1}"#, None));
        let (c, at) = split_envelope(r#"{"case": {"a": 1}, "at": "2025-01-01"}"#).unwrap();
        assert_eq!(c.as_ref(), r#"{"a":1}"#);
        assert_eq!(at.as_deref(), Some("2025-01-01"));
        assert!(split_envelope(r#"{"case": {}, "other": 1}"#).is_err());
    }
}
