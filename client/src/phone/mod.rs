//! The IB Key phone simulator's core, without a window: its identity and users, the
//! login requests waiting for it (heard on the broker's event stream),
//! approving and denying them (K2, K6), the Authenticate screen (K3), activation
//! (K1, K5) and trading access (K7).
//!
//! What a desktop adds — where the identity is kept, a notification per request, a
//! window to redraw — comes through a [`PhoneHost`]. A phone whose token the broker
//! refuses (`unknown_phone`: rotated, reset, removed) stops listening and says so;
//! re-pairing gives it a fresh identity. After a demo reset it becomes its scenario
//! phone again at once (issue 6, item 12).

mod account;
mod activation;
mod listen;

pub use account::{PhoneAccount, PhoneIdentity};

use crate::broker::BrokerClient;
use crate::error::Error;
use activation::Activation;
use portcullis_api::{ApproveRequest, PhoneAccessList, PhoneEvent, PhonePush};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The scenario's phone that "Use the demo phone" becomes.
pub const DEMO_PHONE: &str = "demo-phone";

/// What the phone's surroundings do for it.
pub trait PhoneHost: Send + Sync + 'static {
    /// The client for the login server now (the desktop's may change as it reconnects).
    fn client(&self) -> Result<BrokerClient, Error>;
    /// Keeps the identity where it survives a restart (None: forgets it).
    fn keep(&self, identity: Option<&PhoneIdentity>) -> Result<(), Error>;
    /// A new login request arrived (the desktop raises a notification for it).
    fn requested(&self, push: &PhonePush);
    /// These are the requests still waiting (the desktop closes other notifications).
    fn waiting(&self, push_ids: &[String]);
    /// What the phone shows changed (the desktop redraws its window).
    fn changed(&self);
}

/// The phone: cheap to clone, every clone the same phone.
#[derive(Clone)]
pub struct PhoneSim {
    inner: Arc<Inner>,
}

struct Inner {
    host: Box<dyn PhoneHost>,
    /// Where the listener runs (the desktop's runtime, called from any thread).
    runtime: tokio::runtime::Handle,
    identity: Mutex<Option<PhoneIdentity>>,
    /// Login requests waiting for an answer, by push id.
    incoming: Mutex<BTreeMap<String, PhonePush>>,
    activation: Mutex<Option<Activation>>,
    listener: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// A request opened from a notification, for the phone window to show.
    opened: Mutex<Option<String>>,
    /// The broker refused this phone's token: the phone says so and offers re-pairing.
    refused: Mutex<Option<Error>>,
}

/// What the phone window shows (`phone_status`).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PhoneStatus {
    /// `configured` is false: no identity yet; `activation` says one is under way.
    NotSetUp {
        configured: bool,
        activation: bool,
    },
    SetUp(Box<PhoneSetUp>),
}

/// A phone that is set up, as its window shows it; `configured` is true.
#[derive(Debug, Clone, Serialize)]
pub struct PhoneSetUp {
    pub configured: bool,
    pub phone_id: String,
    pub number: Option<String>,
    pub accounts: Vec<AccountSummary>,
    pub incoming: Vec<PhonePush>,
    /// A request opened from its notification (once).
    pub opened: Option<String>,
    pub refused: Option<Error>,
}

/// A user on the phone, without its key.
#[derive(Debug, Clone, Serialize)]
pub struct AccountSummary {
    pub username: String,
    pub device_id: String,
    pub security: String,
}

/// `phone_repair`'s answer: re-paired, or forgotten (to be activated again).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Repaired {
    pub repaired: bool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// For the demo buttons: a broker without QA controls answers `not_found`.
fn qa_off(e: Error) -> Error {
    e.or_qa_disabled("This login server does not hand out phones (its QA mode is off).")
}

