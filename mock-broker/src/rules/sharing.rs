//! Sharing one Secure Login device between usernames (S1–S6) as rules: who may share
//! with whom, which device, and where a sharing request stands.
//!
//! The broker gathers each participant's entity, identification data and active
//! device kinds; [`refusals`] answers every S1/S2 condition the request breaks, most
//! decisive first, so the broker answers the first and audits them all.

use super::Timestamp;
use portcullis_api::{DeviceKind, MessageKind};
use std::collections::BTreeMap;

/// One of the two users of a sharing request: the requesting user or the device owner.
#[derive(Debug, Clone)]
pub struct Participant<'a> {
    pub entity: &'a str,
    /// S1(a): date of birth, citizenship, residence, ID document type and number (or
    /// SSN), as the entity's record holds them.
    pub identification: &'a BTreeMap<String, String>,
    /// The kinds of the user's active devices (their own, not ones shared with them).
    pub active: Vec<DeviceKind>,
}

/// Why a sharing request is refused (S1, S2, S5), most decisive first: the order in
/// which [`refusals`] lists them, and so the one the broker answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Refusal {
    /// S1(a), S5: "Different identification information" — impossible by design.
    DifferentIdentification,
    /// S1(b): a temporary passcode or online security code card is assigned.
    TemporaryDeviceAssigned,
    /// S2, K5: an IB Key is shared through *Add user* in the app, not here.
    UseAddUser,
    /// S1(c), S5: "Less secure device" — not the most protective of theirs.
    LessSecureDevice,
}

impl Refusal {
    /// The wire code (and audit word).
    pub fn code(self) -> &'static str {
        match self {
            Refusal::DifferentIdentification => "different_identification",
            Refusal::TemporaryDeviceAssigned => "temporary_device_assigned",
            Refusal::UseAddUser => "use_add_user",
            Refusal::LessSecureDevice => "less_secure_device",
        }
    }
}

/// S1(b): the temporary devices the article names (T1's passcode, T3's online card).
/// SMS is a temporary kind too (D3) but not one the article lists here.
fn temporary_assigned(kind: DeviceKind) -> bool {
    matches!(
        kind,
        DeviceKind::TemporaryPasscode | DeviceKind::OnlineSecurityCodeCard
    )
}

/// S1(a) (decision): the same entity; or two entities whose identification data are
/// recorded and equal field by field (values compared trimmed, ignoring case). An
/// entity with no identification on record matches no other entity.
pub fn same_identification(a: &Participant<'_>, b: &Participant<'_>) -> bool {
    if a.entity == b.entity {
        return true;
    }
    let norm = |m: &BTreeMap<String, String>| -> BTreeMap<String, String> {
        m.iter()
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_lowercase()))
            .collect()
    };
    !a.identification.is_empty() && norm(a.identification) == norm(b.identification)
}

/// S1, S2: every condition that sharing the owner's `shared` device with the
/// requesting user breaks, most decisive first (empty: allowed).
pub fn refusals(
    requester: &Participant<'_>,
    owner: &Participant<'_>,
    shared: DeviceKind,
) -> Vec<Refusal> {
    let mut out = Vec::new();
    if !same_identification(requester, owner) {
        out.push(Refusal::DifferentIdentification);
    }
    let both = || requester.active.iter().chain(owner.active.iter()).copied();
    if both().any(temporary_assigned) {
        out.push(Refusal::TemporaryDeviceAssigned);
    }
    if shared == DeviceKind::IbKey {
        out.push(Refusal::UseAddUser);
    }
    // S1(c): any of them if equal, so only a strictly more protective one refuses.
    if both().any(|k| k.protection() > shared.protection()) {
        out.push(Refusal::LessSecureDevice);
    }
    out
}

/// The owner's device a request shares when it names none: the most protective of
/// the owner's active permanent devices, the first listed among equals (D6: the last
/// used). Temporary kinds are never shared.
pub fn default_shared<T>(candidates: &[T], kind: impl Fn(&T) -> DeviceKind) -> Option<&T> {
    candidates
        .iter()
        .filter(|d| !kind(d).is_temporary())
        .rev()
        .max_by_key(|d| kind(d).protection())
}

