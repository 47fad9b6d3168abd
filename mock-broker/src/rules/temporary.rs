//! Temporary access while a permanent device is lost, forgotten or on its way (T1–T5),
//! and the withdrawal limits that follow from a user's devices (D2).
//!
//! Everything here is evaluated against `now` when asked: a passcode's phase, an
//! online card's life, a replacement's automatic activation and its notices. Nothing
//! runs on a timer; the broker settles what the clock says whenever it reads a user.

use super::device::{
    AUTO_ACTIVATION_AFTER, ONLINE_CARD_LIFETIME, TEMPORARY_PASSCODE_FULL_ACCESS,
    TEMPORARY_PASSCODE_LIFETIME,
};
use super::time::{Duration, Timestamp};
use portcullis_api::{Channel, DeviceKind, LimitRow, MessageKind, WithdrawalLimits};
use rand::Rng;

/// T1 (decision): a temporary passcode is 8 characters.
pub const PASSCODE_LENGTH: usize = 8;
/// T1 (decision): upper-case letters and digits, without those read as one another
/// over the telephone (0/O, 1/I).
const PASSCODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// T5 (decision): the first notice, a week before a replacement activates itself.
pub const APPROACHING_NOTICE: Duration = Duration::days(7);
/// T5 (decision): the second, a day before.
pub const IMMINENT_NOTICE: Duration = Duration::days(1);

/// T1: a fresh passcode, shown once.
pub fn generate_passcode(rng: &mut impl Rng) -> String {
    (0..PASSCODE_LENGTH)
        .map(|_| char::from(PASSCODE_ALPHABET[rng.gen_range(0..PASSCODE_ALPHABET.len())]))
        .collect()
}

/// T1: what a scenario may give as a passcode: upper-case letters and digits.
pub fn valid_passcode(code: &str) -> bool {
    (6..=16).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// T1: Client Services refuses a passcode to a user who had one and has not since
/// reactivated a permanent device.
pub fn may_issue_passcode(had_one_since_reactivation: bool) -> bool {
    !had_one_since_reactivation
}

/// T2: where a temporary passcode issued at `issued_at` stands at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasscodePhase {
    /// The first 2 days: trading and portal.
    Full { until: Timestamp },
    /// The next 10: the portal only, to obtain the online card.
    PortalOnly { until: Timestamp },
    /// Then nothing.
    Expired { at: Timestamp },
}

pub fn passcode_phase(issued_at: Timestamp, now: Timestamp) -> PasscodePhase {
    let full_until = issued_at.plus(TEMPORARY_PASSCODE_FULL_ACCESS);
    let portal_until = issued_at.plus(TEMPORARY_PASSCODE_LIFETIME);
    if now < full_until {
        PasscodePhase::Full { until: full_until }
    } else if now < portal_until {
        PasscodePhase::PortalOnly {
            until: portal_until,
        }
    } else {
        PasscodePhase::Expired { at: portal_until }
    }
}

/// What a login through a temporary device may do on `channel` at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemporaryAccess {
    /// Everything the channel offers.
    Full,
    /// T2: the portal, to obtain the online card only.
    OnlineCardOnly,
    /// T2: a trading login past day 2 is told to use the Client Portal.
    UseClientPortal,
    /// T2 past day 12, T3 past day 21.
    Expired,
}

/// T2, T3: the access a `kind` device activated at `activated_at` gives on `channel`.
/// Permanent kinds are not temporary: `Full`.
pub fn temporary_access(
    kind: DeviceKind,
    activated_at: Timestamp,
    channel: Channel,
    now: Timestamp,
) -> TemporaryAccess {
    match kind {
        DeviceKind::TemporaryPasscode => match (passcode_phase(activated_at, now), channel) {
            (PasscodePhase::Full { .. }, _) => TemporaryAccess::Full,
            (PasscodePhase::PortalOnly { .. }, Channel::Portal) => TemporaryAccess::OnlineCardOnly,
            (PasscodePhase::PortalOnly { .. }, Channel::Trading) => {
                TemporaryAccess::UseClientPortal
            }
            (PasscodePhase::Expired { .. }, _) => TemporaryAccess::Expired,
        },
        DeviceKind::OnlineSecurityCodeCard => {
            if now < activated_at.plus(ONLINE_CARD_LIFETIME) {
                TemporaryAccess::Full
            } else {
                TemporaryAccess::Expired
            }
        }
        DeviceKind::DscPlus
        | DeviceKind::Platinum
        | DeviceKind::Gold
        | DeviceKind::Dsc
        | DeviceKind::IbKey
        | DeviceKind::SecurityCodeCard
        | DeviceKind::Sms => TemporaryAccess::Full,
    }
}