impl PhoneSim {
    /// A phone with `identity` (None: not set up). Call [`PhoneSim::listen`] to hear
    /// its requests.
    pub fn new(
        host: impl PhoneHost,
        runtime: tokio::runtime::Handle,
        identity: Option<PhoneIdentity>,
    ) -> PhoneSim {
        PhoneSim {
            inner: Arc::new(Inner {
                host: Box::new(host),
                runtime,
                identity: Mutex::new(identity),
                incoming: Mutex::default(),
                activation: Mutex::default(),
                listener: Mutex::default(),
                opened: Mutex::default(),
                refused: Mutex::default(),
            }),
        }
    }

    fn host(&self) -> &dyn PhoneHost {
        self.inner.host.as_ref()
    }

    fn identity(&self) -> Result<PhoneIdentity, Error> {
        lock(&self.inner.identity)
            .clone()
            .ok_or_else(|| Error::new("phone_not_set_up", "Activate IB Key on this phone first."))
    }

    fn token(&self) -> Option<String> {
        lock(&self.inner.identity).as_ref().map(|i| i.token.clone())
    }

    fn save(&self, identity: PhoneIdentity) -> Result<(), Error> {
        self.host().keep(Some(&identity))?;
        *lock(&self.inner.identity) = Some(identity);
        *lock(&self.inner.refused) = None;
        Ok(())
    }

    /// The waiting requests' ids, told to the host.
    fn tell_waiting(&self) {
        let ids: Vec<String> = lock(&self.inner.incoming).keys().cloned().collect();
        self.host().waiting(&ids);
    }

    pub fn status(&self) -> PhoneStatus {
        let identity = lock(&self.inner.identity).clone();
        let Some(id) = identity else {
            return PhoneStatus::NotSetUp {
                configured: false,
                activation: lock(&self.inner.activation).is_some(),
            };
        };
        PhoneStatus::SetUp(Box::new(PhoneSetUp {
            configured: true,
            phone_id: id.phone_id,
            number: id.number,
            accounts: id
                .accounts
                .into_iter()
                .map(|a| AccountSummary {
                    username: a.username,
                    device_id: a.device_id,
                    security: a.security,
                })
                .collect(),
            incoming: lock(&self.inner.incoming).values().cloned().collect(),
            opened: lock(&self.inner.opened).take(),
            refused: lock(&self.inner.refused).clone(),
        }))
    }

    /// The request `push_id` was opened from its notification: the window shows it.
    pub fn open_request(&self, push_id: &str) {
        *lock(&self.inner.opened) = Some(push_id.to_owned());
    }

    /// Starts (or restarts) listening for this phone's requests, if it is set up.
    pub fn listen(&self) {
        let Some(token) = self.token() else {
            return;
        };
        let task = self
            .inner
            .runtime
            .spawn(listen::listen(self.clone(), token));
        if let Some(old) = lock(&self.inner.listener).replace(task) {
            old.abort();
        }
    }

    fn stop_listening(&self) {
        if let Some(task) = lock(&self.inner.listener).take() {
            task.abort();
        }
    }

    // ---- what the event stream brings ----

    /// Keeps only the requests the broker still has waiting.
    fn reconcile(&self, waiting: Vec<PhonePush>) {
        let alive: Vec<String> = waiting.into_iter().map(|p| p.push_id).collect();
        lock(&self.inner.incoming).retain(|id, _| alive.contains(id));
        self.host().waiting(&alive);
        self.host().changed();
    }

    fn hear(&self, event: PhoneEvent) {
        match event {
            PhoneEvent::Push(push) => {
                let fresh = lock(&self.inner.incoming)
                    .insert(push.push_id.clone(), push.clone())
                    .is_none();
                if fresh {
                    self.host().requested(&push);
                }
            }
            PhoneEvent::Withdrawn { push_id, .. } => {
                lock(&self.inner.incoming).remove(&push_id);
                self.tell_waiting();
            }
        }
        self.host().changed();
    }

