//! The life of a Secure Login device (R1–R4, S6, T1–T5, D3) as rules: which status
//! change is legal from where, for which kind, and when.
//!
//! A device's status is stored as it was last written; every change goes through
//! [`transition`], which answers the next [`DeviceStatus`] or says why the change is
//! illegal. Time enters only as an input (T5's automatic activation, the expiry of the
//! temporary kinds), never from the system clock. The kinds and statuses are the
//! contract's (`portcullis_api`): one `DeviceKind` end to end.
//!
//! ```text
//!   issue ──► ordered ──ship──► shipped ──activate / T5 auto──► active
//!   (K1, D3, T1, T3: issued active)                                │
//!        active ──deactivate (replaced, S6, T4) / T2–T3 expiry──► inactive
//!        inactive ──reactivate (S6, T4; permanent kinds)──► active
//!        shipped / active / inactive / return_shipped ──lost (R2, physical kinds)──► lost
//!        active / inactive ──ship back (R2, hardware tokens)──► return_shipped
//!        return_shipped (R3: received) / active / inactive ──return──► returned
//!        active / inactive ──remove (D3: SMS once IB Key is active)──► removed
//! ```
//! Lost, returned and removed are final.

use super::time::{Duration, Timestamp};
use portcullis_api::{DeviceKind, DeviceStatus};

/// T5 (decision): a shipped device nobody activated by hand activates itself three
/// weeks after its shipment date — the DSC+ figure, applied to every shipped kind.
pub const AUTO_ACTIVATION_AFTER: Duration = Duration::days(21);
/// T2: a temporary passcode gives full access for 2 days…
pub const TEMPORARY_PASSCODE_FULL_ACCESS: Duration = Duration::days(2);
/// …then the Client Portal only, for 10 more days; then nothing.
pub const TEMPORARY_PASSCODE_LIFETIME: Duration = Duration::days(12);
/// T3: the online security code card gives full access for 21 days from activation.
pub const ONLINE_CARD_LIFETIME: Duration = Duration::days(21);

/// What can happen to a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// R1 → T5: the ordered device leaves the warehouse.
    Ship,
    /// T5: activated by hand once it arrived.
    Activate,
    /// T5: not activated by hand, it activates itself at `shipped_at` plus
    /// [`AUTO_ACTIVATION_AFTER`].
    AutoActivate {
        shipped_at: Timestamp,
        now: Timestamp,
    },
    /// Kept, no longer serving: replaced (T5), made redundant by sharing (S6), voided
    /// by a permanent device's return to service (T4).
    Deactivate,
    /// S6: cancelling the sharing; T4: the permanent device serves again.
    Reactivate,
    /// R2: lost, stolen or damaged.
    ReportLost,
    /// R2: the user sent it back; it is on its way to the broker.
    ShipBack,
    /// R2, R3: sent back and received.
    Return,
    /// D3: SMS is gone once IB Key is active.
    Remove,
    /// T2, T3: a temporary device past its lifetime, counted from `activated_at`.
    Expire {
        activated_at: Timestamp,
        now: Timestamp,
    },
}

impl Transition {
    fn name(self) -> &'static str {
        match self {
            Transition::Ship => "ship",
            Transition::Activate => "activate",
            Transition::AutoActivate { .. } => "activate by itself",
            Transition::Deactivate => "deactivate",
            Transition::Reactivate => "reactivate",
            Transition::ReportLost => "be reported lost",
            Transition::ShipBack => "be sent back",
            Transition::Return => "be returned",
            Transition::Remove => "be removed",
            Transition::Expire { .. } => "expire",
        }
    }
}

