//! The broker's own faults (a broker started with `--qa` only), beyond K4's faults on
//! the way to the phone (`/qa/faults`): a route of the broker answers late, or with an
//! error, a number of times or until lifted (`/qa/faults/routes`); or the whole broker
//! freezes — it accepts connections and answers nothing but QA requests until thawed
//! (`/qa/freeze`, `/qa/thaw`). Never applied to `/qa/…`; kept in memory; a reset
//! clears them and thaws.

use crate::error::ErrorCode;
use serde::{Deserialize, Serialize};

/// The longest delay a route fault may add, in milliseconds.
pub const ROUTE_FAULT_MAX_DELAY_MS: u64 = 60_000;

/// `POST /qa/faults/routes`: a rule for one route of the broker (not `/qa/…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RouteFaultRequest {
    /// The route's template as the OpenAPI document and the journal name it
    /// (`/v1/login`, `/v1/phone/pushes/{id}/approve`).
    pub route: String,
    /// Only this method (`GET`, `POST`, any case); every method of the route when absent.
    #[serde(default)]
    pub method: Option<String>,
    /// Real milliseconds to wait before answering (as K4's `delay`, the network's time,
    /// not the simulated clock), at most 60,000.
    #[serde(default)]
    pub delay_ms: Option<u64>,
    /// Answer this error instead of what the route would (after the delay, if any):
    /// nothing the route does happens.
    #[serde(default)]
    pub error: Option<ForcedErrorRequest>,
    /// Apply to this many requests, then lift itself; every matching request until
    /// lifted when absent.
    #[serde(default)]
    pub times: Option<u32>,
}

/// The error a route fault answers: the project's error body with this code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ForcedErrorRequest {
    /// 400-599; the code's usual status when absent.
    #[serde(default)]
    pub status: Option<u16>,
    /// One of the broker's error codes (`unavailable`, `busy`, `internal`, …).
    pub code: ErrorCode,
    /// The body's `message` (one line, at most 200 characters); `QA fault rule N:
    /// CODE.` when absent.
    #[serde(default)]
    pub message: Option<String>,
}

/// A forced error as the rule will answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForcedError {
    pub status: u16,
    pub code: ErrorCode,
    pub message: String,
}

/// One route fault in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteFault {
    /// The rule's id (`DELETE /qa/faults/routes/{id}`); the journal's `fault_id`.
    pub id: u64,
    pub route: String,
    /// Upper case; null for every method.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub method: Option<String>,
    /// 0 for none.
    pub delay_ms: u64,
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub error: Option<ForcedError>,
    /// How many requests it applies to in all; null for every one until lifted.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub times: Option<u32>,
    /// How many it has applied to so far.
    pub applied: u32,
}

/// `GET /qa/faults/routes`, and `POST /qa/faults/routes/clear`'s answer: the rules in
/// force, oldest first (the oldest matching rule is the one applied).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteFaultList {
    pub rules: Vec<RouteFault>,
}

/// `POST /qa/freeze` and `POST /qa/thaw`: whether the broker is frozen, and how many
/// requests wait for the thaw now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FreezeState {
    pub frozen: bool,
    pub waiting: u64,
}
