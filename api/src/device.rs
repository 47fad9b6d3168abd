//! Secure Login devices as the wire names them (D1), with the two facts every layer
//! needs about a kind: how protective it is, and how it answers a login.

use serde::{Deserialize, Serialize};

/// D1: every kind of Secure Login device, most protective first.
///
/// Legacy kinds (DSC, Platinum, Gold) exist as records, for limits and sharing, but
/// are no longer issued; the temporary kinds stand in while a permanent device is lost
/// or on its way (T1–T3, D3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// Digital Security Card+ (C1–C4).
    DscPlus,
    /// Legacy hardware token.
    Platinum,
    /// Legacy hardware token.
    Gold,
    /// Digital Security Card (legacy).
    Dsc,
    /// The mobile authenticator (K1–K7).
    IbKey,
    /// The printed grid of 100 three-digit codes (D7).
    SecurityCodeCard,
    /// The grid obtained in the Client Portal with a temporary passcode (T3).
    OnlineSecurityCodeCard,
    /// The static code Client Services gives out (T1, T2).
    TemporaryPasscode,
    /// Codes by text message until IB Key is activated (D3).
    Sms,
}

/// D1's order, as a rank: a higher value protects more. Platinum and Gold rank with
/// the DSC+ (D2 gives them the same unlimited row); the temporary kinds rank lowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Protection(pub u8);

/// How a device answers the second factor of a login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SecondFactorMethod {
    /// A challenge code on screen, the device's response typed back (C1–C4, K3).
    Challenge,
    /// A notification to the phone, approved there (K2).
    Push,
    /// A code sent by text message (D3).
    Sms,
    /// Two index numbers; the codes at those positions typed together (D7, T3).
    IndexCard,
    /// The temporary passcode itself (T1, T2).
    TemporaryPasscode,
}

impl DeviceKind {
    /// Every kind, most protective first (D1).
    pub const ALL: [DeviceKind; 9] = [
        DeviceKind::DscPlus,
        DeviceKind::Platinum,
        DeviceKind::Gold,
        DeviceKind::Dsc,
        DeviceKind::IbKey,
        DeviceKind::SecurityCodeCard,
        DeviceKind::OnlineSecurityCodeCard,
        DeviceKind::TemporaryPasscode,
        DeviceKind::Sms,
    ];

    /// The wire and store name (`dsc_plus`, `ib_key`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::DscPlus => "dsc_plus",
            DeviceKind::Platinum => "platinum",
            DeviceKind::Gold => "gold",
            DeviceKind::Dsc => "dsc",
            DeviceKind::IbKey => "ib_key",
            DeviceKind::SecurityCodeCard => "security_code_card",
            DeviceKind::OnlineSecurityCodeCard => "online_security_code_card",
            DeviceKind::TemporaryPasscode => "temporary_passcode",
            DeviceKind::Sms => "sms",
        }
    }

    pub fn parse(name: &str) -> Option<DeviceKind> {
        DeviceKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// What a person calls it.
    pub fn display_name(self) -> &'static str {
        match self {
            DeviceKind::DscPlus => "Digital Security Card+",
            DeviceKind::Platinum => "Platinum security device",
            DeviceKind::Gold => "Gold security device",
            DeviceKind::Dsc => "Digital Security Card",
            DeviceKind::IbKey => "IB Key",
            DeviceKind::SecurityCodeCard => "Security Code Card",
            DeviceKind::OnlineSecurityCodeCard => "Online Security Code Card",
            DeviceKind::TemporaryPasscode => "Temporary passcode",
            DeviceKind::Sms => "SMS",
        }
    }

    /// D1: how protective this kind is.
    pub fn protection(self) -> Protection {
        Protection(match self {
            DeviceKind::DscPlus | DeviceKind::Platinum | DeviceKind::Gold => 6,
            DeviceKind::Dsc => 5,
            DeviceKind::IbKey => 4,
            DeviceKind::SecurityCodeCard => 3,
            DeviceKind::OnlineSecurityCodeCard => 2,
            DeviceKind::TemporaryPasscode | DeviceKind::Sms => 1,
        })
    }

    /// How this kind answers a login's second factor.
    pub fn method(self) -> SecondFactorMethod {
        match self {
            DeviceKind::DscPlus | DeviceKind::Platinum | DeviceKind::Gold | DeviceKind::Dsc => {
                SecondFactorMethod::Challenge
            }
            DeviceKind::IbKey => SecondFactorMethod::Push,
            DeviceKind::SecurityCodeCard | DeviceKind::OnlineSecurityCodeCard => {
                SecondFactorMethod::IndexCard
            }
            DeviceKind::TemporaryPasscode => SecondFactorMethod::TemporaryPasscode,
            DeviceKind::Sms => SecondFactorMethod::Sms,
        }
    }

    /// D1: kept as records, no longer issued.
    pub fn is_legacy(self) -> bool {
        matches!(
            self,
            DeviceKind::Platinum | DeviceKind::Gold | DeviceKind::Dsc
        )
    }

    /// D1, T1–T3: stands in for a permanent device, for a limited time.
    pub fn is_temporary(self) -> bool {
        matches!(
            self,
            DeviceKind::OnlineSecurityCodeCard | DeviceKind::TemporaryPasscode | DeviceKind::Sms
        )
    }
}