/// T5: when a device shipped at `shipped_at` activates itself.
pub fn auto_activation_at(shipped_at: Timestamp) -> Timestamp {
    shipped_at.plus(AUTO_ACTIVATION_AFTER)
}

/// T5: a notice of a replacement's automatic activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AutoActivationNotice {
    /// A week before.
    Approaching,
    /// A day before.
    Imminent,
    /// It did.
    Activated,
}

impl AutoActivationNotice {
    /// The kind of the user's message that carries it.
    pub fn kind(self) -> MessageKind {
        match self {
            AutoActivationNotice::Approaching => MessageKind::AutoActivationApproaching,
            AutoActivationNotice::Imminent => MessageKind::AutoActivationImminent,
            AutoActivationNotice::Activated => MessageKind::DeviceAutoActivated,
        }
    }
}

/// T5: the notices a replacement shipped at `shipped_at` has posted by `now`, with when
/// each was posted; `activated` says whether it has activated itself already.
pub fn auto_activation_notices(
    shipped_at: Timestamp,
    activated_by_itself: bool,
    now: Timestamp,
) -> Vec<(AutoActivationNotice, Timestamp)> {
    let at = auto_activation_at(shipped_at);
    let mut notices = Vec::new();
    for (notice, posted) in [
        (
            AutoActivationNotice::Approaching,
            at.minus(APPROACHING_NOTICE),
        ),
        (AutoActivationNotice::Imminent, at.minus(IMMINENT_NOTICE)),
    ] {
        if now >= posted {
            notices.push((notice, posted));
        }
    }
    if activated_by_itself && now >= at {
        notices.push((AutoActivationNotice::Activated, at));
    }
    notices
}

/// D2: a kind's row in the withdrawal-limit table. The temporary passcode and the
/// online card count as "none" (decision); SMS has its own row.
pub fn limit_row(kind: DeviceKind) -> LimitRow {
    match kind {
        DeviceKind::DscPlus => LimitRow::DscPlus,
        DeviceKind::Platinum | DeviceKind::Gold => LimitRow::PlatinumGold,
        DeviceKind::Dsc => LimitRow::Dsc,
        DeviceKind::IbKey => LimitRow::IbKey,
        DeviceKind::SecurityCodeCard => LimitRow::SecurityCodeCard,
        DeviceKind::OnlineSecurityCodeCard | DeviceKind::TemporaryPasscode => LimitRow::None,
        DeviceKind::Sms => LimitRow::Sms,
    }
}

/// D2: (per day, per 5 business days) in USD; `None` is unlimited.
pub fn row_amounts(row: LimitRow) -> (Option<u64>, Option<u64>) {
    match row {
        LimitRow::None => (Some(50_000), Some(100_000)),
        LimitRow::IbKey => (Some(1_000_000), Some(1_000_000)),
        LimitRow::SecurityCodeCard | LimitRow::Sms => (Some(200_000), Some(600_000)),
        LimitRow::Dsc => (Some(1_000_000), Some(1_500_000)),
        LimitRow::DscPlus | LimitRow::PlatinumGold => (None, None),
    }
}