/// Why a status change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IllegalTransition {
    /// D1: legacy kinds exist as records only.
    #[error("{} is no longer issued", a(*.0))]
    NotIssued(DeviceKind),
    /// The change exists, but not from this status (return a device still on order).
    #[error("{} cannot {} when {}", a(*kind), transition.name(), from.as_str())]
    NotFrom {
        kind: DeviceKind,
        from: DeviceStatus,
        transition: Transition,
    },
    /// This kind never takes that path (R2: a Security Code Card is shredded, not
    /// returned; T4: a voided temporary device stays void).
    #[error("{} cannot {}", a(*kind), transition.name())]
    NotForKind {
        kind: DeviceKind,
        transition: Transition,
    },
    /// T2, T3, T5: the moment has not come yet.
    #[error("not before {}", at.rfc3339())]
    NotYet { at: Timestamp },
}

/// "a Digital Security Card+", "an IB Key", "an Online Security Code Card".
fn a(kind: DeviceKind) -> String {
    let name = kind.display_name();
    let vowel = name.starts_with(['A', 'E', 'I', 'O', 'U']);
    format!("{} {name}", if vowel { "an" } else { "a" })
}

/// Kinds that travel by post and can be lost on the way or after (R1, R2, T5).
pub fn is_physical(kind: DeviceKind) -> bool {
    match kind {
        DeviceKind::DscPlus
        | DeviceKind::Platinum
        | DeviceKind::Gold
        | DeviceKind::Dsc
        | DeviceKind::SecurityCodeCard => true,
        DeviceKind::IbKey
        | DeviceKind::OnlineSecurityCodeCard
        | DeviceKind::TemporaryPasscode
        | DeviceKind::Sms => false,
    }
}

/// R2: hardware tokens come back (and release the deposit); cards are shredded.
pub fn is_returnable(kind: DeviceKind) -> bool {
    match kind {
        DeviceKind::DscPlus | DeviceKind::Platinum | DeviceKind::Gold | DeviceKind::Dsc => true,
        DeviceKind::SecurityCodeCard
        | DeviceKind::IbKey
        | DeviceKind::OnlineSecurityCodeCard
        | DeviceKind::TemporaryPasscode
        | DeviceKind::Sms => false,
    }
}

/// T2, T3: how long a temporary kind lasts from its activation; `None` for kinds that
/// last until something else ends them (SMS ends when IB Key activates, D3).
pub fn lifetime(kind: DeviceKind) -> Option<Duration> {
    match kind {
        DeviceKind::TemporaryPasscode => Some(TEMPORARY_PASSCODE_LIFETIME),
        DeviceKind::OnlineSecurityCodeCard => Some(ONLINE_CARD_LIFETIME),
        DeviceKind::DscPlus
        | DeviceKind::Platinum
        | DeviceKind::Gold
        | DeviceKind::Dsc
        | DeviceKind::IbKey
        | DeviceKind::SecurityCodeCard
        | DeviceKind::Sms => None,
    }
}

/// When a temporary device activated at `activated_at` stops working (T2, T3).
pub fn expires_at(kind: DeviceKind, activated_at: Timestamp) -> Option<Timestamp> {
    lifetime(kind).map(|l| activated_at.plus(l))
}

/// The status a newly issued device starts in: a physical one is ordered (R1); IB Key
/// is active once activated on the phone (K1), SMS once its number is confirmed (D3),
/// a temporary passcode when Client Services issues it (T1), the online card when it
/// is activated (T3). Legacy kinds are not issued (D1).
pub fn issue(kind: DeviceKind) -> Result<DeviceStatus, IllegalTransition> {
    match kind {
        DeviceKind::DscPlus | DeviceKind::SecurityCodeCard => Ok(DeviceStatus::Ordered),
        DeviceKind::IbKey
        | DeviceKind::OnlineSecurityCodeCard
        | DeviceKind::TemporaryPasscode
        | DeviceKind::Sms => Ok(DeviceStatus::Active),
        DeviceKind::Platinum | DeviceKind::Gold | DeviceKind::Dsc => {
            Err(IllegalTransition::NotIssued(kind))
        }
    }
}

