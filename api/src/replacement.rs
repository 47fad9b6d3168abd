//! Ordering a Digital Security Card+ (D4, R1), returning a device or reporting it lost
//! (R2–R4), the 20 USD deposit held meanwhile, and an account's closure.

use crate::device::{DeviceKind, DeviceStatus};
use serde::{Deserialize, Serialize};

/// Where a device is shipped (R1: shown, and changed if outdated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShippingAddress {
    pub line1: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line2: Option<String>,
    pub city: String,
    /// State, province or county, where the country uses one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, in capitals (`US`, `GB`, `CH`).
    pub country: String,
}

/// `POST /v1/devices/order` (R1, steps 1–3): what to order and where, the card's soft
/// PIN, the account that holds the deposit. Posting again replaces the summary (the
/// summary's Back button).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceOrderRequest {
    /// `dsc_plus`: the only kind ordered here.
    pub kind: DeviceKind,
    /// Absent: the address on file. Given: Change Address (kept on file once the order
    /// is confirmed).
    #[serde(default)]
    pub shipping_address: Option<ShippingAddress>,
    /// The card's 4-digit PIN (C2), chosen now; needed to activate and use the card.
    pub soft_pin: String,
    /// The account the 20 USD deposit is held on; absent: the user's account.
    #[serde(default)]
    pub deposit_account: Option<String>,
}

impl std::fmt::Debug for DeviceOrderRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceOrderRequest")
            .field("kind", &self.kind)
            .field("shipping_address", &self.shipping_address)
            .field("soft_pin", &"…")
            .field("deposit_account", &self.deposit_account)
            .finish()
    }
}

/// R1, step 4: the summary to check before confirming (the PIN is not repeated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeviceOrderStep {
    Summary {
        /// Confirm this summary with it; a newer summary voids it.
        order_id: String,
        kind: DeviceKind,
        shipping_address: ShippingAddress,
        deposit_account: String,
        hold_usd: u64,
        /// The day it is expected to ship (`YYYY-MM-DD`, UTC) and the moment.
        estimated_shipment_date: String,
        estimated_shipment_at: String,
        /// The summary waits until then for its confirmation.
        expires_at: String,
    },
}

/// `POST /v1/devices/order/confirm`: the summary being confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeviceOrderConfirmRequest {
    pub order_id: String,
}

/// R1, step 5: the order is placed; the device is `ordered` and the deposit held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeviceOrderPlaced {
    Ordered {
        order_id: String,
        device_id: String,
        kind: DeviceKind,
        shipping_address: ShippingAddress,
        estimated_shipment_date: String,
        estimated_shipment_at: String,
        /// T5: it activates by itself this long after it ships, unless activated first.
        auto_activates_within_days: u32,
        hold: DepositHold,
    },
}

/// A device's order as the account home lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceOrderInfo {
    pub order_id: String,
    pub device_id: String,
    pub kind: DeviceKind,
    /// The device's status now (after what the clock settled).
    pub status: DeviceStatus,
    pub shipping_address: ShippingAddress,
    pub ordered_at: String,
    pub estimated_shipment_date: String,
    pub estimated_shipment_at: String,
}

/// `GET /v1/devices/orders`: the newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceOrderList {
    pub orders: Vec<DeviceOrderInfo>,
}

/// R2: what became of a 20 USD deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HoldStatus {
    /// Frozen while the device is out.
    Held,
    /// R2, R3: the device came back.
    Released,
    /// R2: lost, stolen, damaged, or the account closed without a return.
    Kept,
}

impl HoldStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HoldStatus::Held => "held",
            HoldStatus::Released => "released",
            HoldStatus::Kept => "kept",
        }
    }

    pub fn parse(name: &str) -> Option<HoldStatus> {
        [HoldStatus::Held, HoldStatus::Released, HoldStatus::Kept]
            .into_iter()
            .find(|h| h.as_str() == name)
    }
}

/// The 20 USD held on an account for a device (R1, R2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DepositHold {
    pub device_id: String,
    pub account: String,
    pub amount_usd: u64,
    pub status: HoldStatus,
    pub placed_at: String,
    /// When it was released or kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<String>,
}

/// `GET /v1/holds`: the session user's deposits, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HoldList {
    pub holds: Vec<DepositHold>,
}

/// R2: how a device was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LossReason {
    Lost,
    Stolen,
    /// Damaged and not sent back (a damaged device sent back is a return).
    Damaged,
}

impl LossReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LossReason::Lost => "lost",
            LossReason::Stolen => "stolen",
            LossReason::Damaged => "damaged",
        }
    }
}

/// `POST /v1/devices/{id}/report-lost`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReportLostRequest {
    pub reason: LossReason,
}

/// A device sent back (R2, R3) or reported lost (R2), and its deposit if it had one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceReturnInfo {
    pub device_id: String,
    pub kind: DeviceKind,
    /// `return_shipped`, `returned` or `lost`.
    pub status: DeviceStatus,
    /// Sent back: when, and when it shows as received (R3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_back_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_received_at: Option<String>,
    /// Reported lost: how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<LossReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<DepositHold>,
}

/// `POST /qa/users/{username}/close-account`: the account closed, and the deposits kept
/// because their devices had not been sent back (R2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountClosed {
    pub account: String,
    pub closed_at: String,
    pub holds: Vec<DepositHold>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn r1_a_summary_and_an_order_are_flat_with_their_status() {
        let address = ShippingAddress {
            line1: "1 Main St".into(),
            line2: None,
            city: "Springfield".into(),
            region: None,
            postal_code: "12345".into(),
            country: "US".into(),
        };
        let summary = DeviceOrderStep::Summary {
            order_id: "ORD-1".into(),
            kind: DeviceKind::DscPlus,
            shipping_address: address.clone(),
            deposit_account: "U1".into(),
            hold_usd: 20,
            estimated_shipment_date: "2026-03-06".into(),
            estimated_shipment_at: "2026-03-06T12:00:00Z".into(),
            expires_at: "2026-03-04T12:30:00Z".into(),
        };
        let v = serde_json::to_value(&summary).unwrap();
        assert_eq!(v["status"], "summary");
        assert_eq!(v["kind"], "dsc_plus");
        assert_eq!(
            v["shipping_address"],
            json!({"line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "country": "US"}),
            "absent optional lines are left out"
        );
        let back: DeviceOrderStep = serde_json::from_value(v).unwrap();
        assert_eq!(back, summary);
        assert_eq!(
            serde_json::to_value(HoldStatus::Kept).unwrap(),
            json!("kept")
        );
        assert_eq!(
            serde_json::to_value(DeviceStatus::ReturnShipped).unwrap(),
            json!("return_shipped")
        );
        for h in [HoldStatus::Held, HoldStatus::Released, HoldStatus::Kept] {
            assert_eq!(HoldStatus::parse(h.as_str()), Some(h));
        }
    }

    #[test]
    fn r1_the_soft_pin_never_reaches_debug_output() {
        let req: DeviceOrderRequest =
            serde_json::from_value(json!({"kind": "dsc_plus", "soft_pin": "4711"})).unwrap();
        assert!(!format!("{req:?}").contains("4711"));
        assert!(serde_json::from_value::<DeviceOrderRequest>(
            json!({"kind": "dsc_plus", "soft_pin": "4711", "pin": "1"})
        )
        .is_err());
    }
}
