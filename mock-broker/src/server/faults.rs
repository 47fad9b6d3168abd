//! The broker's own faults, for QA (issue 10): a route answers late or with an error
//! (`/qa/faults/routes`), or the whole broker freezes (`/qa/freeze`, `/qa/thaw`) — it
//! accepts connections and answers no request but QA ones until thawed, until the
//! client gives up, or until the connection's idle timeout closes it.
//!
//! K4's faults (`/qa/faults`) act on the way to a phone and live in the store with the
//! pushes they shape; these act on the broker's HTTP answers, so they live here, in
//! memory, in [`apply`], a middleware inside the edge's guard. The vocabulary is K4's:
//! `delay_ms` is real time (the network's), not the simulated clock. A QA route is
//! never delayed, failed or frozen, so a test can always lift what it set; the reset
//! clears the rules and thaws.

use super::journal::{is_qa, millis, JournalNote};
use super::{blocking, status_of, ApiError, ApiJson, ApiPath, AppState, NoFields};
use crate::error::BrokerError;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use portcullis_api::{
    Empty, ErrorBody, ErrorCode, ForcedError, FreezeState, RouteFault, RouteFaultList,
    RouteFaultRequest, ROUTE_FAULT_MAX_DELAY_MS,
};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The rules in force and the freeze.
pub struct BrokerFaults {
    rules: Mutex<Rules>,
    frozen: watch::Sender<bool>,
    waiting: AtomicU64,
}

#[derive(Default)]
struct Rules {
    next_id: u64,
    /// Oldest first: the oldest matching rule is the one applied.
    list: Vec<RouteFault>,
}

impl Default for BrokerFaults {
    fn default() -> Self {
        BrokerFaults {
            rules: Mutex::default(),
            frozen: watch::Sender::new(false),
            waiting: AtomicU64::new(0),
        }
    }
}

/// What a rule does to one request.
struct Applied {
    id: u64,
    delay_ms: u64,
    error: Option<ForcedError>,
}

impl BrokerFaults {
    fn rules(&self) -> MutexGuard<'_, Rules> {
        // Each change is whole under the lock; a panic elsewhere leaves the list sound.
        self.rules.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn list(&self) -> RouteFaultList {
        RouteFaultList {
            rules: self.rules().list.clone(),
        }
    }

    fn add(&self, mut rule: RouteFault) -> RouteFault {
        let mut rules = self.rules();
        rules.next_id += 1;
        rule.id = rules.next_id;
        if let Some(error) = rule.error.as_mut().filter(|e| e.message.is_empty()) {
            error.message = format!("QA fault rule {}: {}.", rule.id, error.code);
        }
        rules.list.push(rule.clone());
        rule
    }

    fn remove(&self, id: u64) -> Option<RouteFault> {
        let mut rules = self.rules();
        let at = rules.list.iter().position(|r| r.id == id)?;
        Some(rules.list.remove(at))
    }

    /// Lifts every rule and thaws (the QA reset).
    pub fn clear(&self) {
        self.rules().list.clear();
        self.set_frozen(false);
    }

    /// The oldest rule for `method route`, counted as applied (and lifted once it has
    /// applied its `times`).
    fn take(&self, method: &str, route: &str) -> Option<Applied> {
        let mut rules = self.rules();
        let at = rules
            .list
            .iter()
            .position(|r| r.route == route && r.method.as_deref().is_none_or(|m| m == method))?;
        let rule = &mut rules.list[at];
        rule.applied = rule.applied.saturating_add(1);
        let applied = Applied {
            id: rule.id,
            delay_ms: rule.delay_ms,
            error: rule.error.clone(),
        };
        if rule.times.is_some_and(|n| rule.applied >= n) {
            rules.list.remove(at);
        }
        Some(applied)
    }

    fn set_frozen(&self, frozen: bool) -> FreezeState {
        self.frozen.send_replace(frozen);
        self.state()
    }

    fn state(&self) -> FreezeState {
        FreezeState {
            frozen: *self.frozen.borrow(),
            waiting: self.waiting.load(Ordering::SeqCst),
        }
    }

    /// Waits while the broker is frozen; how long it waited.
    async fn thawed(&self) -> Duration {
        if !*self.frozen.borrow() {
            return Duration::ZERO;
        }
        let started = Instant::now();
        self.waiting.fetch_add(1, Ordering::SeqCst);
        // Counted down however the wait ends: thawed, or the client gone.
        let _counted = Waiting(&self.waiting);
        let mut frozen = self.frozen.subscribe();
        // The sender lives as long as the broker's state; if it went, nothing waits.
        let _ = frozen.wait_for(|frozen| !*frozen).await;
        started.elapsed()
    }
}

