//! A visitor's own phone (`--phone-lan`, issue 10): the IB Key phone as a mobile web
//! page, served on a second listener the demonstrator chooses, for one phone paired
//! through a QR code in the login window.
//!
//! - Pairing: the QR carries `/pair/{code}`, a one-time code of 128 random bits. Used
//!   once, it sets a cookie holding a fresh 256-bit session secret (`HttpOnly;
//!   SameSite=Strict; Path=/`) and redirects to `/phone`, so the code leaves the
//!   address bar. Both are compared in constant time. One pairing per demo reset:
//!   [`LanPhone::reset`] voids the session, forgets the visitor's phone and mints the
//!   next code.
//! - The visitor's phone is a second [`PhoneSim`] whose identity lives in memory only
//!   (never the keyring), with no desktop notification; what it shows changes are
//!   pushed to the page over an event stream. The docked simulator is untouched.
//! - The listener serves only the page, its script and style, and `/phone/api/*`
//!   (which needs the cookie): no proxy to the broker, no QA, no desktop API
//!   ([`router`]). Connections are few and must send their head promptly ([`serve`]).

mod routes;
mod serve;

pub use routes::router;
pub use serve::serve;

use crate::broker::BrokerClient;
use crate::error::Error;
use crate::phone::{PhoneHost, PhoneIdentity, PhoneSim};
use portcullis_api::PhonePush;
use rand::RngCore;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use subtle::ConstantTimeEq;
use tokio::sync::watch;

/// The session cookie's name.
pub const COOKIE: &str = "portcullis_phone";
/// How many past codes are remembered, to say "already used" rather than "unknown".
const RETIRED_KEPT: usize = 32;

/// The broker client of the moment (the desktop's may change as it reconnects).
pub type ClientSource = Arc<dyn Fn() -> Result<BrokerClient, Error> + Send + Sync>;
/// The app's language of the moment (`en` or `fr`).
pub type LocaleSource = Arc<dyn Fn() -> String + Send + Sync>;

/// What a visitor did on their phone, for the booth's idle time (kiosk mode).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visit {
    /// A phone paired: a visitor is there.
    Paired,
    /// They acted on the page (activation, approve, deny, authenticate); reading the
    /// page's status, which it does by itself, is not activity.
    Acted,
}

/// Told of each [`Visit`].
pub type VisitHook = Box<dyn Fn(Visit) + Send + Sync>;

/// The listener's pairing state: cheap to clone, every clone the same.
#[derive(Clone)]
pub struct LanPhone {
    inner: Arc<Inner>,
}

struct Inner {
    /// `http://ADDR:PORT`, the address the visitor's phone reaches.
    base_url: String,
    /// The `Host`s a request may name (`ADDR:PORT`, and `ADDR` alone on port 80):
    /// another is refused.
    authorities: Vec<String>,
    client: ClientSource,
    locale: LocaleSource,
    runtime: tokio::runtime::Handle,
    pairing: Mutex<Pairing>,
    /// Bumped whenever the visitor's page has something new to fetch.
    changes: Arc<watch::Sender<u64>>,
    visits: std::sync::OnceLock<VisitHook>,
}

struct Pairing {
    /// The code the QR shows now; None while a phone is paired.
    code: Option<String>,
    /// Codes no longer good: used, or replaced by a reset before anyone used them.
    retired: VecDeque<(String, Retired)>,
    visitor: Option<Visitor>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Retired {
    Used,
    Replaced,
}

/// The paired phone: its session secret, its IB Key, and the language it was paired in.
#[derive(Clone)]
pub(crate) struct Visitor {
    secret: String,
    pub(crate) phone: PhoneSim,
    pub(crate) locale: String,
}

/// Why a pairing code was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum PairRefused {
    /// 410: this code paired a phone already (or a reset replaced it).
    Used(Error),
    /// 404: no such code.
    Unknown(Error),
}

