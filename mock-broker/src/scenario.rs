//! Scenario files: the entities, users and devices a broker starts with (TOML).
//!
//! A scenario is checked when it is read — unknown fields, upper-case usernames (L1),
//! bad characters (L3), DSC+ below the equity floor (D4), dangling references — so a
//! QA engineer learns of a typo at start-up, not from a strange login later.

use crate::rules::account::valid_symbol;
use crate::rules::card::Grid;
use crate::rules::device::is_physical;
use crate::rules::ibkey::{validate_phone_number, validate_pin, UnlockMethod};
use crate::rules::session::{DailyEnd, SessionPolicy, DEFAULT_DAILY_END_UTC, DEFAULT_IDLE_MINUTES};
use crate::rules::temporary::valid_passcode;
use crate::rules::{Duration, Username};
use portcullis_api::ShippingAddress;
use portcullis_api::{DeviceKind, DeviceStatus, Market};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// The scenario loaded when none is given.
pub const DEMO: &str = include_str!("../scenarios/demo.toml");

/// D4: a DSC+ is only for accounts with at least this much equity.
pub const DSC_PLUS_MIN_EQUITY_USD: i64 = 1_000_000;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default)]
    pub entities: Vec<Entity>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub devices: Vec<Device>,
    /// Phones that hold IB Key (K1); their users are the `ib_key` devices naming them.
    #[serde(default)]
    pub phones: Vec<Phone>,
    #[serde(default)]
    pub settings: Settings,
    /// Issue 6: when sessions end.
    #[serde(default)]
    pub sessions: Sessions,
    /// Issue 9 (O1): where symbols trade; absent, [`DEFAULT_SYMBOLS`].
    #[serde(default)]
    pub symbols: Vec<Symbol>,
    /// Issue 9, R3: when a device sent back shows as received.
    #[serde(default)]
    pub returns: Returns,
}

/// `[returns]`: a device sent back shows as received this many business days later
/// (R3: 3 to 5).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Returns {
    #[serde(default = "default_return_business_days")]
    pub business_days: u32,
}

impl Default for Returns {
    fn default() -> Self {
        Returns {
            business_days: default_return_business_days(),
        }
    }
}

fn default_return_business_days() -> u32 {
    crate::rules::replacement::DEFAULT_RETURN_BUSINESS_DAYS
}

/// `[[symbols]]`: a ticker and its market (O1 refuses `pink_sheet` and `otcbb` orders
/// while opted out).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Symbol {
    pub symbol: String,
    pub market: Market,
}

/// The symbols of a scenario that lists none (the demo lists the same).
pub const DEFAULT_SYMBOLS: &[(&str, Market)] = &[
    ("AAPL", Market::Listed),
    ("MSFT", Market::Listed),
    ("IBM", Market::Listed),
    ("PNKCO", Market::PinkSheet),
    ("GRYMT", Market::PinkSheet),
    ("OTCBX", Market::Otcbb),
    ("BBLTD", Market::Otcbb),
];

/// `[sessions]`: a session ends after `idle_minutes` without activity and at
/// `daily_end_utc` (HH:MM, UTC), on the broker's simulated clock.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sessions {
    #[serde(default = "default_idle_minutes")]
    pub idle_minutes: u32,
    #[serde(default = "default_daily_end")]
    pub daily_end_utc: String,
}

impl Default for Sessions {
    fn default() -> Self {
        Sessions {
            idle_minutes: default_idle_minutes(),
            daily_end_utc: default_daily_end(),
        }
    }
}

fn default_idle_minutes() -> u32 {
    DEFAULT_IDLE_MINUTES
}

fn default_daily_end() -> String {
    DEFAULT_DAILY_END_UTC.to_owned()
}