    /// Notes a refusal of this phone's token, passing the error on.
    fn watch_refusal(&self, e: Error) -> Error {
        if e.code == "unknown_phone" {
            *lock(&self.inner.refused) = Some(Error::new(
                "unknown_phone",
                "The login server no longer knows this phone, so it cannot receive or approve \
                 login requests. Pair it again.",
            ));
            self.host().changed();
        }
        e
    }

    /// The broker refused the token: nothing more will come; the phone says so.
    fn refused(&self, e: Error) {
        tracing::warn!("the broker refused the phone's token");
        lock(&self.inner.incoming).clear();
        self.host().waiting(&[]);
        self.watch_refusal(e);
    }

    /// The request was answered here: it leaves the list, and its notification goes.
    fn answered(&self, push_id: &str) {
        lock(&self.inner.incoming).remove(push_id);
        self.tell_waiting();
        self.host().changed();
    }

    // ---- pairing ----

    /// Becomes the scenario's phone `phone_id` through the QA endpoint: a fresh token
    /// and its users' keys, kept by the host, and a new event stream. `not_found` when
    /// the broker has no such phone, or no QA controls.
    pub async fn provision(&self, phone_id: &str) -> Result<(), Error> {
        let p = self.host().client()?.provision_phone(phone_id).await?;
        let accounts = p
            .accounts
            .into_iter()
            .map(|a| PhoneAccount {
                username: a.username,
                device_id: a.device_id,
                secret_hex: a.secret_hex,
                security: a.security,
                pin_sha1_hex: a.pin_sha1_hex,
            })
            .collect();
        self.save(PhoneIdentity {
            phone_id: p.phone_id,
            token: p.phone_token,
            number: None,
            accounts,
        })?;
        lock(&self.inner.incoming).clear();
        self.host().waiting(&[]);
        self.listen();
        self.host().changed();
        Ok(())
    }

    /// Demo/QA: become the scenario's demo phone.
    pub async fn use_demo(&self) -> Result<(), Error> {
        self.provision(DEMO_PHONE).await.map_err(qa_off)
    }

    /// The broker refused this phone's token: become the same scenario phone again with
    /// a fresh token (demo/QA), or — for a phone the broker no longer has — forget it
    /// so it can be activated again.
    pub async fn repair(&self) -> Result<Repaired, Error> {
        let phone_id = self.identity()?.phone_id;
        match self.provision(&phone_id).await {
            Ok(()) => Ok(Repaired { repaired: true }),
            Err(e) if e.code == "not_found" => {
                self.forget()?;
                Ok(Repaired { repaired: false })
            }
            Err(e) => Err(e),
        }
    }

    /// After a demo reset every phone token is void. A phone that was set up becomes
    /// its scenario phone again (the demo phone when it was one activated during the
    /// demo, which the reset removed), so the next visitor finds it working.
    pub async fn after_reset(&self) -> Result<(), Error> {
        let had = lock(&self.inner.identity)
            .as_ref()
            .map(|i| i.phone_id.clone());
        *lock(&self.inner.activation) = None;
        let Some(phone_id) = had else {
            return Ok(());
        };
        match self.provision(&phone_id).await {
            Err(e) if e.code == "not_found" && phone_id != DEMO_PHONE => {
                self.provision(DEMO_PHONE).await
            }
            other => other,
        }
    }

    /// Forgets this phone: its keys go from where the host kept them, its
    /// notifications close.
    pub fn forget(&self) -> Result<(), Error> {
        self.host().keep(None)?;
        *lock(&self.inner.identity) = None;
        *lock(&self.inner.refused) = None;
        lock(&self.inner.incoming).clear();
        self.stop_listening();
        self.host().waiting(&[]);
        Ok(())
    }

    // ---- answering (K2, K3, K6, K7) ----