/// Where a device is in its life (R1–R4, S6, T4, T5), as the wire names it. The
/// transitions between them are rules, in `mock-broker`'s rules library.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeviceStatus {
    /// Requested, not yet sent (R1).
    Ordered,
    /// On its way; activates by hand or by itself (T5).
    Shipped,
    /// Serves logins.
    Active,
    /// Kept but not serving: replaced, made redundant by sharing (S6), or voided (T4).
    Inactive,
    /// Reported lost, stolen or damaged (R2).
    Lost,
    /// Sent back by the user, not yet received (R3: received 3–5 business days later).
    ReturnShipped,
    /// Sent back and received (R3).
    Returned,
    /// Gone for good: SMS once IB Key is active (D3).
    Removed,
}

impl DeviceStatus {
    pub const ALL: [DeviceStatus; 8] = [
        DeviceStatus::Ordered,
        DeviceStatus::Shipped,
        DeviceStatus::Active,
        DeviceStatus::Inactive,
        DeviceStatus::Lost,
        DeviceStatus::ReturnShipped,
        DeviceStatus::Returned,
        DeviceStatus::Removed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Ordered => "ordered",
            DeviceStatus::Shipped => "shipped",
            DeviceStatus::Active => "active",
            DeviceStatus::Inactive => "inactive",
            DeviceStatus::Lost => "lost",
            DeviceStatus::ReturnShipped => "return_shipped",
            DeviceStatus::Returned => "returned",
            DeviceStatus::Removed => "removed",
        }
    }

    pub fn parse(name: &str) -> Option<DeviceStatus> {
        DeviceStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// Where a login comes from. Rules that differ by channel (T2, O1) are the broker's
/// to enforce; the client only says which it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The trading workstation (this desktop app).
    #[default]
    Trading,
    /// The Client Portal (the web account site).
    Portal,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Trading => "trading",
            Channel::Portal => "portal",
        }
    }

    pub fn parse(name: &str) -> Option<Channel> {
        [Channel::Trading, Channel::Portal]
            .into_iter()
            .find(|c| c.as_str() == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d1_kinds_are_listed_most_protective_first() {
        let ranks: Vec<Protection> = DeviceKind::ALL.iter().map(|k| k.protection()).collect();
        assert!(
            ranks.windows(2).all(|w| w[0] >= w[1]),
            "D1 orders kinds by protection: {ranks:?}"
        );
        assert!(DeviceKind::DscPlus.protection() > DeviceKind::IbKey.protection());
        assert!(DeviceKind::IbKey.protection() > DeviceKind::SecurityCodeCard.protection());
    }

    #[test]
    fn names_round_trip_on_the_wire_and_in_the_store() {
        for kind in DeviceKind::ALL {
            assert_eq!(DeviceKind::parse(kind.as_str()), Some(kind));
        }
        for status in DeviceStatus::ALL {
            assert_eq!(DeviceStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(DeviceKind::parse("ib-key"), None);
    }
}