/// The login window's panel: the URL and QR while waiting, or that a phone is paired.
#[derive(Debug, Clone, Serialize)]
pub struct LanPhoneStatus {
    /// `waiting`, `paired`, `off` or `failed`.
    pub state: &'static str,
    /// The pairing URL (while waiting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The pairing URL as a QR code, an SVG document (while waiting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_svg: Option<String>,
    /// The listener's address (`http://ADDR:PORT`), when it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Why it could not start (`failed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Error>,
}

impl LanPhoneStatus {
    pub fn off() -> LanPhoneStatus {
        LanPhoneStatus {
            state: "off",
            url: None,
            qr_svg: None,
            address: None,
            error: None,
        }
    }

    pub fn failed(error: Error) -> LanPhoneStatus {
        LanPhoneStatus {
            state: "failed",
            error: Some(error),
            ..LanPhoneStatus::off()
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// `bytes` random bytes from the OS-seeded CSPRNG, as hex.
fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Constant time, whatever the contents (the length is no secret).
fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Where `--phone-lan` may listen: a specific address, one the visitor's phone can
/// reach (the QR carries it), never "every address".
pub fn check_address(addr: &std::net::SocketAddr) -> Result<(), Error> {
    if let std::net::SocketAddr::V6(v6) = addr {
        if v6.scope_id() != 0 {
            return Err(Error::new(
                "phone_lan_address",
                format!(
                    "--phone-lan cannot use a link-local address with a scope ({addr}): \
                     browsers do not open such URLs. Give this computer's address on the \
                     Wi-Fi."
                ),
            ));
        }
    }
    if addr.ip().is_unspecified() {
        return Err(Error::new(
            "phone_lan_address",
            format!(
                "--phone-lan needs the address the visitor's phone can reach (this \
                 computer's address on the Wi-Fi, e.g. 192.168.1.20:8377), not {addr}: \
                 the QR code must carry a reachable address."
            ),
        ));
    }
    Ok(())
}

impl LanPhone {
    /// The pairing state for a listener bound at `local` (its real port).
    pub fn new(
        local: std::net::SocketAddr,
        client: ClientSource,
        locale: LocaleSource,
        runtime: tokio::runtime::Handle,
    ) -> LanPhone {
        let (changes, _) = watch::channel(0);
        let mut authorities = vec![local.to_string()];
        if local.port() == 80 {
            // Browsers leave the default port out of `Host`.
            authorities.push(match local {
                std::net::SocketAddr::V4(v4) => v4.ip().to_string(),
                std::net::SocketAddr::V6(v6) => format!("[{}]", v6.ip()),
            });
        }
        LanPhone {
            inner: Arc::new(Inner {
                base_url: format!("http://{local}"),
                authorities,
                client,
                locale,
                runtime,
                pairing: Mutex::new(Pairing {
                    code: Some(random_hex(16)),
                    retired: VecDeque::new(),
                    visitor: None,
                }),
                changes: Arc::new(changes),
                visits: std::sync::OnceLock::new(),
            }),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Whether `host` (a request's `Host`) names this listener.
    fn serves_host(&self, host: &str) -> bool {
        self.inner
            .authorities
            .iter()
            .any(|a| a.eq_ignore_ascii_case(host))
    }

    /// Tells `hook` of each visit from now on (kiosk mode's idle time); once.
    pub fn on_visit(&self, hook: VisitHook) {
        let _ = self.inner.visits.set(hook);
    }

    fn visited(&self, visit: Visit) {
        if let Some(hook) = self.inner.visits.get() {
            hook(visit);
        }
    }

    fn bump(&self) {
        self.inner.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The URL the QR code carries now (None while a phone is paired).
    pub fn pairing_url(&self) -> Option<String> {
        lock(&self.inner.pairing)
            .code
            .as_ref()
            .map(|code| format!("{}/pair/{code}", self.inner.base_url))
    }

    /// What the login window's panel shows.
    pub fn status(&self) -> LanPhoneStatus {
        let url = self.pairing_url();
        let paired = url.is_none();
        LanPhoneStatus {
            state: if paired { "paired" } else { "waiting" },
            qr_svg: url.as_deref().map(qr_svg),
            url,
            address: Some(self.inner.base_url.clone()),
            error: None,
        }
    }

    /// `/pair/{code}`: the current code pairs a phone once, answering its session secret.
    pub fn pair(&self, code: &str) -> Result<String, PairRefused> {
        let mut pairing = lock(&self.inner.pairing);
        let current = pairing.code.clone();
        if let Some(current) = current.filter(|c| same(c, code)) {
            let secret = random_hex(32);
            let phone = PhoneSim::new(
                VisitorHost {
                    client: self.inner.client.clone(),
                    changes: self.inner.changes.clone(),
                },
                self.inner.runtime.clone(),
                None,
            );
            pairing.visitor = Some(Visitor {
                secret: secret.clone(),
                phone,
                locale: (self.inner.locale)(),
            });
            pairing.code = None;
            retire(&mut pairing, current, Retired::Used);
            drop(pairing);
            tracing::info!("a visitor's phone paired");
            self.bump();
            self.visited(Visit::Paired);
            return Ok(secret);
        }
        let seen = pairing.retired.iter().fold(None, |found, (c, why)| {
            found.or(same(c, code).then_some(*why))
        });
        match seen {
            Some(Retired::Used) => Err(PairRefused::Used(Error::new(
                "pairing_code_used",
                "This pairing code was used already. Only one phone pairs with each code; \
                 after Reset demo the login window shows a new one.",
            ))),
            Some(Retired::Replaced) => Err(PairRefused::Used(Error::new(
                "pairing_code_expired",
                "This pairing code is no longer valid: the demo was reset. Scan the new \
                 code in the login window.",
            ))),
            None => Err(PairRefused::Unknown(Error::new(
                "pairing_code_unknown",
                "This is not a pairing code of this Portcullis. Scan the code in the login \
                 window.",
            ))),
        }
    }

    /// The paired phone whose session secret is `secret`, if any.
    pub(crate) fn visitor(&self, secret: &str) -> Option<Visitor> {
        lock(&self.inner.pairing)
            .visitor
            .as_ref()
            .filter(|v| same(&v.secret, secret))
            .cloned()
    }

    /// Reset demo: the paired phone's session ends and its IB Key is forgotten; a new
    /// code is minted for the next visitor.
    pub fn reset(&self) {
        let mut pairing = lock(&self.inner.pairing);
        let visitor = pairing.visitor.take();
        if let Some(old) = pairing.code.take() {
            retire(&mut pairing, old, Retired::Replaced);
        }
        pairing.code = Some(random_hex(16));
        drop(pairing);
        if let Some(visitor) = visitor {
            let _ = visitor.phone.forget();
            tracing::info!("the visitor's phone was unpaired");
        }
        self.bump();
    }

    fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.changes.subscribe()
    }
}

fn retire(pairing: &mut Pairing, code: String, why: Retired) {
    pairing.retired.push_back((code, why));
    while pairing.retired.len() > RETIRED_KEPT {
        pairing.retired.pop_front();
    }
}

/// The URL as a QR code: an SVG document, dark on white, with its quiet zone.
pub fn qr_svg(url: &str) -> String {
    match qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .quiet_zone(true)
            .build(),
        Err(e) => {
            tracing::warn!(%e, "the pairing URL does not fit a QR code");
            String::new()
        }
    }
}

/// What surrounds the visitor's phone: the desktop's broker client, its identity in
/// memory only (the `PhoneSim` holds it), no notification, and the page told of changes.
struct VisitorHost {
    client: ClientSource,
    changes: Arc<watch::Sender<u64>>,
}

impl PhoneHost for VisitorHost {
    fn client(&self) -> Result<BrokerClient, Error> {
        (self.client)()
    }
    fn keep(&self, _: Option<&PhoneIdentity>) -> Result<(), Error> {
        Ok(())
    }
    fn requested(&self, _: &PhonePush) {}
    fn waiting(&self, _: &[String]) {}
    fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }
}

#[cfg(test)]
mod tests;
