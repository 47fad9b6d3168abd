//! What the listener answers, and nothing more: `GET /pair/{code}`, `GET /phone` and
//! its script and style, and `/phone/api/*` for the paired phone (its cookie, and JSON
//! bodies on POSTs). Everything else is 404; a request naming another host is refused
//! (a page elsewhere cannot reach this listener through a rebound name). Errors are
//! `{code, message}`, as everywhere in Portcullis.

use super::{LanPhone, PairRefused, Visitor, COOKIE};
use crate::error::Error;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Path, Request, State};
use axum::http::header::{self, HeaderValue};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::Stream;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;
use std::convert::Infallible;
use std::time::Duration;

const PAGE: &str = include_str!("../../../ui/lan-phone.html");
const SCRIPT: &str = include_str!("../../../ui/lan-phone.js");
const STYLE: &str = include_str!("../../../ui/lan-phone.css");

/// Small requests only: the largest is a user name, password and number.
const BODY_LIMIT: usize = 16 * 1024;

/// The mobile page's own rules: its files only, nothing inline, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
                   connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; \
                   frame-ancestors 'none'";

pub fn router(lan: LanPhone) -> Router {
    Router::new()
        .route("/pair/{code}", get(pair))
        .route("/phone", get(page))
        .route("/phone/lan-phone.js", get(script))
        .route("/phone/lan-phone.css", get(style))
        .route("/phone/api/status", get(status))
        .route("/phone/api/events", get(events))
        .route("/phone/api/activation/start", post(activation_start))
        .route("/phone/api/activation/verify", post(activation_verify))
        .route("/phone/api/activation/finish", post(activation_finish))
        .route("/phone/api/messages", get(messages))
        .route("/phone/api/approve", post(approve))
        .route("/phone/api/deny", post(deny))
        .route("/phone/api/authenticate", post(authenticate))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(lan.clone(), guard))
        .with_state(lan)
}

/// An error with its status, sent as `{code, message}`.
pub(super) struct ApiError(StatusCode, Error);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

/// The phone core's and the broker's errors: the code says what happened.
impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        let status = match e.code.as_str() {
            "broker_unreachable" => StatusCode::BAD_GATEWAY,
            "broker_timeout" => StatusCode::GATEWAY_TIMEOUT,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError(status, e)
    }
}

fn not_paired() -> ApiError {
    ApiError(
        StatusCode::UNAUTHORIZED,
        Error::new(
            "not_paired",
            "This phone is not paired with Portcullis, or its pairing ended (Reset demo). \
             Scan the QR code in the login window.",
        ),
    )
}

/// The host check, then the same protective headers on every answer.
async fn guard(State(lan): State<LanPhone>, request: Request, next: Next) -> Response {
    let host_ok = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| lan.serves_host(h));
    let mut response = if host_ok {
        next.run(request).await
    } else {
        ApiError(
            StatusCode::FORBIDDEN,
            Error::new(
                "forbidden_host",
                "This request is refused: it names another host than this listener.",
            ),
        )
        .into_response()
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

async fn not_found() -> ApiError {
    ApiError(
        StatusCode::NOT_FOUND,
        Error::new("not_found", "There is nothing here."),
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError(
        StatusCode::METHOD_NOT_ALLOWED,
        Error::new(
            "method_not_allowed",
            "This address does not take that method.",
        ),
    )
}

/// The session secret in the request's cookie, if any.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE).then(|| value.to_owned())
        })
}

/// The paired phone, from the request's cookie: 401 `not_paired` otherwise.
struct Paired(Visitor, String);

impl FromRequestParts<LanPhone> for Paired {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, lan: &LanPhone) -> Result<Self, ApiError> {
        let secret = session_cookie(&parts.headers).ok_or_else(not_paired)?;
        let visitor = lan.visitor(&secret).ok_or_else(not_paired)?;
        if parts.method == axum::http::Method::POST {
            lan.visited(super::Visit::Acted);
        }
        Ok(Paired(visitor, secret))
    }
}

/// A JSON body, sent as JSON (`Content-Type: application/json`): a form a page
/// elsewhere could post is refused.
struct Body<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(request, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(e) => Err(json_refused(&e)),
        }
    }
}

fn json_refused(e: &JsonRejection) -> ApiError {
    let status = e.status();
    let error = if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        Error::new(
            "unsupported_media_type",
            "Send this request as JSON (Content-Type: application/json).",
        )
    } else if status == StatusCode::PAYLOAD_TOO_LARGE {
        Error::new("body_too_large", "This request is too large.")
    } else {
        Error::new("invalid_json", e.body_text())
    };
    ApiError(status, error)
}

// ---- pairing and the page ----

async fn pair(State(lan): State<LanPhone>, Path(code): Path<String>) -> Response {
    match lan.pair(&code) {
        Ok(secret) => (
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, "/phone".to_owned()),
                (
                    header::SET_COOKIE,
                    format!("{COOKIE}={secret}; HttpOnly; SameSite=Strict; Path=/"),
                ),
            ],
        )
            .into_response(),
        Err(PairRefused::Used(e)) => refused_page(&lan, StatusCode::GONE, &e),
        Err(PairRefused::Unknown(e)) => refused_page(&lan, StatusCode::NOT_FOUND, &e),
    }
}