/// A day: an idle limit longer than that would outlive every daily end anyway.
const MAX_IDLE_MINUTES: u32 = 24 * 60;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The desktop shows a number the phone must pick among three (off by default).
    #[serde(default)]
    pub number_matching: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phone {
    pub id: String,
    /// Digits only, without the trunk prefix (D3).
    pub number: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entity {
    pub id: String,
    pub name: String,
    pub account: String,
    pub equity_usd: i64,
    /// S1(a): date of birth, citizenship, residence, ID type and number.
    #[serde(default)]
    pub identification: BTreeMap<String, String>,
    /// O1: the entity starts opted out of the Secure Login System for trading.
    #[serde(default)]
    pub opted_out: bool,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub username: String,
    #[serde(default)]
    pub full_name: String,
    pub password: String,
    pub entity: String,
    #[serde(default = "default_true")]
    pub primary: bool,
    /// S4: a device sharing this user requests waits for Compliance (an operator), which
    /// approves or rejects it.
    #[serde(default)]
    pub sharing_needs_compliance: bool,
    /// R1: the shipping address on file (Request Physical Device shows it).
    #[serde(default)]
    pub address: Option<ShippingAddress>,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("username", &self.username)
            .field("entity", &self.entity)
            .finish_non_exhaustive()
    }
}

fn default_true() -> bool {
    true
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub id: String,
    /// Any D1 kind parses; [`Scenario::parse`] accepts those this broker serves.
    pub kind: DeviceKind,
    pub owner: String,
    /// The OCRA key, hex (DSC+ and IB Key).
    #[serde(default)]
    pub secret: String,
    /// The card's 4-digit PIN, or IB Key's 4–6 character PIN (the passcode behind
    /// biometrics when `security = "biometric"`).
    #[serde(default)]
    pub pin: String,
    /// `active` or `inactive`: a scenario starts from devices in service or kept.
    #[serde(default = "default_active")]
    pub status: DeviceStatus,
    /// IB Key: the phone (an id from `[[phones]]`).
    #[serde(default)]
    pub phone: Option<String>,
    /// IB Key: `pin` or `biometric`.
    #[serde(default)]
    pub security: Option<String>,
    /// SMS: the number codes go to.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// D7, T3: a card's 100 three-digit codes, index 00 first…
    #[serde(default)]
    pub grid: Option<Vec<String>>,
    /// …or a seed they are derived from (the same seed, the same card).
    #[serde(default)]
    pub seed: Option<u64>,
    /// T1: a temporary passcode (upper-case letters and digits).
    #[serde(default)]
    pub passcode: Option<String>,
    /// T1, T2: the passcode was issued this many days before the broker's clock at load.
    #[serde(default)]
    pub issued_days_ago: Option<i64>,
    /// T3: the online card was activated this many days before the clock at load.
    #[serde(default)]
    pub activated_days_ago: Option<i64>,
    /// T5: `status = "shipped"`: it left the warehouse this many days before the clock
    /// at load (it activates itself 21 days after).
    #[serde(default)]
    pub shipped_days_ago: Option<i64>,
    /// R1, R2: a hardware token's 20 USD deposit is held on this account (the owner's).
    #[serde(default)]
    pub deposit_account: Option<String>,
}

impl Device {
    /// D7, T3: the card's grid, from `grid` or `seed` (checked when read).
    pub fn card_grid(&self) -> Option<Grid> {
        match (&self.grid, self.seed) {
            (Some(codes), _) => Grid::from_codes(codes).ok(),
            (None, Some(seed)) => Some(Grid::from_seed(seed)),
            (None, None) => None,
        }
    }
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("owner", &self.owner)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

fn default_active() -> DeviceStatus {
    DeviceStatus::Active
}

fn secret_too_short(id: &str) -> String {
    format!("device {id:?}: secret must be at least 16 bytes of hex")
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot parse the scenario: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("scenario: {0}")]
    Invalid(String),
}

impl Scenario {
    pub fn demo() -> Scenario {
        Scenario::parse(DEMO).expect("the built-in demo scenario is valid")
    }

    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        let scenario: Scenario = toml::from_str(text)?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Issue 6: the `[sessions]` limits as the rules take them.
    pub fn session_policy(&self) -> Result<SessionPolicy, ScenarioError> {
        let s = &self.sessions;
        if !(1..=MAX_IDLE_MINUTES).contains(&s.idle_minutes) {
            return Err(ScenarioError::Invalid(format!(
                "sessions.idle_minutes is 1 to {MAX_IDLE_MINUTES} (got {})",
                s.idle_minutes
            )));
        }
        let daily_end = DailyEnd::parse(&s.daily_end_utc).map_err(|e| {
            ScenarioError::Invalid(format!("sessions.daily_end_utc {:?}: {e}", s.daily_end_utc))
        })?;
        Ok(SessionPolicy {
            idle: Duration::minutes(i64::from(s.idle_minutes)),
            daily_end,
        })
    }

