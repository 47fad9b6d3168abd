//! Who may drive a broker: one middleware in front of every route.
//!
//! A web page may not (a foreign `Origin`), nor a page that rebinds its own name to
//! 127.0.0.1 (a `Host` that is not a loopback name, unless the broker listens beyond
//! loopback by explicit choice), nor a form or a `text/plain` beacon (every POST is
//! JSON). With a QA token set, `/qa` answers only to requests that carry it.
//!
//! `guard` runs for every request, routed or not; `json_only` only for routed ones, so
//! a path the broker does not serve (QA without `--qa`) is `not_found` whatever its
//! content type.

use super::{ApiError, AppState};
use crate::error::BrokerError;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The header a QA request carries its token in.
pub const QA_TOKEN_HEADER: &str = "x-qa-token";

/// The policy the middleware applies, fixed at start.
#[derive(Clone, Default)]
pub struct EdgePolicy {
    /// `/qa` needs `X-QA-Token` with this token.
    pub qa_token: Option<QaToken>,
    /// Any `Host` is served: the broker listens beyond loopback, as asked.
    pub any_host: bool,
}

/// The QA token, kept as its SHA-256 so that comparing takes the same time whatever
/// the length or the first wrong byte of what was sent.
#[derive(Clone)]
pub struct QaToken([u8; 32]);

impl QaToken {
    pub fn new(token: &str) -> QaToken {
        QaToken(Sha256::digest(token.as_bytes()).into())
    }

    fn matches(&self, sent: &[u8]) -> bool {
        let sent: [u8; 32] = Sha256::digest(sent).into();
        self.0.ct_eq(&sent).into()
    }
}

impl std::fmt::Debug for QaToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QaToken(..)")
    }
}

pub(super) async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match admit(&state, req.uri().path(), req.headers()) {
        Ok(()) => next.run(req).await,
        Err(refused) => ApiError::from(refused).into_response(),
    }
}

/// Every `POST` the broker serves is JSON (a route layer: unrouted paths skip it).
pub(super) async fn json_only(req: Request, next: Next) -> Response {
    if req.method() == Method::POST && !is_json(req.headers()) {
        return ApiError::from(BrokerError::UnsupportedMediaType).into_response();
    }
    next.run(req).await
}

fn admit(state: &AppState, path: &str, headers: &HeaderMap) -> Result<(), BrokerError> {
    // A request without Host is no browser's; HTTP/1.1 clients all send one.
    let host = match headers.get(header::HOST) {
        Some(value) => Some(value.to_str().map_err(|_| BrokerError::ForbiddenHost)?),
        None => None,
    };
    if let Some(host) = host {
        if !state.edge.any_host && !is_loopback_host(host) {
            return Err(BrokerError::ForbiddenHost);
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let own = host.map(|h| format!("http://{h}"));
        let same = match (origin.to_str(), own) {
            (Ok(origin), Some(own)) => origin.eq_ignore_ascii_case(&own),
            (Ok(_) | Err(_), None) | (Err(_), Some(_)) => false,
        };
        if !same {
            return Err(BrokerError::ForbiddenOrigin);
        }
    }
    if state.qa && (path == "/qa" || path.starts_with("/qa/")) {
        if let Some(token) = &state.edge.qa_token {
            let sent = headers.get(QA_TOKEN_HEADER).map(|v| v.as_bytes());
            if !sent.is_some_and(|sent| token.matches(sent)) {
                return Err(BrokerError::QaTokenRequired);
            }
        }
    }
    Ok(())
}

/// `127.0.0.1`, `localhost` or `[::1]`, with any port (the `Host` header's check).
pub fn is_loopback_host(host: &str) -> bool {
    match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some(("::1", "")) => true,
            Some(("::1", port)) => port.strip_prefix(':').is_some_and(is_port),
            Some(_) | None => false,
        },
        None => {
            let name = match host.rsplit_once(':') {
                Some((name, port)) if is_port(port) => name,
                Some(_) => return false,
                None => host,
            };
            name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost")
        }
    }
}

fn is_port(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `application/json` or `application/…+json`, as axum's `Json` accepts.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_with_any_port() {
        for host in [
            "127.0.0.1",
            "127.0.0.1:8080",
            "localhost",
            "LOCALHOST:1",
            "[::1]",
            "[::1]:443",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "evil.example",
            "evil.example:80",
            "127.0.0.1.evil.example",
            "localhost.evil.example:1",
            "127.0.0.2",
            "[::2]:1",
            "[::1]x",
            "127.0.0.1:",
            "127.0.0.1:80:80",
            "0.0.0.0",
            "",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn json_content_types() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, v.parse().unwrap());
            is_json(&h)
        };
        assert!(with("application/json"));
        assert!(with("Application/JSON; charset=utf-8"));
        assert!(with("application/problem+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/x-www-form-urlencoded"));
        assert!(!with("multipart/form-data; boundary=x"));
        assert!(!is_json(&HeaderMap::new()));
    }

    #[test]
    fn the_qa_token_compares_whole() {
        let t = QaToken::new("s3cret");
        assert!(t.matches(b"s3cret"));
        assert!(!t.matches(b"s3cre"));
        assert!(!t.matches(b"s3cret "));
        assert!(!t.matches(b""));
        assert_eq!(
            format!("{t:?}"),
            "QaToken(..)",
            "the token never reaches a log"
        );
    }
}