/// Where a sharing request stands (S3, S4, S6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SharingState {
    /// S3 step 7: the owner's device was asked this (a challenge, or two indexes as
    /// `rules::card` stores them), to answer once within 5 minutes (C4).
    Asked { asked: String },
    /// Step 8: answered; the requesting user reviews and confirms.
    Reviewing,
    /// S4: confirmed, waiting for Compliance.
    PendingCompliance,
    /// S4: Compliance said no, with its reason if it gave one; nothing was set aside.
    Rejected { reason: Option<String> },
    /// S4, S6: in force; the requesting user's devices set aside.
    Approved,
    /// S6: ended by the requesting user; the devices set aside serve again.
    Cancelled,
    /// The security element was answered wrongly (L4 counted it).
    Failed,
    /// The security element was answered too late (C4).
    Expired,
}

impl SharingState {
    /// The wire and store name.
    pub fn name(&self) -> &'static str {
        match self {
            SharingState::Asked { .. } => "asked",
            SharingState::Reviewing => "reviewing",
            SharingState::PendingCompliance => "pending_compliance",
            SharingState::Rejected { .. } => "rejected",
            SharingState::Approved => "approved",
            SharingState::Cancelled => "cancelled",
            SharingState::Failed => "failed",
            SharingState::Expired => "expired",
        }
    }

    /// S6: the sharing still stands (or will, once Compliance approves): a user has one
    /// at a time. A rejected one does not, so its user may ask again.
    pub fn in_force_or_pending(&self) -> bool {
        match self {
            SharingState::PendingCompliance | SharingState::Approved => true,
            SharingState::Asked { .. }
            | SharingState::Reviewing
            | SharingState::Rejected { .. }
            | SharingState::Cancelled
            | SharingState::Failed
            | SharingState::Expired => false,
        }
    }
}

/// S4: what Compliance decided on a sharing that waited for it, as the requesting
/// user's messages tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComplianceDecision<'a> {
    /// It came into force then.
    Approved,
    /// It ended then, for this reason (if one was given).
    Rejected { reason: Option<&'a str> },
}

impl ComplianceDecision<'_> {
    /// The kind of the user's message that carries it.
    pub fn kind(self) -> MessageKind {
        match self {
            ComplianceDecision::Approved => MessageKind::SharingApproved,
            ComplianceDecision::Rejected { .. } => MessageKind::SharingRejected,
        }
    }
}