/// The status a `kind` device in status `from` moves to on `transition`, or why it
/// may not.
pub fn transition(
    kind: DeviceKind,
    from: DeviceStatus,
    transition: Transition,
) -> Result<DeviceStatus, IllegalTransition> {
    use DeviceStatus as S;
    let not_from = Err(IllegalTransition::NotFrom {
        kind,
        from,
        transition,
    });
    let not_for_kind = Err(IllegalTransition::NotForKind { kind, transition });
    match transition {
        Transition::Ship | Transition::Activate | Transition::AutoActivate { .. }
            if !is_physical(kind) =>
        {
            not_for_kind
        }
        Transition::Ship => match from {
            S::Ordered => Ok(S::Shipped),
            S::Shipped
            | S::Active
            | S::Inactive
            | S::Lost
            | S::ReturnShipped
            | S::Returned
            | S::Removed => not_from,
        },
        Transition::Activate => match from {
            S::Shipped => Ok(S::Active),
            S::Ordered
            | S::Active
            | S::Inactive
            | S::Lost
            | S::ReturnShipped
            | S::Returned
            | S::Removed => not_from,
        },
        Transition::AutoActivate { shipped_at, now } => match from {
            S::Shipped => {
                let at = shipped_at.plus(AUTO_ACTIVATION_AFTER);
                if now >= at {
                    Ok(S::Active)
                } else {
                    Err(IllegalTransition::NotYet { at })
                }
            }
            S::Ordered
            | S::Active
            | S::Inactive
            | S::Lost
            | S::ReturnShipped
            | S::Returned
            | S::Removed => not_from,
        },
        Transition::Deactivate => match from {
            S::Active => Ok(S::Inactive),
            S::Ordered
            | S::Shipped
            | S::Inactive
            | S::Lost
            | S::ReturnShipped
            | S::Returned
            | S::Removed => not_from,
        },
        // T4: a voided temporary passcode or online card never serves again; T1 asks
        // for a new one instead (and refuses consecutive ones).
        Transition::Reactivate if kind.is_temporary() => not_for_kind,
        Transition::Reactivate => match from {
            S::Inactive => Ok(S::Active),
            S::Ordered
            | S::Shipped
            | S::Active
            | S::Lost
            | S::ReturnShipped
            | S::Returned
            | S::Removed => not_from,
        },
        Transition::ReportLost if !is_physical(kind) => not_for_kind,
        Transition::ReportLost => match from {
            // R2: lost on its way back too; the sender answers for the parcel.
            S::Shipped | S::Active | S::Inactive | S::ReturnShipped => Ok(S::Lost),
            S::Ordered | S::Lost | S::Returned | S::Removed => not_from,
        },
        Transition::ShipBack | Transition::Return if !is_returnable(kind) => not_for_kind,
        Transition::ShipBack => match from {
            S::Active | S::Inactive => Ok(S::ReturnShipped),
            S::Ordered | S::Shipped | S::Lost | S::ReturnShipped | S::Returned | S::Removed => {
                not_from
            }
        },
        // R3: received once shipped back; a device that arrives unannounced (Client
        // Services) is received straight from the user's hands.
        Transition::Return => match from {
            S::ReturnShipped | S::Active | S::Inactive => Ok(S::Returned),
            S::Ordered | S::Shipped | S::Lost | S::Returned | S::Removed => not_from,
        },
        Transition::Remove if kind != DeviceKind::Sms => not_for_kind,
        Transition::Remove => match from {
            S::Active | S::Inactive => Ok(S::Removed),
            S::Ordered | S::Shipped | S::Lost | S::ReturnShipped | S::Returned | S::Removed => {
                not_from
            }
        },
        Transition::Expire { activated_at, now } => {
            let Some(at) = expires_at(kind, activated_at) else {
                return not_for_kind;
            };
            match from {
                S::Active if now >= at => Ok(S::Inactive),
                S::Active => Err(IllegalTransition::NotYet { at }),
                S::Ordered
                | S::Shipped
                | S::Inactive
                | S::Lost
                | S::ReturnShipped
                | S::Returned
                | S::Removed => not_from,
            }
        }
    }
}

