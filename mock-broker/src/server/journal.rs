//! The request journal: every request the broker answers, kept in memory (the newest
//! [`JOURNAL_CAPACITY`]) and read at `GET /qa/journal`, so a test can verify what a
//! client did rather than only what followed ("exactly one password step", "the app
//! never called resend").
//!
//! [`record`] is the outermost middleware: it sees every request, refused at the edge
//! or not, routed or not. An entry holds the method, the route's template (axum's
//! `MatchedPath`), the status, the outcome's code, the user it concerned where the
//! broker can tell, and when — never a body, a query string or a token. The code of an
//! error comes from the `ErrorCode` that `ApiError` leaves in the response's extensions;
//! the user from what a handler noted ([`JournalNote`]), else from the path's
//! `{username}`, the session behind a bearer token, or the path's `{id}`.
//!
//! The journal is the server's, not the store's: it forgets on restart, and the QA
//! reset clears it (sequence numbers carry on, so a reader following `since_seq` is
//! never sent back).

use super::{ApiError, AppState};
use crate::broker::Subject;
use crate::rules::Username;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use portcullis_api::{
    ErrorCode, JournalEntry, JournalPage, JOURNAL_CAPACITY, JOURNAL_DEFAULT_LIMIT,
};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

/// A path the broker does not serve is recorded as asked, cut to this many characters.
const UNROUTED_PATH_CHARS: usize = 100;
/// An error body read back for its code (one `ApiError` did not make) is at most this.
const ERROR_BODY_BYTES: usize = 64 * 1024;

/// The journal: a bounded ring of entries, oldest first.
#[derive(Default)]
pub struct Journal {
    ring: Mutex<Ring>,
}

#[derive(Default)]
struct Ring {
    entries: VecDeque<JournalEntry>,
    /// The sequence number of the newest entry ever recorded (0: none yet).
    last_seq: u64,
}

impl Journal {
    fn lock(&self) -> MutexGuard<'_, Ring> {
        // Entries are whole when pushed; a panic elsewhere leaves the ring sound.
        self.ring.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Appends `entry` with the next sequence number, dropping the oldest beyond the
    /// capacity.
    pub fn record(&self, mut entry: JournalEntry) {
        let mut ring = self.lock();
        ring.last_seq += 1;
        entry.seq = ring.last_seq;
        ring.entries.push_back(entry);
        while ring.entries.len() > JOURNAL_CAPACITY {
            ring.entries.pop_front();
        }
    }

    /// Forgets every entry (the QA reset); the numbering carries on.
    pub fn clear(&self) {
        self.lock().entries.clear();
    }

    /// The entries `filter` lets through, oldest first. With `since_seq`, the first
    /// `limit` after it (a reader pages forward); without, the latest `limit`.
    pub fn read(&self, filter: &JournalFilter) -> JournalPage {
        let ring = self.lock();
        let mut matching = ring.entries.iter().filter(|e| filter.admits(e));
        let (entries, cut) = match filter.since_seq {
            Some(_) => {
                let page: Vec<JournalEntry> =
                    matching.by_ref().take(filter.limit).cloned().collect();
                let cut = matching.next().is_some();
                (page, cut)
            }
            None => {
                let all: Vec<&JournalEntry> = matching.collect();
                let skip = all.len().saturating_sub(filter.limit);
                (all.into_iter().skip(skip).cloned().collect(), false)
            }
        };
        // A page cut short continues after its last entry; otherwise nothing recorded
        // so far is left to read, whether it matched or not.
        let next_seq = match (cut, entries.last()) {
            (true, Some(last)) => last.seq,
            (true, None) | (false, _) => ring.last_seq,
        };
        JournalPage { entries, next_seq }
    }
}

/// `GET /qa/journal`'s query, checked: each value that does not fit is `invalid_field`,
/// naming the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalFilter {
    method: Option<String>,
    route: Option<String>,
    code: Option<String>,
    user: Option<String>,
    since_seq: Option<u64>,
    limit: usize,
    include_qa: bool,
}