struct Waiting<'a>(&'a AtomicU64);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The middleware: a frozen broker holds the request; a matching rule delays it, and
/// answers its error instead of the route.
pub(super) async fn apply(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if is_qa(req.uri().path()) {
        return next.run(req).await;
    }
    let note = req.extensions().get::<JournalNote>().cloned();
    let waited = state.faults.thawed().await;
    if let (Some(note), false) = (&note, waited.is_zero()) {
        note.frozen(millis(waited).max(1));
    }
    let Some(route) = req.extensions().get::<MatchedPath>() else {
        return next.run(req).await;
    };
    let Some(applied) = state.faults.take(req.method().as_str(), route.as_str()) else {
        return next.run(req).await;
    };
    if let Some(note) = &note {
        note.fault(applied.id, applied.delay_ms);
    }
    if applied.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(applied.delay_ms)).await;
    }
    match applied.error {
        Some(forced) => ApiError {
            status: StatusCode::from_u16(forced.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            body: Box::new(ErrorBody::new(forced.code, forced.message)),
            retry_after: None,
        }
        .into_response(),
        None => next.run(req).await,
    }
}

/// Every route the broker serves without `--qa`, with its methods (upper case): what a
/// rule may name.
static SERVED: LazyLock<Vec<(String, Vec<String>)>> = LazyLock::new(|| {
    let document = serde_json::to_value(super::openapi(false)).unwrap_or_default();
    document["paths"]
        .as_object()
        .map(|paths| {
            paths
                .iter()
                .map(|(path, item)| {
                    let methods = item
                        .as_object()
                        .map(|ops| ops.keys().map(|m| m.to_ascii_uppercase()).collect())
                        .unwrap_or_default();
                    (path.clone(), methods)
                })
                .collect()
        })
        .unwrap_or_default()
});

fn invalid(field: &str, why: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidField, format!("{field}: {why}"))
}

/// A request for a rule, checked against the routes served; `invalid_field` names the
/// field that does not fit.
fn rule_of(req: RouteFaultRequest) -> Result<RouteFault, ApiError> {
    if is_qa(&req.route) {
        return Err(invalid("route", "QA routes are never faulted"));
    }
    let Some((_, methods)) = SERVED.iter().find(|(path, _)| *path == req.route) else {
        return Err(invalid(
            "route",
            "not a route this broker serves: give its template as the OpenAPI document \
             names it (/v1/login, /v1/phone/pushes/{id}/approve)",
        ));
    };
    let method = match req.method {
        None => None,
        Some(m) => {
            let upper = m.to_ascii_uppercase();
            if !methods.contains(&upper) {
                return Err(invalid(
                    "method",
                    &format!("{} serves {}", req.route, methods.join(", ")),
                ));
            }
            Some(upper)
        }
    };
    let delay_ms = req.delay_ms.unwrap_or(0);
    if delay_ms > ROUTE_FAULT_MAX_DELAY_MS {
        return Err(invalid("delay_ms", "at most 60000"));
    }
    let error = match req.error {
        None => None,
        Some(e) => {
            let status = e.status.unwrap_or_else(|| status_of(e.code).as_u16());
            if !(400..=599).contains(&status) {
                return Err(invalid("error.status", "an error status, 400 to 599"));
            }
            // Empty: `add` names the rule once it has its id.
            let message = e.message.unwrap_or_default();
            if message.chars().count() > 200 || message.chars().any(char::is_control) {
                return Err(invalid(
                    "error.message",
                    "one line of at most 200 characters",
                ));
            }
            Some(ForcedError {
                status,
                code: e.code,
                message,
            })
        }
    };
    if delay_ms == 0 && error.is_none() {
        return Err(invalid(
            "delay_ms",
            "a rule delays (delay_ms), fails (error), or both",
        ));
    }
    if req.times == Some(0) {
        return Err(invalid("times", "1 or more (absent: until lifted)"));
    }
    Ok(RouteFault {
        id: 0,
        route: req.route,
        method,
        delay_ms,
        error,
        times: req.times,
        applied: 0,
    })
}

fn describe(rule: &RouteFault) -> String {
    let mut what = vec![format!(
        "rule {}: {} {}",
        rule.id,
        rule.method.as_deref().unwrap_or("any method"),
        rule.route
    )];
    if rule.delay_ms > 0 {
        what.push(format!("delay {} ms", rule.delay_ms));
    }
    if let Some(e) = &rule.error {
        what.push(format!("error {} {}", e.status, e.code));
    }
    if let Some(n) = rule.times {
        what.push(format!("{n} times"));
    }
    what.join(", ")
}

/// Audits a QA action on the broker's faults (the store's log, as K4's `fault_set`).
async fn audit(state: &AppState, event: &'static str, detail: String) -> Result<(), ApiError> {
    blocking(state, move |b| b.audit_qa(event, &detail)).await
}

/// The route faults in force, oldest first.
#[utoipa::path(get, path = "/qa/faults/routes", tag = "qa", security(("qa_token" = [])),
    responses((status = 200, body = RouteFaultList)))]