/// Only an active device answers a login's second factor (D5); every other status is
/// on its way, kept, or gone.
pub fn serves_logins(status: DeviceStatus) -> bool {
    match status {
        DeviceStatus::Active => true,
        DeviceStatus::Ordered
        | DeviceStatus::Shipped
        | DeviceStatus::Inactive
        | DeviceStatus::Lost
        | DeviceStatus::ReturnShipped
        | DeviceStatus::Returned
        | DeviceStatus::Removed => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DeviceKind as K;
    use DeviceStatus as S;

    const T0: Timestamp = Timestamp(1_800_000_000_000);

    fn after(d: Duration) -> Timestamp {
        T0.plus(d)
    }

    #[test]
    fn r1_a_dsc_plus_is_ordered_shipped_then_activated_by_hand() {
        let ordered = issue(K::DscPlus).unwrap();
        assert_eq!(ordered, S::Ordered, "R1: a requested card starts on order");
        let shipped = transition(K::DscPlus, ordered, Transition::Ship).unwrap();
        assert_eq!(shipped, S::Shipped);
        assert!(
            !serves_logins(shipped),
            "D5: a card on its way serves no login"
        );
        let active = transition(K::DscPlus, shipped, Transition::Activate).unwrap();
        assert_eq!(active, S::Active);
        assert!(serves_logins(active));
    }

    #[test]
    fn r1_an_ordered_device_cannot_be_activated_before_it_ships() {
        assert_eq!(
            transition(K::DscPlus, S::Ordered, Transition::Activate),
            Err(IllegalTransition::NotFrom {
                kind: K::DscPlus,
                from: S::Ordered,
                transition: Transition::Activate
            }),
            "R1/T5: only a shipped card is activated"
        );
        assert!(transition(K::DscPlus, S::Active, Transition::Ship).is_err());
    }

    #[test]
    fn d1_legacy_kinds_are_not_issued() {
        for kind in [K::Platinum, K::Gold, K::Dsc] {
            assert_eq!(issue(kind), Err(IllegalTransition::NotIssued(kind)));
        }
        // They exist as records all the same: an active one may still be returned.
        assert_eq!(
            transition(K::Gold, S::Active, Transition::Return),
            Ok(S::Returned)
        );
    }

    #[test]
    fn k1_d3_t1_t3_app_and_temporary_kinds_are_issued_active() {
        for kind in [
            K::IbKey,
            K::Sms,
            K::TemporaryPasscode,
            K::OnlineSecurityCodeCard,
        ] {
            assert_eq!(issue(kind), Ok(S::Active), "{kind:?} needs no shipping");
            assert_eq!(
                transition(kind, S::Ordered, Transition::Ship),
                Err(IllegalTransition::NotForKind {
                    kind,
                    transition: Transition::Ship
                }),
                "{kind:?} is never posted"
            );
        }
    }

    #[test]
    fn r2_a_lost_device_stays_lost() {
        let lost = transition(K::DscPlus, S::Active, Transition::ReportLost).unwrap();
        assert_eq!(lost, S::Lost);
        assert_eq!(
            transition(K::DscPlus, S::Shipped, Transition::ReportLost),
            Ok(S::Lost),
            "R2: lost in the post too"
        );
        for t in [
            Transition::Reactivate,
            Transition::Return,
            Transition::Activate,
            Transition::Deactivate,
        ] {
            assert!(
                transition(K::DscPlus, lost, t).is_err(),
                "R2: lost is final ({t:?})"
            );
        }
    }

    #[test]
    fn r2_security_code_cards_are_shredded_not_returned() {
        assert_eq!(
            transition(K::SecurityCodeCard, S::Active, Transition::Return),
            Err(IllegalTransition::NotForKind {
                kind: K::SecurityCodeCard,
                transition: Transition::Return
            })
        );
        assert_eq!(
            transition(K::SecurityCodeCard, S::Active, Transition::ReportLost),
            Ok(S::Lost),
            "a card can still be lost"
        );
        assert!(transition(K::IbKey, S::Active, Transition::ReportLost).is_err());
    }

    #[test]
    fn r3_a_returned_device_is_final() {
        let returned = transition(K::DscPlus, S::Inactive, Transition::Return).unwrap();
        assert_eq!(returned, S::Returned);
        assert!(transition(K::DscPlus, returned, Transition::Reactivate).is_err());
        assert!(
            transition(K::DscPlus, S::Shipped, Transition::Return).is_err(),
            "R3: a device is returned once it arrived"
        );
    }

    #[test]
    fn r3_a_device_sent_back_is_received_later_and_serves_no_login_meanwhile() {
        let sent = transition(K::DscPlus, S::Active, Transition::ShipBack).unwrap();
        assert_eq!(
            sent,
            S::ReturnShipped,
            "R3: on its way back, not yet received"
        );
        assert!(!serves_logins(sent), "a card in the post serves no login");
        assert_eq!(
            transition(K::DscPlus, sent, Transition::Return),
            Ok(S::Returned)
        );
        assert_eq!(
            transition(K::DscPlus, sent, Transition::ReportLost),
            Ok(S::Lost),
            "R2: lost on its way back: the sender answers for the parcel"
        );
        for t in [
            Transition::Reactivate,
            Transition::ShipBack,
            Transition::Activate,
        ] {
            assert!(transition(K::DscPlus, sent, t).is_err(), "{t:?}");
        }
        assert!(
            transition(K::DscPlus, S::Ordered, Transition::ShipBack).is_err(),
            "a card still on order is not sent back"
        );
        assert_eq!(
            transition(K::SecurityCodeCard, S::Active, Transition::ShipBack),
            Err(IllegalTransition::NotForKind {
                kind: K::SecurityCodeCard,
                transition: Transition::ShipBack
            }),
            "R2: a Security Code Card is shredded"
        );
    }

    #[test]
    fn r4_a_returned_device_serves_no_login() {
        assert!(!serves_logins(S::Returned));
        assert!(!serves_logins(S::Lost));
        assert!(!serves_logins(S::Removed));
        assert!(!serves_logins(S::Inactive));
    }

    #[test]
    fn s6_a_redundant_device_is_kept_inactive_and_can_be_reactivated() {
        let inactive = transition(K::DscPlus, S::Active, Transition::Deactivate).unwrap();
        assert_eq!(inactive, S::Inactive, "S6: kept, not deleted");
        assert_eq!(
            transition(K::DscPlus, inactive, Transition::Reactivate),
            Ok(S::Active),
            "S6: cancelling the sharing reactivates it"
        );
        assert_eq!(
            transition(K::DscPlus, inactive, Transition::Return),
            Ok(S::Returned),
            "S6: a DSC+ may be returned instead"
        );
        assert!(
            transition(K::DscPlus, S::Active, Transition::Reactivate).is_err(),
            "only an inactive device is reactivated"
        );
    }

    #[test]
    fn t4_reactivating_the_permanent_device_voids_the_temporary_ones_for_good() {
        assert_eq!(
            transition(K::IbKey, S::Inactive, Transition::Reactivate),
            Ok(S::Active),
            "T4: the permanent device serves again"
        );
        for kind in [K::TemporaryPasscode, K::OnlineSecurityCodeCard] {
            let void = transition(kind, S::Active, Transition::Deactivate).unwrap();
            assert_eq!(void, S::Inactive, "T4: {kind:?} stops working at once");
            assert_eq!(
                transition(kind, void, Transition::Reactivate),
                Err(IllegalTransition::NotForKind {
                    kind,
                    transition: Transition::Reactivate
                }),
                "T4: a voided {kind:?} stays void"
            );
        }
    }

    #[test]
    fn t5_a_shipped_device_activates_itself_three_weeks_after_shipment() {
        let early = Transition::AutoActivate {
            shipped_at: T0,
            now: after(Duration::days(20)),
        };
        assert_eq!(
            transition(K::DscPlus, S::Shipped, early),
            Err(IllegalTransition::NotYet {
                at: after(AUTO_ACTIVATION_AFTER)
            }),
            "T5: not before three weeks"
        );
        let due = Transition::AutoActivate {
            shipped_at: T0,
            now: after(AUTO_ACTIVATION_AFTER),
        };
        assert_eq!(transition(K::DscPlus, S::Shipped, due), Ok(S::Active));
        assert!(
            transition(K::DscPlus, S::Active, due).is_err(),
            "an active device does not activate again"
        );
    }

    #[test]
    fn t2_t3_temporary_kinds_expire_after_their_lifetime() {
        assert_eq!(
            expires_at(K::TemporaryPasscode, T0),
            Some(after(Duration::days(12))),
            "T2: 2 days full, then 10 days portal only"
        );
        assert_eq!(
            expires_at(K::OnlineSecurityCodeCard, T0),
            Some(after(Duration::days(21))),
            "T3: 21 days"
        );
        assert_eq!(expires_at(K::Sms, T0), None, "D3: SMS ends with IB Key");
        assert_eq!(expires_at(K::DscPlus, T0), None);
        let expire = |now| Transition::Expire {
            activated_at: T0,
            now,
        };
        assert_eq!(
            transition(
                K::OnlineSecurityCodeCard,
                S::Active,
                expire(after(ONLINE_CARD_LIFETIME))
            ),
            Ok(S::Inactive)
        );
        assert_eq!(
            transition(
                K::TemporaryPasscode,
                S::Active,
                expire(after(Duration::days(2)))
            ),
            Err(IllegalTransition::NotYet {
                at: after(TEMPORARY_PASSCODE_LIFETIME)
            })
        );
        assert!(
            transition(K::DscPlus, S::Active, expire(after(Duration::days(999)))).is_err(),
            "a permanent device does not expire"
        );
    }

    #[test]
    fn d3_sms_is_removed_when_ib_key_activates() {
        assert_eq!(
            transition(K::Sms, S::Active, Transition::Remove),
            Ok(S::Removed)
        );
        assert_eq!(
            transition(K::IbKey, S::Active, Transition::Deactivate),
            Ok(S::Inactive),
            "K1: an earlier IB Key of the user is kept inactive"
        );
        assert!(transition(K::IbKey, S::Active, Transition::Remove).is_err());
        assert!(
            transition(K::Sms, S::Removed, Transition::Reactivate).is_err(),
            "removed is final"
        );
    }

    #[test]
    fn final_statuses_have_no_way_out() {
        let all = [
            Transition::Ship,
            Transition::Activate,
            Transition::AutoActivate {
                shipped_at: T0,
                now: after(Duration::days(365)),
            },
            Transition::Deactivate,
            Transition::Reactivate,
            Transition::ReportLost,
            Transition::Return,
            Transition::Remove,
            Transition::ShipBack,
            Transition::Expire {
                activated_at: T0,
                now: after(Duration::days(365)),
            },
        ];
        for kind in DeviceKind::ALL {
            for from in [S::Lost, S::Returned, S::Removed] {
                for t in all {
                    assert!(
                        transition(kind, from, t).is_err(),
                        "{kind:?} {from:?} --{t:?}--> must be illegal"
                    );
                }
            }
        }
    }

    #[test]
    fn illegal_transitions_say_why() {
        let e = transition(K::SecurityCodeCard, S::Active, Transition::Return).unwrap_err();
        assert_eq!(e.to_string(), "a Security Code Card cannot be returned");
        let e = transition(K::DscPlus, S::Ordered, Transition::Activate).unwrap_err();
        assert_eq!(
            e.to_string(),
            "a Digital Security Card+ cannot activate when ordered"
        );
    }
}