/// S4 (decision): Compliance's decision on a sharing and when it was taken, or None
/// when Compliance took none: still pending, or never sent to it (an approval at once
/// posts no message). An approval stays told after the sharing is cancelled.
pub fn compliance_decision<'a>(
    state: &'a SharingState,
    decided_by_compliance: bool,
    approved_at: Option<Timestamp>,
    rejected_at: Option<Timestamp>,
) -> Option<(ComplianceDecision<'a>, Timestamp)> {
    if !decided_by_compliance {
        return None;
    }
    match state {
        SharingState::Rejected { reason } => rejected_at.map(|at| {
            let reason = reason.as_deref();
            (ComplianceDecision::Rejected { reason }, at)
        }),
        SharingState::Approved | SharingState::Cancelled => {
            approved_at.map(|at| (ComplianceDecision::Approved, at))
        }
        SharingState::Asked { .. }
        | SharingState::Reviewing
        | SharingState::PendingCompliance
        | SharingState::Failed
        | SharingState::Expired => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ident(id_number: &str) -> BTreeMap<String, String> {
        [
            ("date_of_birth", "1980-01-01"),
            ("citizenship", "US"),
            ("residence", "US"),
            ("id_type", "SSN"),
            ("id_number", id_number),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    fn who<'a>(
        entity: &'a str,
        id: &'a BTreeMap<String, String>,
        active: &[DeviceKind],
    ) -> Participant<'a> {
        Participant {
            entity,
            identification: id,
            active: active.to_vec(),
        }
    }

    #[test]
    fn s1a_same_entity_or_same_identification_data() {
        let (a, b, empty) = (ident("1"), ident("2"), BTreeMap::new());
        assert!(same_identification(&who("e", &a, &[]), &who("e", &b, &[])));
        assert!(same_identification(
            &who("e", &a, &[]),
            &who("f", &ident("1"), &[])
        ));
        let mut shouting = ident("1");
        shouting.insert("citizenship".into(), " us ".into());
        assert!(same_identification(
            &who("e", &a, &[]),
            &who("f", &shouting, &[])
        ));
        assert!(
            !same_identification(&who("e", &a, &[]), &who("f", &b, &[])),
            "an outdated ID number differs"
        );
        assert!(
            !same_identification(&who("e", &empty, &[]), &who("f", &empty, &[])),
            "nothing on record matches nothing"
        );
    }

    #[test]
    fn s1_s2_every_broken_condition_is_listed_most_decisive_first() {
        use DeviceKind::*;
        let (a, b) = (ident("1"), ident("2"));
        let ok = refusals(
            &who("e", &a, &[SecurityCodeCard]),
            &who("e", &a, &[DscPlus]),
            DscPlus,
        );
        assert!(ok.is_empty(), "{ok:?}");
        let all = refusals(
            &who("e", &a, &[DscPlus, TemporaryPasscode]),
            &who("f", &b, &[IbKey]),
            IbKey,
        );
        assert_eq!(
            all,
            vec![
                Refusal::DifferentIdentification,
                Refusal::TemporaryDeviceAssigned,
                Refusal::UseAddUser,
                Refusal::LessSecureDevice
            ]
        );
        let equal = refusals(&who("e", &a, &[Gold]), &who("e", &a, &[DscPlus]), DscPlus);
        assert!(equal.is_empty(), "S1(c): any of them if equal");
        let online = refusals(
            &who("e", &a, &[OnlineSecurityCodeCard]),
            &who("e", &a, &[DscPlus]),
            DscPlus,
        );
        assert_eq!(online, vec![Refusal::TemporaryDeviceAssigned]);
    }

    #[test]
    fn s1c_the_default_device_is_the_owners_most_protective() {
        use DeviceKind::*;
        let kinds = [IbKey, SecurityCodeCard, DscPlus, Sms];
        assert_eq!(default_shared(&kinds, |k| *k), Some(&DscPlus));
        assert_eq!(
            default_shared(&[Sms], |k| *k),
            None,
            "temporary kinds are not shared"
        );
        let tie = [("a", DscPlus), ("b", Gold)];
        assert_eq!(
            default_shared(&tie, |d| d.1).map(|d| d.0),
            Some("a"),
            "the first among equals"
        );
    }

    #[test]
    fn s4_a_rejected_request_frees_its_user_to_ask_again() {
        assert!(SharingState::PendingCompliance.in_force_or_pending());
        let rejected = SharingState::Rejected { reason: None };
        assert!(
            !rejected.in_force_or_pending(),
            "one at a time counts it no more"
        );
        assert_eq!(rejected.name(), "rejected");
    }

    #[test]
    fn s4_only_compliances_own_decisions_are_told() {
        let (approved, rejected) = (Some(Timestamp(1_000)), Some(Timestamp(2_000)));
        let ended = SharingState::Cancelled;
        assert_eq!(
            compliance_decision(&SharingState::Approved, false, approved, None),
            None,
            "approved at once: no message"
        );
        assert_eq!(
            compliance_decision(&SharingState::Approved, true, approved, None),
            Some((ComplianceDecision::Approved, Timestamp(1_000)))
        );
        assert_eq!(
            compliance_decision(&ended, true, approved, None),
            Some((ComplianceDecision::Approved, Timestamp(1_000))),
            "still told after a cancellation"
        );
        assert_eq!(
            compliance_decision(&ended, false, None, None),
            None,
            "cancelled while pending"
        );
        let why = SharingState::Rejected {
            reason: Some("ID document expired".into()),
        };
        assert_eq!(
            compliance_decision(&why, true, None, rejected),
            Some((
                ComplianceDecision::Rejected {
                    reason: Some("ID document expired")
                },
                Timestamp(2_000)
            ))
        );
        assert_eq!(
            compliance_decision(&SharingState::PendingCompliance, false, None, None),
            None
        );
    }
}