pub(super) async fn list(State(state): State<AppState>) -> Json<RouteFaultList> {
    Json(state.faults.list())
}

/// A route answers late, with an error, or both; `times` times or until lifted.
#[utoipa::path(post, path = "/qa/faults/routes", tag = "qa", security(("qa_token" = [])),
    request_body = RouteFaultRequest, responses((status = 200, body = RouteFault)))]
pub(super) async fn add(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RouteFaultRequest>,
) -> Result<Json<RouteFault>, ApiError> {
    let rule = state.faults.add(rule_of(req)?);
    audit(&state, "route_fault_set", describe(&rule)).await?;
    Ok(Json(rule))
}

/// Lifts one rule; the rule as it stood.
#[utoipa::path(delete, path = "/qa/faults/routes/{id}", tag = "qa",
    security(("qa_token" = [])), params(("id" = u64, Path)),
    responses((status = 200, body = RouteFault)))]
pub(super) async fn remove(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<RouteFault>, ApiError> {
    let rule = id
        .parse()
        .ok()
        .and_then(|id| state.faults.remove(id))
        .ok_or_else(|| BrokerError::NotFound(format!("route fault {id}")))?;
    audit(&state, "route_fault_lifted", describe(&rule)).await?;
    Ok(Json(rule))
}

/// Lifts every route fault (K4's phone faults stay: `/qa/faults` lifts those).
#[utoipa::path(post, path = "/qa/faults/routes/clear", tag = "qa",
    security(("qa_token" = [])), request_body = Empty,
    responses((status = 200, body = RouteFaultList)))]
pub(super) async fn clear(
    State(state): State<AppState>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<RouteFaultList>, ApiError> {
    state.faults.rules().list.clear();
    audit(&state, "route_faults_cleared", String::new()).await?;
    Ok(Json(state.faults.list()))
}

/// The broker answers no request but QA ones until thawed (it still accepts them).
#[utoipa::path(post, path = "/qa/freeze", tag = "qa", security(("qa_token" = [])),
    request_body = Empty, responses((status = 200, body = FreezeState)))]
pub(super) async fn freeze(
    State(state): State<AppState>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<FreezeState>, ApiError> {
    audit(&state, "broker_frozen", String::new()).await?;
    Ok(Json(state.faults.set_frozen(true)))
}

/// The requests held by a freeze go on.
#[utoipa::path(post, path = "/qa/thaw", tag = "qa", security(("qa_token" = [])),
    request_body = Empty, responses((status = 200, body = FreezeState)))]
pub(super) async fn thaw(
    State(state): State<AppState>,
    ApiJson(NoFields): ApiJson<NoFields>,
) -> Result<Json<FreezeState>, ApiError> {
    let held = state.faults.state().waiting;
    let thawed = state.faults.set_frozen(false);
    audit(&state, "broker_thawed", format!("{held} requests held")).await?;
    Ok(Json(thawed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(route: &str) -> RouteFaultRequest {
        RouteFaultRequest {
            route: route.into(),
            method: None,
            delay_ms: Some(10),
            error: None,
            times: None,
        }
    }

    #[test]
    fn the_oldest_matching_rule_applies_and_times_lift_it() {
        let faults = BrokerFaults::default();
        let once = faults.add(RouteFault {
            times: Some(1),
            ..rule_of(request("/v1/login")).unwrap_or_else(|_| panic!("a rule"))
        });
        let always = faults.add(rule_of(request("/v1/login")).unwrap_or_else(|_| panic!("a rule")));
        assert_eq!(
            faults.take("POST", "/v1/login").map(|a| a.id),
            Some(once.id)
        );
        assert_eq!(
            faults.take("POST", "/v1/login").map(|a| a.id),
            Some(always.id)
        );
        assert_eq!(
            faults.list().rules.len(),
            1,
            "the one-time rule lifted itself"
        );
        assert!(faults.take("GET", "/v1/session").is_none());
    }

    #[test]
    fn a_rule_names_a_route_served_and_never_a_qa_one() {
        for (route, field) in [
            ("/qa/reset", "route"),
            ("/v1/logins", "route"),
            ("/v1/phone/pushes/push-1/approve", "route"),
        ] {
            let Err(e) = rule_of(request(route)) else {
                panic!("{route} refused");
            };
            assert_eq!(e.body.code, ErrorCode::InvalidField);
            assert!(e.body.message.starts_with(field), "{}", e.body.message);
        }
        assert!(rule_of(request("/v1/phone/pushes/{id}/approve")).is_ok());
        let wrong_method = RouteFaultRequest {
            method: Some("get".into()),
            ..request("/v1/login")
        };
        assert!(rule_of(wrong_method).is_err(), "/v1/login is POST only");
    }
}