    /// O1: the market `symbol` (upper case) trades on; `None` for a symbol not listed.
    pub fn market_of(&self, symbol: &str) -> Option<Market> {
        if self.symbols.is_empty() {
            return DEFAULT_SYMBOLS
                .iter()
                .find(|(s, _)| *s == symbol)
                .map(|(_, m)| *m);
        }
        self.symbols
            .iter()
            .find(|s| s.symbol == symbol)
            .map(|s| s.market)
    }

    /// Issue 9: `[[symbols]]` are tickers, each once; an opted-out entity has a user
    /// with an active permanent device (what it opted out of).
    fn validate_account(&self) -> Result<(), ScenarioError> {
        let bad = |msg: String| Err(ScenarioError::Invalid(msg));
        let mut seen = HashSet::new();
        for s in &self.symbols {
            if !valid_symbol(&s.symbol) {
                return bad(format!(
                    "symbol {:?}: 1-12 upper-case letters, digits and dots, starting with a letter",
                    s.symbol
                ));
            }
            if !seen.insert(s.symbol.as_str()) {
                return bad(format!("symbol {:?} appears twice", s.symbol));
            }
        }
        for e in self.entities.iter().filter(|e| e.opted_out) {
            let has_device = self.devices.iter().any(|d| {
                d.status == DeviceStatus::Active
                    && (!d.kind.is_temporary() || d.kind == DeviceKind::Sms)
                    && self
                        .users
                        .iter()
                        .any(|u| u.username == d.owner && u.entity == e.id)
            });
            if !has_device {
                return bad(format!(
                    "entity {:?}: opted_out needs a user with an active Secure Login device (O1: something to opt out of)",
                    e.id
                ));
            }
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), ScenarioError> {
        self.session_policy()?;
        self.validate_account()?;
        self.validate_replacement()?;
        let bad = |msg: String| Err(ScenarioError::Invalid(msg));
        // By name, so a scenario of 100,000 users checks in linear time.
        let mut entities = HashMap::new();
        for e in &self.entities {
            if entities.insert(e.id.as_str(), e).is_some() {
                return bad(format!("entity {:?} appears twice", e.id));
            }
        }
        let mut users = HashMap::new();
        for u in &self.users {
            let name = Username::parse(&u.username)
                .map_err(|e| ScenarioError::Invalid(format!("username {:?}: {e}", u.username)))?;
            if !name.is_lower_case() {
                return bad(format!(
                    "username {:?}: L1 stores usernames in lower case",
                    u.username
                ));
            }
            if !entities.contains_key(u.entity.as_str()) {
                return bad(format!(
                    "user {:?} names unknown entity {:?}",
                    u.username, u.entity
                ));
            }
            if users.insert(u.username.as_str(), u).is_some() {
                return bad(format!("user {:?} appears twice", u.username));
            }
        }
        let mut device_ids = HashSet::new();
        for d in &self.devices {
            if !device_ids.insert(d.id.as_str()) {
                return bad(format!("device {:?} appears twice", d.id));
            }
            let Some(owner) = users.get(d.owner.as_str()) else {
                return bad(format!(
                    "device {:?} names unknown owner {:?}",
                    d.id, d.owner
                ));
            };
            match d.status {
                DeviceStatus::Active | DeviceStatus::Inactive => {}
                // T5: a replacement on its way; R2: the device it replaces.
                DeviceStatus::Shipped | DeviceStatus::Lost if is_physical(d.kind) => {}
                DeviceStatus::Shipped
                | DeviceStatus::Lost
                | DeviceStatus::Ordered
                | DeviceStatus::ReturnShipped
                | DeviceStatus::Returned
                | DeviceStatus::Removed => {
                    return bad(format!(
                        "device {:?}: status {:?} is not one a scenario starts from (active, inactive; shipped or lost for a physical device)",
                        d.id,
                        d.status.as_str()
                    ));
                }
            }
            if (d.status == DeviceStatus::Shipped) != d.shipped_days_ago.is_some() {
                return bad(format!(
                    "device {:?}: a shipped device gives shipped_days_ago, and only it",
                    d.id
                ));
            }
            let days_ok = |days: Option<i64>| days.is_some_and(|n| (0..=3650).contains(&n));
            if d.shipped_days_ago.is_some() && !days_ok(d.shipped_days_ago) {
                return bad(format!("device {:?}: shipped_days_ago is 0 to 3650", d.id));
            }
            let is_card = matches!(
                d.kind,
                DeviceKind::SecurityCodeCard | DeviceKind::OnlineSecurityCodeCard
            );
            if !is_card && (d.grid.is_some() || d.seed.is_some()) {
                return bad(format!("device {:?}: only cards have a grid or seed", d.id));
            }
            let is_passcode = d.kind == DeviceKind::TemporaryPasscode;
            if !is_passcode && (d.passcode.is_some() || d.issued_days_ago.is_some()) {
                return bad(format!(
                    "device {:?}: only a temporary_passcode has passcode and issued_days_ago",
                    d.id
                ));
            }
            if d.kind != DeviceKind::OnlineSecurityCodeCard && d.activated_days_ago.is_some() {
                return bad(format!(
                    "device {:?}: only an online_security_code_card has activated_days_ago",
                    d.id
                ));
            }
            let secret_ok = matches!(hex::decode(&d.secret), Ok(key) if key.len() >= 16);
            match d.kind {
                DeviceKind::DscPlus => {
                    if !secret_ok {
                        return bad(secret_too_short(&d.id));
                    }
                    // C2: the card takes a 4-digit PIN.
                    if d.pin.len() != 4 || !d.pin.bytes().all(|b| b.is_ascii_digit()) {
                        return bad(format!("device {:?}: a DSC+ PIN is 4 digits", d.id));
                    }
                    let equity = entities
                        .get(owner.entity.as_str())
                        .map_or(0, |e| e.equity_usd);
                    if equity < DSC_PLUS_MIN_EQUITY_USD {
                        return bad(format!(
                            "device {:?}: D4 allows a DSC+ only with equity of at least {DSC_PLUS_MIN_EQUITY_USD} USD ({} has {equity})",
                            d.id, owner.entity
                        ));
                    }
                }
                DeviceKind::IbKey => {
                    if !secret_ok {
                        return bad(secret_too_short(&d.id));
                    }
                    let phone_known = d
                        .phone
                        .as_ref()
                        .is_some_and(|p| self.phones.iter().any(|ph| &ph.id == p));
                    if !phone_known {
                        return bad(format!(
                            "device {:?}: an IB Key names one of the [[phones]]",
                            d.id
                        ));
                    }
                    if !matches!(
                        d.security.as_deref().map(UnlockMethod::parse),
                        Some(Some(_))
                    ) {
                        return bad(format!(
                            "device {:?}: security is \"pin\" or \"biometric\"",
                            d.id
                        ));
                    }
                    validate_pin(&d.pin)
                        .map_err(|e| ScenarioError::Invalid(format!("device {:?}: {e}", d.id)))?;
                }
                DeviceKind::Sms => {
                    let number = d.phone_number.as_deref().unwrap_or_default();
                    validate_phone_number(number)
                        .map_err(|e| ScenarioError::Invalid(format!("device {:?}: {e}", d.id)))?;
                }
                // D1: legacy cards exist as records; they answer a challenge as a DSC+.
                DeviceKind::Platinum | DeviceKind::Gold | DeviceKind::Dsc => {
                    if !secret_ok {
                        return bad(secret_too_short(&d.id));
                    }
                    if d.pin.len() != 4 || !d.pin.bytes().all(|b| b.is_ascii_digit()) {
                        return bad(format!("device {:?}: a card's PIN is 4 digits", d.id));
                    }
                }
                DeviceKind::SecurityCodeCard | DeviceKind::OnlineSecurityCodeCard => {
                    match (&d.grid, d.seed) {
                        (Some(codes), None) => {
                            Grid::from_codes(codes).map_err(|e| {
                                ScenarioError::Invalid(format!("device {:?}: {e}", d.id))
                            })?;
                        }
                        (None, Some(_)) => {}
                        (Some(_), Some(_)) | (None, None) => {
                            return bad(format!(
                                "device {:?}: a card gives its grid or a seed (one of them)",
                                d.id
                            ));
                        }
                    }
                    if d.kind == DeviceKind::OnlineSecurityCodeCard
                        && !days_ok(d.activated_days_ago)
                    {
                        return bad(format!(
                            "device {:?}: an online card gives activated_days_ago (0 to 3650)",
                            d.id
                        ));
                    }
                }
                DeviceKind::TemporaryPasscode => {
                    if !d.passcode.as_deref().is_some_and(valid_passcode) {
                        return bad(format!(
                            "device {:?}: T1: a passcode is 6-16 upper-case letters and digits",
                            d.id
                        ));
                    }
                    if !days_ok(d.issued_days_ago) {
                        return bad(format!(
                            "device {:?}: a temporary passcode gives issued_days_ago (0 to 3650)",
                            d.id
                        ));
                    }
                }
            }
        }
        let mut phone_ids = HashSet::new();
        for p in &self.phones {
            if !phone_ids.insert(p.id.as_str()) {
                return bad(format!("phone {:?} appears twice", p.id));
            }
            validate_phone_number(&p.number)
                .map_err(|e| ScenarioError::Invalid(format!("phone {:?}: {e}", p.id)))?;
        }
        Ok(())
    }
}

// ---- issue 9: addresses, deposits, returns (R1-R3) --------------------------------

impl Scenario {
    /// R1: addresses on file are ones a parcel can go to; R2: a deposit is held only
    /// for a token that is sent back, on its owner's account; R3: 3 to 5 business days.
    fn validate_replacement(&self) -> Result<(), ScenarioError> {
        use crate::rules::replacement::{validate_address, RETURN_BUSINESS_DAYS};
        let bad = |msg: String| Err(ScenarioError::Invalid(msg));
        if !RETURN_BUSINESS_DAYS.contains(&self.returns.business_days) {
            return bad(format!(
                "returns.business_days is 3 to 5 (R3; got {})",
                self.returns.business_days
            ));
        }
        for u in &self.users {
            if let Some(a) = &u.address {
                if let Err(e) = validate_address(a) {
                    return bad(format!("user {:?}: address: {e}", u.username));
                }
            }
        }
        for d in &self.devices {
            let Some(account) = &d.deposit_account else {
                continue;
            };
            if !crate::rules::device::is_returnable(d.kind) {
                return bad(format!(
                    "device {:?}: only a hardware token that is sent back has a deposit_account (R2)",
                    d.id
                ));
            }
            let owner_account = self
                .users
                .iter()
                .find(|u| u.username == d.owner)
                .and_then(|u| self.entities.iter().find(|e| e.id == u.entity))
                .map(|e| e.account.as_str());
            if owner_account != Some(account.as_str()) {
                return bad(format!(
                    "device {:?}: deposit_account {account:?} is not its owner's account",
                    d.id
                ));
            }
            if !matches!(
                d.status,
                DeviceStatus::Active | DeviceStatus::Inactive | DeviceStatus::Shipped
            ) {
                return bad(format!(
                    "device {:?}: a deposit is held for a device that is out (active, inactive or shipped)",
                    d.id
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_scenario_is_valid() {
        let s = Scenario::demo();
        assert!(s.users.iter().any(|u| u.username == "avery"));
    }

    #[test]
    fn l1_scenario_refuses_upper_case_usernames() {
        let text = DEMO.replace("username = \"blake\"", "username = \"Blake\"");
        let err =
            Scenario::parse(&text.replace("owner = \"blake\"", "owner = \"Blake\"")).unwrap_err();
        assert!(err.to_string().contains("lower case"), "{err}");
    }

    #[test]
    fn d4_scenario_refuses_dsc_plus_below_one_million() {
        let text = DEMO.replace("equity_usd = 2_500_000", "equity_usd = 999_999");
        let err = Scenario::parse(&text).unwrap_err();
        assert!(err.to_string().contains("D4"), "{err}");
    }

    #[test]
    fn hardening_sessions_default_to_30_idle_minutes_and_23_45_utc() {
        let policy = Scenario::demo().session_policy().unwrap();
        assert_eq!(policy.idle, Duration::minutes(30));
        assert_eq!(policy.daily_end, DailyEnd::parse("23:45").unwrap());
        let none = Scenario::parse("").unwrap().session_policy().unwrap();
        assert_eq!(none, policy, "the same defaults when [sessions] is absent");
    }

    #[test]
    fn hardening_sessions_are_read_and_checked() {
        let s = Scenario::parse("[sessions]\nidle_minutes = 5\ndaily_end_utc = \"17:30\"\n")
            .unwrap()
            .session_policy()
            .unwrap();
        assert_eq!(s.idle, Duration::minutes(5));
        assert_eq!(s.daily_end, DailyEnd::parse("17:30").unwrap());
        for bad in [
            "[sessions]\nidle_minutes = 0\n",
            "[sessions]\ndaily_end_utc = \"24:00\"\n",
            "[sessions]\ndaily_end_utc = \"5pm\"\n",
            "[sessions]\nidle_minute = 5\n",
        ] {
            assert!(Scenario::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn d1_scenario_takes_legacy_kinds_and_checks_what_each_kind_needs() {
        let text = DEMO.replacen("kind = \"dsc_plus\"", "kind = \"gold\"", 1);
        assert!(Scenario::parse(&text).is_ok(), "D1: a legacy Gold card");
        let text = DEMO.replacen("kind = \"dsc_plus\"", "kind = \"security_code_card\"", 1);
        let err = Scenario::parse(&text).unwrap_err().to_string();
        assert!(
            err.contains("grid or a seed"),
            "a card without a grid is refused at start-up: {err}"
        );
        let text = DEMO.replace("kind = \"dsc_plus\"", "kind = \"dsc-plus\"");
        assert!(
            Scenario::parse(&text).is_err(),
            "an unknown kind is refused"
        );
    }

    #[test]
    fn scenario_devices_start_active_or_inactive() {
        let text = DEMO.replacen("status = \"active\"", "status = \"shipped\"", 1);
        let err = Scenario::parse(&text).unwrap_err().to_string();
        assert!(err.contains("shipped_days_ago"), "{err}");
        let text = DEMO.replacen("status = \"active\"", "status = \"returned\"", 1);
        assert!(Scenario::parse(&text).is_err());
        let text = DEMO.replacen("status = \"active\"", "status = \"inactive\"", 1);
        assert!(Scenario::parse(&text).is_ok());
    }

    #[test]
    fn o1_scenario_symbols_and_opted_out_entities_are_checked() {
        let s = Scenario::demo();
        assert_eq!(s.market_of("PNKCO"), Some(Market::PinkSheet));
        assert_eq!(s.market_of("OTCBX"), Some(Market::Otcbb));
        assert_eq!(s.market_of("AAPL"), Some(Market::Listed));
        assert_eq!(s.market_of("NOPE"), None);
        let bare = Scenario::parse("").unwrap();
        assert_eq!(
            bare.market_of("PNKCO"),
            Some(Market::PinkSheet),
            "the defaults"
        );
        let one = Scenario::parse("[[symbols]]\nsymbol = \"ZZZ\"\nmarket = \"otcbb\"\n").unwrap();
        assert_eq!(one.market_of("ZZZ"), Some(Market::Otcbb));
        assert_eq!(one.market_of("AAPL"), None, "a table replaces the defaults");
        for (bad, why) in [
            ("[[symbols]]\nsymbol = \"aapl\"\nmarket = \"listed\"\n", "upper-case"),
            ("[[symbols]]\nsymbol = \"A\"\nmarket = \"listed\"\n[[symbols]]\nsymbol = \"A\"\nmarket = \"otcbb\"\n", "twice"),
            ("[[symbols]]\nsymbol = \"A\"\nmarket = \"nasdaq\"\n", "unknown variant"),
            ("[[symbols]]\nsymbol = \"A\"\n", "market"),
        ] {
            let err = Scenario::parse(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
        let lone = "[[entities]]\nid = \"e\"\nname = \"E\"\naccount = \"U1\"\nequity_usd = 1\nopted_out = true\n";
        let err = Scenario::parse(lone).unwrap_err().to_string();
        assert!(
            err.contains("opted_out"),
            "O1: nothing to opt out of: {err}"
        );
    }

    #[test]
    fn s4_sharing_needs_compliance_is_a_flag_on_a_user() {
        let s = Scenario::demo();
        let flagged: Vec<&str> = s
            .users
            .iter()
            .filter(|u| u.sharing_needs_compliance)
            .map(|u| u.username.as_str())
            .collect();
        assert_eq!(flagged, ["loweira"], "off unless the scenario says so");
        let text = DEMO.replace(
            "sharing_needs_compliance = true",
            "sharing_needs_compliance = \"yes\"",
        );
        let err = Scenario::parse(&text).unwrap_err().to_string();
        assert!(err.contains("sharing_needs_compliance"), "{err}");
        let text = "[[entities]]\nid='x'\nname='x'\naccount='x'\nequity_usd=1\nsharing_needs_compliance=true\n";
        assert!(
            Scenario::parse(text).is_err(),
            "a flag on the requesting user, not on an entity"
        );
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = Scenario::parse(
            "[[entities]]\nid='x'\nname='x'\naccount='x'\nequity_usd=1\ncolour='red'\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("colour"), "{err}");
    }

    #[test]
    fn r3_scenario_return_days_are_3_to_5() {
        assert_eq!(Scenario::parse("").unwrap().returns.business_days, 5);
        assert_eq!(
            Scenario::parse("[returns]\nbusiness_days = 3\n")
                .unwrap()
                .returns
                .business_days,
            3
        );
        for days in [2, 6] {
            let err = Scenario::parse(&format!("[returns]\nbusiness_days = {days}\n"))
                .unwrap_err()
                .to_string();
            assert!(err.contains("3 to 5"), "{err}");
        }
        assert!(Scenario::parse("[returns]\ndays = 4\n").is_err());
    }

    #[test]
    fn r1_scenario_refuses_an_address_a_parcel_cannot_go_to() {
        assert!(DEMO.contains("country = \"US\""), "the demo has addresses");
        let err = Scenario::parse(&DEMO.replacen("country = \"US\"", "country = \"usa\"", 1))
            .unwrap_err()
            .to_string();
        assert!(err.contains("address"), "{err}");
        let err = Scenario::parse(&DEMO.replacen("city = \"", "city = \" \", line3 = \"", 1))
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field"), "{err}");
    }

    #[test]
    fn r2_scenario_deposits_belong_to_a_returned_token_on_its_owners_account() {
        let text = |extra: &str| {
            format!(
                "[[entities]]\nid='e'\nname='E'\naccount='U1'\nequity_usd=2000000\n\
                 [[entities]]\nid='f'\nname='F'\naccount='U2'\nequity_usd=0\n\
                 [[users]]\nusername='a'\npassword='p'\nentity='e'\n\
                 [[devices]]\nid='D1'\nkind='dsc_plus'\nowner='a'\npin='1234'\n\
                 secret='3132333435363738393031323334353637383930313233343536373839303132'\n{extra}"
            )
        };
        assert!(Scenario::parse(&text("deposit_account='U1'\n")).is_ok());
        let err = Scenario::parse(&text("deposit_account='U2'\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not its owner's account"), "{err}");
        let err = Scenario::parse(&text("deposit_account='U1'\nstatus='lost'\n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("out"), "{err}");
        let card = text("")
            .replace("[[devices]]", "[[devices]]\ndeposit_account='U1'")
            .replace("kind='dsc_plus'", "kind='security_code_card'\nseed=1")
            .replace("pin='1234'\n", "")
            .replace(
                "secret='3132333435363738393031323334353637383930313233343536373839303132'\n",
                "",
            );
        let err = Scenario::parse(&card).unwrap_err().to_string();
        assert!(err.contains("sent back"), "{err}");
    }
}
