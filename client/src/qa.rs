//! The QA controls of a broker started with `--qa`, as `mock-broker qa` and the tests
//! drive them: the clock, locks, the audit log and the request journal, K4's phone
//! faults and the broker's own (route faults, freeze). Every call carries the client's
//! QA token (`X-QA-Token`) when it has one; a broker without `--qa` answers
//! `not_found` (see [`BrokerClient::qa_enabled`]).

use crate::broker::BrokerClient;
use crate::error::Error;
use portcullis_api::{
    AdvanceRequest, AuditEvent, AuditLog, ClockInfo, Empty, FaultList, FaultRequest, FreezeState,
    JournalPage, JournalQuery, LockoutInfo, RouteFault, RouteFaultList, RouteFaultRequest,
    SetClockRequest,
};

impl BrokerClient {
    /// Whether the broker serves its QA controls (a `not_found` from one may mean a
    /// missing thing, or a broker without `--qa`: this tells which).
    pub async fn qa_enabled(&self) -> Result<bool, Error> {
        match self.clock().await {
            Ok(_) => Ok(true),
            Err(e) if e.code == "not_found" => Ok(false),
            Err(e) => Err(e),
        }
    }

    pub async fn clock(&self) -> Result<ClockInfo, Error> {
        self.send(self.qa(self.http.get(self.url("/qa/clock"))))
            .await
    }

    /// Moves the simulated clock forward by `seconds` (never back).
    pub async fn advance_clock(&self, seconds: i64) -> Result<ClockInfo, Error> {
        let body = AdvanceRequest { seconds };
        self.send(self.qa(self.post("/qa/clock/advance", &body)))
            .await
    }

    /// Sets the simulated clock to `unix_seconds`.
    pub async fn set_clock(&self, unix_seconds: i64) -> Result<ClockInfo, Error> {
        let body = SetClockRequest { unix_seconds };
        self.send(self.qa(self.post("/qa/clock/set", &body))).await
    }

    /// L5, Client Services: lifts `username`'s lock.
    pub async fn unlock(&self, username: &str) -> Result<LockoutInfo, Error> {
        let path = format!("/qa/users/{username}/unlock");
        self.send(self.qa(self.post(&path, &Empty {}))).await
    }

    /// The latest `limit` audit events (of `username`, or everyone's), oldest first.
    pub async fn audit(
        &self,
        username: Option<&str>,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, Error> {
        let mut req = self
            .http
            .get(self.url("/qa/audit"))
            .query(&[("limit", limit.to_string())]);
        if let Some(u) = username {
            req = req.query(&[("username", u)]);
        }
        let log: AuditLog = self.send(self.qa(req)).await?;
        Ok(log.events)
    }

    /// The request journal, filtered.
    pub async fn journal(&self, query: &JournalQuery) -> Result<JournalPage, Error> {
        let req = self.http.get(self.url("/qa/journal")).query(query);
        self.send(self.qa(req)).await
    }

    /// K4's faults on the way to phones.
    pub async fn phone_faults(&self) -> Result<FaultList, Error> {
        self.send(self.qa(self.http.get(self.url("/qa/faults"))))
            .await
    }

    /// K4: `drop`, `delay`, `offline` or `none`, for one device or all.
    pub async fn set_phone_fault(&self, fault: &FaultRequest) -> Result<FaultList, Error> {
        self.send(self.qa(self.post("/qa/faults", fault))).await
    }

    /// The broker's own route faults.
    pub async fn route_faults(&self) -> Result<RouteFaultList, Error> {
        self.send(self.qa(self.http.get(self.url("/qa/faults/routes"))))
            .await
    }

    pub async fn add_route_fault(&self, rule: &RouteFaultRequest) -> Result<RouteFault, Error> {
        self.send(self.qa(self.post("/qa/faults/routes", rule)))
            .await
    }

    pub async fn remove_route_fault(&self, id: u64) -> Result<RouteFault, Error> {
        let url = self.url(&format!("/qa/faults/routes/{id}"));
        self.send(self.qa(self.http.delete(url))).await
    }

    pub async fn clear_route_faults(&self) -> Result<RouteFaultList, Error> {
        self.send(self.qa(self.post("/qa/faults/routes/clear", &Empty {})))
            .await
    }

    /// The broker holds every non-QA request until [`BrokerClient::thaw`].
    pub async fn freeze(&self) -> Result<FreezeState, Error> {
        self.send(self.qa(self.post("/qa/freeze", &Empty {}))).await
    }

    pub async fn thaw(&self) -> Result<FreezeState, Error> {
        self.send(self.qa(self.post("/qa/thaw", &Empty {}))).await
    }
}