    /// K2: approve with the PIN typed, or (None) with biometrics and the PIN behind
    /// them; `picked` is the number picked when number matching is on.
    pub async fn approve(
        &self,
        push_id: &str,
        pin: Option<&str>,
        picked: Option<u8>,
    ) -> Result<(), Error> {
        let identity = self.identity()?;
        let push = lock(&self.inner.incoming)
            .get(push_id)
            .cloned()
            .ok_or_else(|| Error::new("no_pending_login", "This request is no longer waiting."))?;
        let account = identity.account(&push.username)?;
        let (response, method) = account.response(pin, &push.challenge)?;
        let body = ApproveRequest {
            response,
            picked,
            method: method.to_owned(),
        };
        let client = self.host().client()?;
        let result = client.approve(&identity.token, push_id, &body).await;
        self.answered(push_id);
        result.map_err(|e| self.watch_refusal(e))
    }

    /// K6: "I'm not logging in".
    pub async fn deny(&self, push_id: &str) -> Result<(), Error> {
        let identity = self.identity()?;
        let client = self.host().client()?;
        let result = client.deny(&identity.token, push_id).await;
        self.answered(push_id);
        result.map_err(|e| self.watch_refusal(e))
    }

    /// K3: the Authenticate screen: PIN (or biometrics) + challenge → the passcode.
    pub fn authenticate(
        &self,
        username: &str,
        pin: Option<&str>,
        challenge: &str,
    ) -> Result<String, Error> {
        let identity = self.identity()?;
        let (response, _) = identity
            .account(username)?
            .response(pin, challenge.trim())?;
        Ok(response)
    }

    /// K7: trading access on the phone, per user.
    pub async fn access(&self) -> Result<PhoneAccessList, Error> {
        let identity = self.identity()?;
        let client = self.host().client()?;
        client
            .phone_access(&identity.token)
            .await
            .map_err(|e| self.watch_refusal(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A phone with no broker and nothing around it.
    struct Alone;

    impl PhoneHost for Alone {
        fn client(&self) -> Result<BrokerClient, Error> {
            Err(Error::broker_unreachable("no broker in this test"))
        }
        fn keep(&self, _: Option<&PhoneIdentity>) -> Result<(), Error> {
            Ok(())
        }
        fn requested(&self, _: &PhonePush) {}
        fn waiting(&self, _: &[String]) {}
        fn changed(&self) {}
    }

    fn identity() -> PhoneIdentity {
        PhoneIdentity {
            phone_id: "demo-phone".into(),
            token: "secret-token".into(),
            number: None,
            accounts: vec![PhoneAccount {
                username: "dana".into(),
                device_id: "IBK-1".into(),
                secret_hex: "31".repeat(32),
                security: "pin".into(),
                pin_sha1_hex: None,
            }],
        }
    }

    #[tokio::test]
    async fn the_phone_window_sees_its_status_without_keys_or_token() {
        let runtime = tokio::runtime::Handle::current();
        let fresh = PhoneSim::new(Alone, runtime.clone(), None);
        assert_eq!(
            serde_json::to_value(fresh.status()).unwrap(),
            json!({ "configured": false, "activation": false })
        );
        let set_up = PhoneSim::new(Alone, runtime, Some(identity()));
        let status = serde_json::to_value(set_up.status()).unwrap();
        assert_eq!(
            status,
            json!({
                "configured": true,
                "phone_id": "demo-phone",
                "number": null,
                "accounts": [{ "username": "dana", "device_id": "IBK-1", "security": "pin" }],
                "incoming": [],
                "opened": null,
                "refused": null,
            })
        );
    }

    #[tokio::test]
    async fn k3_authenticate_needs_no_broker_and_a_stranger_is_refused() {
        let phone = PhoneSim::new(Alone, tokio::runtime::Handle::current(), Some(identity()));
        let passcode = phone
            .authenticate("dana", Some("1234"), " 123456 ")
            .unwrap();
        assert_eq!(passcode.len(), 8, "the DSC+ suite's eight digits");
        assert_eq!(
            phone
                .authenticate("erin", Some("1234"), "123456")
                .unwrap_err()
                .code,
            "phone"
        );
        let not_waiting = phone.approve("push-1", Some("1234"), None).await;
        assert_eq!(not_waiting.unwrap_err().code, "no_pending_login");
    }
}