/// A refused pairing, as a page the visitor's browser shows, in the app's language.
fn refused_page(lan: &LanPhone, status: StatusCode, e: &Error) -> Response {
    let french = (lan.inner.locale)() == "fr";
    let (lang, title, text) = if french {
        let text = match e.code.as_str() {
            "pairing_code_used" => {
                "Ce code d'association a déjà servi. Un seul téléphone s'associe avec chaque \
                 code ; après « Réinitialiser la démo », la fenêtre de connexion en affiche un \
                 nouveau."
            }
            "pairing_code_expired" => {
                "Ce code d'association n'est plus valable : la démo a été réinitialisée. \
                 Scannez le nouveau code dans la fenêtre de connexion."
            }
            _ => {
                "Ce n'est pas un code d'association de ce Portcullis. Scannez le code dans la \
                 fenêtre de connexion."
            }
        };
        ("fr", "Association refusée", text)
    } else {
        ("en", "Pairing refused", e.message.as_str())
    };
    let body = format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>IB Key — {title}</title><link rel=\"stylesheet\" href=\"/phone/lan-phone.css\">\
         </head><body><main class=\"handset\"><header class=\"app-bar\"><p class=\"app-name\">IB Key</p></header>\
         <section class=\"screen\"><h1 data-testid=\"lan-phone-pair-refused\" data-code=\"{code}\">{title}</h1>\
         <p role=\"alert\" data-testid=\"lan-phone-pair-refused-text\">{text}</p></section></main></body></html>\n",
        code = e.code,
    );
    (status, Html(body)).into_response()
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

async fn script() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        SCRIPT,
    )
}

async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE)
}

// ---- the paired phone's API ----

async fn status(Paired(visitor, _): Paired) -> Json<serde_json::Value> {
    Json(json!({
        "paired": true,
        "locale": visitor.locale,
        "phone": visitor.phone.status(),
    }))
}

/// `changed` whenever the phone has something new (a request, a withdrawal, an
/// activation), `unpaired` once its pairing ends (then the stream ends).
async fn events(
    State(lan): State<LanPhone>,
    Paired(_, secret): Paired,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut changes = lan.subscribe();
    // A reset between the cookie's check and this subscription would otherwise go
    // unsaid: the first turn checks the pairing at once.
    changes.mark_changed();
    let stream = futures_util::stream::unfold(Some((changes, lan, secret)), |state| async move {
        let (mut changes, lan, secret) = state?;
        let alive = changes.changed().await.is_ok() && lan.visitor(&secret).is_some();
        if alive {
            let event = Event::default().event("changed").data("{}");
            Some((Ok(event), Some((changes, lan, secret))))
        } else {
            Some((Ok(Event::default().event("unpaired").data("{}")), None))
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

#[derive(Deserialize)]
struct StartBody {
    username: String,
    password: String,
    phone_number: String,
}

async fn activation_start(
    Paired(visitor, _): Paired,
    Body(body): Body<StartBody>,
) -> Result<Response, ApiError> {
    let step = visitor
        .phone
        .activation_start(&body.username, &body.password, &body.phone_number)
        .await?;
    Ok(Json(step).into_response())
}

#[derive(Deserialize)]
struct VerifyBody {
    response: String,
}

async fn activation_verify(
    Paired(visitor, _): Paired,
    Body(body): Body<VerifyBody>,
) -> Result<Response, ApiError> {
    let step = visitor.phone.activation_verify(&body.response).await?;
    Ok(Json(step).into_response())
}

#[derive(Deserialize)]
struct FinishBody {
    code: String,
    pin: String,
}

/// K1's last step: the visitor's security element is a PIN (4–6 characters, K1).
async fn activation_finish(
    Paired(visitor, _): Paired,
    Body(body): Body<FinishBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    visitor
        .phone
        .activation_finish(body.code.trim(), "pin", &body.pin)
        .await?;
    Ok(Json(json!({ "activated": true })))
}

async fn messages(Paired(visitor, _): Paired) -> Result<Response, ApiError> {
    let inbox = visitor.phone.messages().await?;
    Ok(Json(inbox).into_response())
}

#[derive(Deserialize)]
struct ApproveBody {
    push_id: String,
    pin: String,
    picked: Option<u8>,
}

async fn approve(
    Paired(visitor, _): Paired,
    Body(body): Body<ApproveBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    visitor
        .phone
        .approve(&body.push_id, Some(&body.pin), body.picked)
        .await?;
    Ok(Json(json!({ "approved": true })))
}

#[derive(Deserialize)]
struct DenyBody {
    push_id: String,
}

async fn deny(
    Paired(visitor, _): Paired,
    Body(body): Body<DenyBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    visitor.phone.deny(&body.push_id).await?;
    Ok(Json(json!({ "denied": true })))
}

#[derive(Deserialize)]
struct AuthenticateBody {
    username: String,
    pin: String,
    challenge: String,
}

/// K3: the Authenticate screen, PIN and challenge → the passcode.
async fn authenticate(
    Paired(visitor, _): Paired,
    Body(body): Body<AuthenticateBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let response = visitor
        .phone
        .authenticate(&body.username, Some(&body.pin), &body.challenge)?;
    Ok(Json(json!({ "response": response })))
}
