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
mod listen;

pub use account::{PhoneAccount, PhoneIdentity};

use crate::broker::BrokerClient;
use crate::error::Error;
use portcullis_api::{
    ActivationFinishRequest, ActivationStartRequest, ActivationStep, ActivationVerifyRequest,
    ApproveRequest, PhoneAccessList, PhoneEvent, PhonePush, SmsOutbox, VerifyDevice, VerifyMethod,
};
use account::masked_tail;
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

/// An activation under way (K1): its id, the number typed, and — while the user's
/// current second factor is being checked first — where its SMS code went.
#[derive(Clone)]
struct Activation {
    id: String,
    number: String,
    /// The masked number on record a verification code went to (`method: sms`).
    verify_sms_to: Option<String>,
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
    NotSetUp { configured: bool, activation: bool },
    /// `configured` is true.
    SetUp {
        configured: bool,
        phone_id: String,
        number: Option<String>,
        accounts: Vec<AccountSummary>,
        incoming: Vec<PhonePush>,
        /// A request opened from its notification (once).
        opened: Option<String>,
        refused: Option<Error>,
    },
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
        PhoneStatus::SetUp {
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
        }
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

    // ---- activation (K1, K5) ----

    /// K1 (K5 when this phone is already set up). The answer's `status` says what
    /// comes next: `code_sent` (an activation code went by SMS) or `verify_device`
    /// (item 4: the user's active second factor first).
    pub async fn activation_start(
        &self,
        username: &str,
        password: &str,
        phone_number: &str,
    ) -> Result<ActivationStep, Error> {
        let body = ActivationStartRequest {
            username: username.to_owned(),
            password: password.to_owned(),
            phone_number: phone_number.to_owned(),
        };
        let token = self.token();
        let client = self.host().client()?;
        let started = client.activation_start(token.as_deref(), &body).await?;
        let (id, verify_sms_to) = match &started {
            ActivationStep::CodeSent(sent) => (sent.activation_id.clone(), None),
            ActivationStep::VerifyDevice(VerifyDevice {
                activation_id,
                method,
                ..
            }) => (
                activation_id.clone(),
                match method {
                    VerifyMethod::Sms { masked_number } => Some(masked_number.clone()),
                    VerifyMethod::Challenge { .. } => None,
                },
            ),
        };
        *lock(&self.inner.activation) = Some(Activation {
            id,
            number: phone_number.to_owned(),
            verify_sms_to,
        });
        Ok(started)
    }

    fn activation(&self) -> Result<Activation, Error> {
        lock(&self.inner.activation)
            .clone()
            .ok_or_else(|| Error::new("activation_over", "Start the activation first."))
    }

    /// Item 4: the response of the user's active device (or the SMS code sent to the
    /// number on record); answers like `start`'s `code_sent`. A wrong one ends the
    /// activation (start again).
    pub async fn activation_verify(&self, response: &str) -> Result<ActivationStep, Error> {
        let activation = self.activation()?;
        let body = ActivationVerifyRequest {
            activation_id: activation.id,
            response: response.trim().to_owned(),
        };
        let token = self.token();
        let client = self.host().client()?;
        match client.activation_verify(token.as_deref(), &body).await {
            Ok(sent) => {
                if let Some(a) = lock(&self.inner.activation).as_mut() {
                    a.verify_sms_to = None;
                }
                Ok(sent)
            }
            Err(e) => {
                if !e.is_connection() {
                    *lock(&self.inner.activation) = None;
                }
                Err(e)
            }
        }
    }

    /// The phone's text messages (the broker's simulated SMS outbox, demo/QA only).
    /// While a verification code went to the number on record, that number's messages.
    pub async fn messages(&self) -> Result<SmsOutbox, Error> {
        let activation = lock(&self.inner.activation).clone();
        if let Some(masked) = activation.as_ref().and_then(|a| a.verify_sms_to.clone()) {
            let tail = masked_tail(&masked);
            let mut all = self.host().client()?.sms(None).await.map_err(qa_off)?;
            all.messages.retain(|m| m.number.ends_with(&tail));
            return Ok(all);
        }
        let number = activation
            .map(|a| a.number)
            .or_else(|| lock(&self.inner.identity).as_ref().and_then(|i| i.number.clone()));
        let Some(number) = number else {
            return Ok(SmsOutbox { messages: vec![] });
        };
        self.host()
            .client()?
            .sms(Some(&number))
            .await
            .map_err(qa_off)
    }

    /// K1's last step (K5: a user added to this phone): the code from the SMS, and how
    /// the user will authenticate. The phone keeps its key and starts listening.
    pub async fn activation_finish(
        &self,
        code: &str,
        security: &str,
        pin: &str,
    ) -> Result<(), Error> {
        let activation = self.activation()?;
        let body = ActivationFinishRequest {
            activation_id: activation.id,
            code: code.to_owned(),
            security: security.to_owned(),
            pin: pin.to_owned(),
        };
        let token = self.token();
        let client = self.host().client()?;
        let done = client.activation_finish(token.as_deref(), &body).await?;
        let account = PhoneAccount {
            username: done.username,
            device_id: done.device_id,
            secret_hex: done.secret_hex,
            pin_sha1_hex: (security == "biometric")
                .then(|| hex::encode(ocra::hash_pin(ocra::HashAlgorithm::Sha1, pin))),
            security: security.to_owned(),
        };
        let existing = lock(&self.inner.identity).clone();
        let identity = match (existing, done.phone_token) {
            (Some(mut existing), None) => {
                existing.accounts.retain(|a| a.username != account.username);
                existing.accounts.push(account);
                existing
            }
            (_, Some(new_token)) => PhoneIdentity {
                phone_id: done.phone_id,
                token: new_token,
                number: Some(activation.number),
                accounts: vec![account],
            },
            (None, None) => {
                return Err(Error::new(
                    "phone",
                    "The login server did not register this phone.",
                ))
            }
        };
        self.save(identity)?;
        *lock(&self.inner.activation) = None;
        self.listen();
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
        let (response, _) = identity.account(username)?.response(pin, challenge.trim())?;
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