impl Default for JournalFilter {
    fn default() -> Self {
        JournalFilter {
            method: None,
            route: None,
            code: None,
            user: None,
            since_seq: None,
            limit: JOURNAL_DEFAULT_LIMIT,
            include_qa: false,
        }
    }
}

impl JournalFilter {
    /// Reads a raw query string. A key the journal does not filter on, or one given
    /// twice, is `invalid_query` (as for `/qa/audit`); a value that does not fit,
    /// `invalid_field`.
    pub fn parse(query: Option<&str>) -> Result<JournalFilter, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|e| ApiError::new(ErrorCode::InvalidQuery, format!("query: {e}")))?;
        let mut filter = JournalFilter::default();
        let mut seen: Vec<&str> = Vec::new();
        for (key, value) in &pairs {
            if seen.contains(&key.as_str()) {
                return Err(ApiError::new(
                    ErrorCode::InvalidQuery,
                    format!("query: `{key}` is given twice"),
                ));
            }
            seen.push(key);
            match key.as_str() {
                "method" => filter.method = Some(method(value)?),
                "route" => filter.route = Some(route(value)?),
                "code" => filter.code = Some(code(value)?),
                "user" => filter.user = Some(user(value)?),
                "since_seq" => filter.since_seq = Some(number(key, value)?),
                "limit" => filter.limit = limit(value)?,
                "include_qa" => filter.include_qa = flag(key, value)?,
                other => {
                    return Err(ApiError::new(
                        ErrorCode::InvalidQuery,
                        format!(
                            "query: unknown filter `{other}` (method, route, code, user, \
                             since_seq, limit, include_qa)"
                        ),
                    ))
                }
            }
        }
        Ok(filter)
    }

    fn admits(&self, e: &JournalEntry) -> bool {
        let is = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| have == Some(w))
        };
        self.since_seq.is_none_or(|since| e.seq > since)
            && (self.include_qa || !is_qa(&e.route))
            && is(&self.method, Some(&e.method))
            && is(&self.route, Some(&e.route))
            && is(&self.code, Some(&e.code))
            && is(&self.user, e.user.as_deref())
    }
}

fn invalid(filter: &str, why: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidField, format!("{filter}: {why}"))
}

fn method(value: &str) -> Result<String, ApiError> {
    let upper = value.to_ascii_uppercase();
    match upper.as_str() {
        "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | "OPTIONS" => Ok(upper),
        _ => Err(invalid("method", "an HTTP method: GET, POST, DELETE …")),
    }
}

fn route(value: &str) -> Result<String, ApiError> {
    if value.starts_with('/') && value.len() <= 200 && !value.chars().any(char::is_control) {
        Ok(value.to_owned())
    } else {
        Err(invalid(
            "route",
            "a route as the journal shows it, starting with / (at most 200 characters)",
        ))
    }
}

fn code(value: &str) -> Result<String, ApiError> {
    let known = value == "ok"
        || serde_json::from_value::<ErrorCode>(serde_json::Value::String(value.to_owned())).is_ok();
    if known {
        Ok(value.to_owned())
    } else {
        Err(invalid("code", "`ok` or one of the broker's error codes"))
    }
}

fn user(value: &str) -> Result<String, ApiError> {
    Username::parse(value)
        .map(|u| u.as_str().to_owned())
        .map_err(|_| invalid("user", "a user name: 1-64 ASCII letters and digits"))
}

fn number(filter: &str, value: &str) -> Result<u64, ApiError> {
    value
        .parse()
        .map_err(|_| invalid(filter, "a whole number, 0 or more"))
}

fn limit(value: &str) -> Result<usize, ApiError> {
    match value.parse::<usize>() {
        Ok(n) if (1..=JOURNAL_CAPACITY).contains(&n) => Ok(n),
        Ok(_) | Err(_) => Err(invalid("limit", "a whole number from 1 to 10000")),
    }
}

fn flag(filter: &str, value: &str) -> Result<bool, ApiError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(filter, "true or false")),
    }
}