/// D2 (decision): the limits of the most protective of `active` kinds, the "none" row
/// when there is none. Among equally protective kinds, the row allowing more.
pub fn withdrawal_limits(active: impl IntoIterator<Item = DeviceKind>) -> WithdrawalLimits {
    let generosity = |(day, week): (Option<u64>, Option<u64>)| {
        (day.unwrap_or(u64::MAX), week.unwrap_or(u64::MAX))
    };
    let best = active
        .into_iter()
        .max_by_key(|k| (k.protection(), generosity(row_amounts(limit_row(*k)))));
    let row = best.map_or(LimitRow::None, limit_row);
    let (per_day_usd, per_5_business_days_usd) = row_amounts(row);
    WithdrawalLimits {
        row,
        device_kind: best,
        per_day_usd,
        per_5_business_days_usd,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeviceKind as K;

    const T0: Timestamp = Timestamp(1_800_000_000_000);
    const MINUTE: Duration = Duration::minutes(1);

    #[test]
    fn t1_a_passcode_is_upper_case_alphanumeric() {
        let mut rng = rand::thread_rng();
        for _ in 0..200 {
            let code = generate_passcode(&mut rng);
            assert_eq!(code.len(), PASSCODE_LENGTH);
            assert!(valid_passcode(&code), "{code}");
        }
        assert!(!valid_passcode("abcd1234"), "T1: upper case");
        assert!(!may_issue_passcode(true), "T1: no consecutive passcodes");
        assert!(may_issue_passcode(false));
    }

    #[test]
    fn t2_full_for_2_days_then_portal_only_for_10_then_nothing() {
        let day = |d: i64| T0.plus(Duration::days(d));
        let at = |now, channel| temporary_access(K::TemporaryPasscode, T0, channel, now);
        use Channel::{Portal, Trading};
        assert_eq!(at(day(2).minus(MINUTE), Trading), TemporaryAccess::Full);
        assert_eq!(
            at(day(2).plus(MINUTE), Trading),
            TemporaryAccess::UseClientPortal
        );
        assert_eq!(
            at(day(2).plus(MINUTE), Portal),
            TemporaryAccess::OnlineCardOnly
        );
        assert_eq!(
            at(day(12).minus(MINUTE), Portal),
            TemporaryAccess::OnlineCardOnly
        );
        assert_eq!(at(day(12).plus(MINUTE), Portal), TemporaryAccess::Expired);
        assert_eq!(at(day(12).plus(MINUTE), Trading), TemporaryAccess::Expired);
    }

    #[test]
    fn t3_the_online_card_gives_21_days_from_activation() {
        let at = |now| temporary_access(K::OnlineSecurityCodeCard, T0, Channel::Trading, now);
        let end = T0.plus(Duration::days(21));
        assert_eq!(at(end.minus(MINUTE)), TemporaryAccess::Full);
        assert_eq!(at(end.plus(MINUTE)), TemporaryAccess::Expired);
    }

    #[test]
    fn t5_notices_a_week_and_a_day_before_the_automatic_activation() {
        let at = auto_activation_at(T0);
        assert_eq!(at, T0.plus(Duration::days(21)), "T5: DSC+ within 3 weeks");
        let kinds = |now, done| -> Vec<MessageKind> {
            auto_activation_notices(T0, done, now)
                .into_iter()
                .map(|(n, _)| n.kind())
                .collect()
        };
        assert!(kinds(at.minus(Duration::days(7)).minus(MINUTE), false).is_empty());
        assert_eq!(
            kinds(at.minus(Duration::days(7)).plus(MINUTE), false),
            [MessageKind::AutoActivationApproaching]
        );
        assert_eq!(
            kinds(at.minus(Duration::days(1)).plus(MINUTE), false),
            [
                MessageKind::AutoActivationApproaching,
                MessageKind::AutoActivationImminent
            ]
        );
        assert_eq!(
            kinds(at.plus(MINUTE), true),
            [
                MessageKind::AutoActivationApproaching,
                MessageKind::AutoActivationImminent,
                MessageKind::DeviceAutoActivated
            ]
        );
    }

    #[test]
    fn d2_limits_come_from_the_most_protective_active_device() {
        let l = withdrawal_limits([K::IbKey, K::DscPlus]);
        assert_eq!((l.row, l.per_day_usd), (LimitRow::DscPlus, None));
        let l = withdrawal_limits([K::SecurityCodeCard]);
        assert_eq!(
            (l.per_day_usd, l.per_5_business_days_usd),
            (Some(200_000), Some(600_000))
        );
        let l = withdrawal_limits([K::TemporaryPasscode]);
        assert_eq!(l.row, LimitRow::None, "D2: a temporary passcode is none");
        assert_eq!(l.per_day_usd, Some(50_000));
        let l = withdrawal_limits([K::OnlineSecurityCodeCard]);
        assert_eq!(l.row, LimitRow::None, "D2: an online card is none");
        let l = withdrawal_limits([K::Sms, K::TemporaryPasscode]);
        assert_eq!(l.row, LimitRow::Sms, "D2: SMS has its row");
        let l = withdrawal_limits([K::Dsc]);
        assert_eq!(
            (l.per_day_usd, l.per_5_business_days_usd),
            (Some(1_000_000), Some(1_500_000))
        );
        let l = withdrawal_limits([K::Gold]);
        assert_eq!(l.row, LimitRow::PlatinumGold);
        assert_eq!(withdrawal_limits([]).row, LimitRow::None);
    }
}
