//! The request journal (`GET /qa/journal`, a broker started with `--qa` only): every
//! request the broker answered, so a test can check what a client did — "exactly one
//! password step", "the app never called resend" — rather than only what followed.
//! Kept in the broker's memory, the newest 10,000; a reset clears it.

use serde::{Deserialize, Serialize};

/// The most entries the journal keeps, and the most one answer lists.
pub const JOURNAL_CAPACITY: usize = 10_000;
/// How many entries an answer lists when `limit` is absent.
pub const JOURNAL_DEFAULT_LIMIT: usize = 200;

/// `GET /qa/journal`'s filters, each optional; an entry must match every one given.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
#[serde(deny_unknown_fields)]
pub struct JournalQuery {
    /// `GET`, `POST`, `DELETE` … (any case).
    pub method: Option<String>,
    /// A route as the journal shows it: the router's template
    /// (`/v1/phone/pushes/{id}/approve`), or the path a request asked that the broker
    /// does not serve.
    pub route: Option<String>,
    /// `ok`, or an error code (`invalid_credentials`, …).
    pub code: Option<String>,
    /// A user name.
    pub user: Option<String>,
    /// Only entries after this sequence number: pass the last answer's `next_seq` to
    /// read what came since. Without it, the latest entries.
    pub since_seq: Option<u64>,
    /// 200 when absent; 1 to 10,000.
    pub limit: Option<u32>,
    /// QA routes (`/qa/…`) are recorded, but listed only with `true`.
    pub include_qa: Option<bool>,
}

/// One request the broker answered. Never a body, a query string, a token or a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JournalEntry {
    /// 1, 2, 3 … in the order the answers left; never reused, not even after a reset.
    pub seq: u64,
    /// The broker's (simulated) clock when it answered, RFC 3339.
    pub at: String,
    pub at_ms: i64,
    /// `GET`, `POST` …
    pub method: String,
    /// The route's template (`/v1/login/response`, `/qa/users/{username}/unlock`); a
    /// path the broker does not serve as asked, cut to 100 characters.
    pub route: String,
    /// The HTTP status.
    pub status: u16,
    /// `ok` for a 2xx answer, otherwise the code its error body carries.
    pub code: String,
    /// The user the request concerned, where the broker can tell: the user name of a
    /// password step or an activation, the user behind a session, a ticket, a push, a
    /// device (its owner), a sharing (its requesting user) or a `{username}` in the path.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub user: Option<String>,
    /// Real milliseconds from the request's arrival to its answer (a freeze's wait
    /// and a fault's delay included).
    pub elapsed_ms: u64,
    /// The route fault applied to it (`/qa/faults/routes`), null for none.
    #[cfg_attr(feature = "openapi", schema(required = true))]
    pub fault_id: Option<u64>,
    /// The delay that fault added, in real milliseconds (0 for none).
    pub fault_delay_ms: u64,
    /// Real milliseconds it waited for a frozen broker to thaw (0 for none).
    pub frozen_ms: u64,
}

/// `GET /qa/journal`: the matching entries, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JournalPage {
    pub entries: Vec<JournalEntry>,
    /// Pass as `since_seq` to read only what comes after this answer.
    pub next_seq: u64,
}