/// A QA control's route (recorded, listed only with `include_qa=true`).
pub(super) fn is_qa(route: &str) -> bool {
    route == "/qa" || route.starts_with("/qa/")
}

/// What the layers inside learn of a request for its entry: the user it concerned, as
/// its handler learns it (a password step's user name, a ticket's user), and what a
/// fault or a freeze did to it. Put in every request's extensions by the journal's
/// middleware (`record`).
#[derive(Clone, Default)]
pub struct JournalNote(Arc<Mutex<Noted>>);

#[derive(Clone, Default)]
struct Noted {
    user: Option<String>,
    fault_id: Option<u64>,
    fault_delay_ms: u64,
    frozen_ms: u64,
}

impl JournalNote {
    /// `name`, if it is a user name at all (L3: a string that is not may be a
    /// password typed in the wrong field, and is not recorded).
    pub fn user(&self, name: &str) {
        if let Ok(name) = Username::parse(name) {
            self.set_user(Some(name.as_str().to_owned()));
        }
    }

    /// What the broker found (None: nobody).
    pub fn set_user(&self, user: Option<String>) {
        if user.is_some() {
            self.lock().user = user;
        }
    }

    /// The route fault `id` applied, with its delay.
    pub fn fault(&self, id: u64, delay_ms: u64) {
        let mut noted = self.lock();
        noted.fault_id = Some(id);
        noted.fault_delay_ms = delay_ms;
    }

    /// The request waited `ms` for a thaw.
    pub fn frozen(&self, ms: u64) {
        self.lock().frozen_ms = ms;
    }

    fn lock(&self) -> MutexGuard<'_, Noted> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn taken(&self) -> Noted {
        self.lock().clone()
    }
}

/// The outermost middleware: answers the request, then records it.
pub(super) async fn record(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    // Used to ask whose session it is, never kept.
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let note = JournalNote::default();
    req.extensions_mut().insert(note.clone());

    let response = next.run(req).await;
    let (response, code) = outcome(response).await;
    let noted = note.taken();
    let user = match noted.user {
        Some(user) => Some(user),
        None => match &template {
            Some(template) => inferred(&state, template, &path, bearer).await,
            None => None,
        },
    };
    let now = state.broker.now();
    state.journal.record(JournalEntry {
        seq: 0,
        at: now.rfc3339(),
        at_ms: now.0,
        method: method.as_str().to_owned(),
        route: template.unwrap_or_else(|| path.chars().take(UNROUTED_PATH_CHARS).collect()),
        status: response.status().as_u16(),
        code,
        user,
        elapsed_ms: millis(started.elapsed()),
        fault_id: noted.fault_id,
        fault_delay_ms: noted.fault_delay_ms,
        frozen_ms: noted.frozen_ms,
    });
    response
}

/// Whole milliseconds, saturating.
pub(super) fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `ok` for a 2xx answer; otherwise the error's code, which `ApiError` leaves in the
/// response's extensions (any other error body is read back for it).
async fn outcome(response: Response) -> (Response, String) {
    if response.status().is_success() {
        return (response, "ok".into());
    }
    if let Some(code) = response.extensions().get::<ErrorCode>() {
        let code = code.as_str().to_owned();
        return (response, code);
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, ERROR_BODY_BYTES)
        .await
        .unwrap_or_default();
    let code = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v["code"].as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("http_{}", parts.status.as_u16()));
    (Response::from_parts(parts, Body::from(bytes)), code)
}

/// Whom a request no handler noted concerned: the path's `{username}`, else the user
/// behind its bearer token (a session), else the owner of the path's `{id}`.
async fn inferred(
    state: &AppState,
    template: &str,
    path: &str,
    bearer: Option<String>,
) -> Option<String> {
    let params = path_params(template, path);
    let param = |name: &str| {
        params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
    };
    if let Some(name) = param("username") {
        return Username::parse(&name).ok().map(|u| u.as_str().to_owned());
    }
    let mut subjects = Vec::new();
    if let Some(token) = bearer {
        subjects.push(Subject::Session(token));
    }
    if let Some(id) = param("id") {
        // Which kind of thing `{id}` names follows from the route.
        if template.starts_with("/v1/phone/pushes/") {
            subjects.push(Subject::Push(id));
        } else if template.contains("/devices/") {
            subjects.push(Subject::Device(id));
        } else if template.contains("/sharing/") {
            subjects.push(Subject::Sharing(id));
        }
    }
    if subjects.is_empty() {
        return None;
    }
    let broker = state.broker.clone();
    tokio::task::spawn_blocking(move || broker.whose(&subjects))
        .await
        .ok()
        .flatten()
}

/// The values of a template's `{name}` segments in `path`.
fn path_params<'a>(template: &'a str, path: &'a str) -> Vec<(&'a str, &'a str)> {
    template
        .split('/')
        .zip(path.split('/'))
        .filter_map(|(t, p)| {
            let name = t.strip_prefix('{')?.strip_suffix('}')?;
            Some((name, p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(route: &str, user: Option<&str>) -> JournalEntry {
        JournalEntry {
            seq: 0,
            at: String::new(),
            at_ms: 0,
            method: "POST".into(),
            route: route.into(),
            status: 200,
            code: "ok".into(),
            user: user.map(str::to_owned),
            elapsed_ms: 0,
            fault_id: None,
            fault_delay_ms: 0,
            frozen_ms: 0,
        }
    }

    fn filter(query: &str) -> JournalFilter {
        JournalFilter::parse(Some(query)).unwrap_or_else(|_| panic!("{query} parses"))
    }

    #[test]
    fn the_ring_keeps_the_newest_and_numbers_on_after_a_clear() {
        let j = Journal::default();
        for _ in 0..JOURNAL_CAPACITY + 5 {
            j.record(entry("/v1/login", None));
        }
        let page = j.read(&filter("limit=10000&since_seq=0"));
        assert_eq!(page.entries.len(), JOURNAL_CAPACITY, "bounded");
        assert_eq!(page.entries[0].seq, 6, "the oldest five were dropped");
        j.clear();
        j.record(entry("/v1/login", None));
        let page = j.read(&JournalFilter::default());
        assert_eq!(
            page.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![JOURNAL_CAPACITY as u64 + 6],
            "numbers are never reused"
        );
    }

    #[test]
    fn without_since_the_latest_with_since_the_next_page() {
        let j = Journal::default();
        for _ in 0..5 {
            j.record(entry("/v1/login", Some("avery")));
        }
        let latest = j.read(&filter("limit=2"));
        let seqs: Vec<u64> = latest.entries.iter().map(|e| e.seq).collect();
        assert_eq!((seqs, latest.next_seq), (vec![4, 5], 5));
        let first = j.read(&filter("limit=2&since_seq=0"));
        let seqs: Vec<u64> = first.entries.iter().map(|e| e.seq).collect();
        assert_eq!((seqs, first.next_seq), (vec![1, 2], 2), "a page cut short");
        let rest = j.read(&filter("limit=10&since_seq=2"));
        assert_eq!((rest.entries.len(), rest.next_seq), (3, 5));
    }

    #[test]
    fn qa_routes_only_when_asked_and_filters_combine() {
        let j = Journal::default();
        j.record(entry("/qa/reset", None));
        j.record(entry("/v1/login", Some("avery")));
        j.record(entry("/v1/login", Some("blake")));
        assert_eq!(j.read(&JournalFilter::default()).entries.len(), 2);
        assert_eq!(j.read(&filter("include_qa=true")).entries.len(), 3);
        let blake = j.read(&filter("user=blake&route=/v1/login&method=post&code=ok"));
        assert_eq!(blake.entries.len(), 1);
        assert_eq!(blake.next_seq, 3, "nothing left to read, matching or not");
    }

    #[test]
    fn a_template_names_its_parameters() {
        assert_eq!(
            path_params("/qa/users/{username}/unlock", "/qa/users/blake/unlock"),
            vec![("username", "blake")]
        );
        assert!(path_params("/v1/login", "/v1/login").is_empty());
    }
}
