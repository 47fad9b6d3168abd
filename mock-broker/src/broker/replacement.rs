//! Ordering, replacing and returning a device (D4, R1–R4, T5), as the Client Portal's
//! Secure Login settings offer it to the primary user (O3).
//!
//! Request Physical Device (R1) is two calls: the order's details answer a summary
//! (posting again is the summary's Back), and its confirmation places the order — the
//! device `ordered`, 20 USD held on the chosen account, the estimated shipment date.
//! Nothing runs on a timer: [`settle`] (called by `access::settle` whenever a user is
//! read) ships an order at its estimated date, after which T5's automatic activation
//! (`access::settle`) takes over, and receives a device sent back 3–5 business days
//! after it left (R3), releasing its deposit. A device reported lost keeps its deposit
//! (R2), and so does every device not sent back when its account closes.

use super::access::{illegal, restriction};
use super::reactivation::own_device;
use super::{random_hex, token_hash, Broker, BrokerResult};
use crate::error::BrokerError;
use crate::rules::device::{self, is_returnable, Transition};
use crate::rules::replacement::{
    estimated_shipment, may_order_dsc_plus, return_received_at, settle_hold, validate_address,
    validate_soft_pin, AddressError, HoldEvent, DEPOSIT_HOLD_USD, ORDER_DRAFT_LIFETIME,
};
use crate::rules::Timestamp;
use crate::scenario::Scenario;
use crate::store::replacement::{self as order_store, HoldRow, OrderRow, ReturnRow};
use crate::store::{self, DeviceRow, SessionRow, StoreResult};
use portcullis_api::{
    AccountClosed, DepositHold, DeviceKind, DeviceOrderInfo, DeviceOrderPlaced, DeviceOrderRequest,
    DeviceOrderStep, DeviceReturnInfo, DeviceStatus, HoldStatus, LossReason,
};
use rusqlite::Transaction;

use super::settings::require_primary;

const ONLINE_CARD_ONLY: &str = "With a temporary passcode past its second day, the Client \
     Portal only gives the online security code card. Log in with the online card first.";
const ACCOUNT_CLOSED: &str = "This account is closed: no device is ordered for it.";

/// R1: the day part of an RFC 3339 time (`YYYY-MM-DD`).
fn date_of(t: Timestamp) -> String {
    t.rfc3339().chars().take(10).collect()
}

fn hold_info(h: HoldRow) -> DepositHold {
    DepositHold {
        device_id: h.device_id,
        account: h.account,
        amount_usd: h.amount_usd,
        status: h.status,
        placed_at: h.placed_at.rfc3339(),
        settled_at: h.settled_at.map(Timestamp::rfc3339),
    }
}

/// R1: one DSC+ on order, on its way or in service at a time; a lost, returned or
/// kept-aside one does not stand in the way of a replacement.
fn no_dsc_plus_in_service(tx: &Transaction<'_>, username: &str) -> BrokerResult<()> {
    for d in store::devices_of(tx, username)? {
        if d.kind != DeviceKind::DscPlus {
            continue;
        }
        match d.status {
            DeviceStatus::Ordered | DeviceStatus::Shipped | DeviceStatus::Active => {
                return Err(BrokerError::AlreadyHasDscPlus {
                    device_id: d.id,
                    status: d.status,
                });
            }
            DeviceStatus::Inactive
            | DeviceStatus::Lost
            | DeviceStatus::ReturnShipped
            | DeviceStatus::Returned
            | DeviceStatus::Removed => {}
        }
    }
    Ok(())
}

/// D4 and the account: the deposit account and equity, refusing a closed account or
/// equity under the floor (audited).
fn orderable_account(
    tx: &Transaction<'_>,
    username: &str,
    now: Timestamp,
) -> BrokerResult<order_store::AccountRow> {
    let Some(account) = order_store::account_of(tx, username)? else {
        return Err(BrokerError::InvalidSession);
    };
    if order_store::account_closed_at(tx, &account.account)?.is_some() {
        return Err(BrokerError::NotPermitted(ACCOUNT_CLOSED));
    }
    if !may_order_dsc_plus(account.equity_usd) {
        store::audit(
            tx,
            now,
            Some(username),
            "device_order_refused",
            &format!(
                "D4: equity {} USD on {}",
                account.equity_usd, account.account
            ),
        )?;
        return Err(BrokerError::InsufficientEquity {
            equity_usd: account.equity_usd,
        });
    }
    Ok(account)
}

/// T5, R3: what the clock has decided for `username`'s orders and returns: an order
/// ships at its estimated date; a device sent back is received when due, and its
/// deposit released. Runs before T5's automatic activation, so one read that travels
/// far sees an order shipped and then activated.
pub(super) fn settle(tx: &Transaction<'_>, username: &str, now: Timestamp) -> StoreResult<()> {
    for o in order_store::orders_of(tx, username)? {
        let Some(id) = o.device_id.as_deref() else {
            continue;
        };
        let Some(d) = store::find_device(tx, id)? else {
            continue;
        };
        if d.status != DeviceStatus::Ordered || now < o.ships_at {
            continue;
        }
        if device::transition(d.kind, d.status, Transition::Ship).is_ok() {
            // T5 counts from the shipment date, not from when someone looked.
            order_store::ship(tx, &d.id, o.ships_at)?;
            store::audit(
                tx,
                now,
                Some(username),
                "device_shipped",
                &format!("device {} on {}", d.id, o.ships_at.rfc3339()),
            )?;
        }
    }
    for d in store::devices_of(tx, username)? {
        if d.status != DeviceStatus::ReturnShipped {
            continue;
        }
        let Some(r) = order_store::return_of(tx, &d.id)? else {
            continue;
        };
        if now < r.due_at {
            continue;
        }
        if let Ok(to) = device::transition(d.kind, d.status, Transition::Return) {
            store::set_status(tx, &d.id, to)?;
            store::audit(
                tx,
                now,
                Some(username),
                "device_return_received",
                &format!("device {} on {}", d.id, r.due_at.rfc3339()),
            )?;
            settle_deposit(tx, username, &d.id, HoldEvent::Received, r.due_at, now)?;
        }
    }
    Ok(())
}

/// R2: the deposit of `device_id`, if held, moves as `event` says (audited).
fn settle_deposit(
    tx: &Transaction<'_>,
    username: &str,
    device_id: &str,
    event: HoldEvent,
    at: Timestamp,
    now: Timestamp,
) -> StoreResult<Option<HoldRow>> {
    let Some(hold) = order_store::hold_of(tx, device_id)? else {
        return Ok(None);
    };
    let to = settle_hold(hold.status, event);
    if to != hold.status {
        order_store::settle_hold(tx, device_id, to, at)?;
        let event_name = match to {
            HoldStatus::Released => "hold_released",
            HoldStatus::Kept => "hold_kept",
            HoldStatus::Held => "hold_placed",
        };
        store::audit(
            tx,
            now,
            Some(username),
            event_name,
            &format!(
                "{} USD on {} for device {device_id}",
                hold.amount_usd, hold.account
            ),
        )?;
    }
    order_store::hold_of(tx, device_id)
}

/// At a reset: the addresses on file and the deposits the scenario holds.
pub(super) fn load_scenario(
    tx: &Transaction<'_>,
    scenario: &Scenario,
    now: Timestamp,
) -> StoreResult<()> {
    for u in &scenario.users {
        if let Some(a) = &u.address {
            order_store::set_address(tx, &u.username, a)?;
        }
    }
    for d in &scenario.devices {
        if let Some(account) = &d.deposit_account {
            order_store::insert_hold(
                tx,
                &HoldRow {
                    device_id: d.id.clone(),
                    username: d.owner.clone(),
                    account: account.clone(),
                    amount_usd: DEPOSIT_HOLD_USD,
                    status: HoldStatus::Held,
                    placed_at: now,
                    settled_at: None,
                },
            )?;
        }
    }
    Ok(())
}

impl Broker {
    /// O3 and T2: the live portal session of the primary user, with full access.
    fn settings_session(
        &self,
        tx: &Transaction<'_>,
        token: &str,
        now: Timestamp,
    ) -> BrokerResult<SessionRow> {
        let session = self.live_session(tx, &token_hash(token), now)?;
        require_primary(tx, &session)?;
        let device = store::session_device(tx, &session)?;
        if restriction(device.as_ref(), session.channel, now).is_some() {
            return Err(BrokerError::NotPermitted(ONLINE_CARD_ONLY));
        }
        Ok(session)
    }

    /// R1, steps 1–4: the order's details → a summary to check (it replaces any
    /// earlier one: the summary's Back).
    pub fn order_device(
        &self,
        token: &str,
        req: DeviceOrderRequest,
    ) -> BrokerResult<DeviceOrderStep> {
        self.transact(|tx, now, _| {
            let username = self.settings_session(tx, token, now)?.username;
            if req.kind != DeviceKind::DscPlus {
                return Err(BrokerError::BadRequest(format!(
                    "Request Physical Device orders a Digital Security Card+, not a {}.",
                    req.kind.display_name()
                )));
            }
            let account = orderable_account(tx, &username, now)?;
            no_dsc_plus_in_service(tx, &username)?;
            let address = match req.shipping_address {
                Some(a) => a,
                None => order_store::address_of(tx, &username)?
                    .ok_or(BrokerError::InvalidAddress(AddressError::Incomplete))?,
            };
            validate_address(&address).map_err(BrokerError::InvalidAddress)?;
            validate_soft_pin(&req.soft_pin).map_err(BrokerError::InvalidSoftPin)?;
            let deposit_account = req.deposit_account.unwrap_or(account.account.clone());
            if deposit_account != account.account {
                return Err(BrokerError::BadRequest(format!(
                    "The 20 USD deposit is held on one of your accounts: {}.",
                    account.account
                )));
            }
            let ships_at = estimated_shipment(&address, now);
            let order = OrderRow {
                id: format!("ORD-{}", self.codes.hex(6).to_uppercase()),
                username: username.clone(),
                kind: DeviceKind::DscPlus,
                address,
                pin_sha1_hex: hex::encode(ocra::hash_pin(ocra::HashAlgorithm::Sha1, &req.soft_pin)),
                deposit_account,
                created_at: now,
                ships_at,
                device_id: None,
            };
            order_store::put_draft(tx, &order)?;
            store::audit(
                tx,
                now,
                Some(&username),
                "device_order_summary",
                &format!(
                    "order {}: dsc_plus to {}, deposit on {}, ships about {}",
                    order.id,
                    order.address.country,
                    order.deposit_account,
                    date_of(ships_at)
                ),
            )?;
            Ok(DeviceOrderStep::Summary {
                order_id: order.id,
                kind: order.kind,
                shipping_address: order.address,
                deposit_account: order.deposit_account,
                hold_usd: DEPOSIT_HOLD_USD,
                estimated_shipment_date: date_of(ships_at),
                estimated_shipment_at: ships_at.rfc3339(),
                expires_at: now.plus(ORDER_DRAFT_LIFETIME).rfc3339(),
            })
        })
    }

    /// R1, step 5: the summary confirmed — the device is ordered, the deposit held,
    /// the address kept on file. Everything is checked again: the summary may be old.
    pub fn confirm_order(&self, token: &str, order_id: &str) -> BrokerResult<DeviceOrderPlaced> {
        self.transact(|tx, now, _| {
            let username = self.settings_session(tx, token, now)?.username;
            let Some(draft) = order_store::draft(tx, &username, order_id)? else {
                return Err(BrokerError::NoPendingOrder);
            };
            if now >= draft.created_at.plus(ORDER_DRAFT_LIFETIME) {
                order_store::delete_drafts_of(tx, &username)?;
                return Err(BrokerError::NoPendingOrder);
            }
            orderable_account(tx, &username, now)?;
            no_dsc_plus_in_service(tx, &username)?;
            let device_id = loop {
                let n = u32::from_str_radix(&self.codes.hex(4), 16).unwrap_or_default();
                let id = format!("DSCP-{:08}", n % 100_000_000);
                if store::find_device(tx, &id)?.is_none() {
                    break id;
                }
            };
            let kind = DeviceKind::DscPlus;
            let row = DeviceRow {
                secret_hex: random_hex(32),
                pin_sha1_hex: draft.pin_sha1_hex.clone(),
                ..DeviceRow::bare(
                    &device_id,
                    kind,
                    &username,
                    device::issue(kind).map_err(illegal)?,
                )
            };
            store::insert_device(tx, &row)?;
            let ships_at = estimated_shipment(&draft.address, now);
            order_store::place(tx, &draft.id, &device_id, now, ships_at)?;
            order_store::set_address(tx, &username, &draft.address)?;
            let hold = HoldRow {
                device_id: device_id.clone(),
                username: username.clone(),
                account: draft.deposit_account.clone(),
                amount_usd: DEPOSIT_HOLD_USD,
                status: HoldStatus::Held,
                placed_at: now,
                settled_at: None,
            };
            order_store::insert_hold(tx, &hold)?;
            store::audit(
                tx,
                now,
                Some(&username),
                "device_ordered",
                &format!(
                    "order {}: device {device_id}, ships about {}",
                    draft.id,
                    date_of(ships_at)
                ),
            )?;
            store::audit(
                tx,
                now,
                Some(&username),
                "hold_placed",
                &format!(
                    "{DEPOSIT_HOLD_USD} USD on {} for device {device_id}",
                    hold.account
                ),
            )?;
            Ok(DeviceOrderPlaced::Ordered {
                order_id: draft.id,
                device_id,
                kind,
                shipping_address: draft.address,
                estimated_shipment_date: date_of(ships_at),
                estimated_shipment_at: ships_at.rfc3339(),
                auto_activates_within_days: u32::try_from(
                    device::AUTO_ACTIVATION_AFTER.0 / crate::rules::Duration::days(1).0,
                )
                .unwrap_or(21),
                hold: hold_info(hold),
            })
        })
    }

    /// The session user's placed orders, the newest first (any live session; reading
    /// is not activity).
    pub fn device_orders(&self, token: &str) -> BrokerResult<Vec<DeviceOrderInfo>> {
        self.transact(|tx, now, _| {
            let session = self.live_session(tx, &token_hash(token), now)?;
            let mut out = Vec::new();
            for o in order_store::orders_of(tx, &session.username)? {
                let Some(id) = o.device_id else { continue };
                let Some(d) = store::find_device(tx, &id)? else {
                    continue;
                };
                out.push(DeviceOrderInfo {
                    order_id: o.id,
                    device_id: id,
                    kind: o.kind,
                    status: d.status,
                    shipping_address: o.address,
                    ordered_at: o.created_at.rfc3339(),
                    estimated_shipment_date: date_of(o.ships_at),
                    estimated_shipment_at: o.ships_at.rfc3339(),
                });
            }
            Ok(out)
        })
    }

    /// R2: the session user's deposits, oldest first (any live session).
    pub fn holds(&self, token: &str) -> BrokerResult<Vec<DepositHold>> {
        self.transact(|tx, now, _| {
            let session = self.live_session(tx, &token_hash(token), now)?;
            Ok(order_store::holds_of(tx, &session.username)?
                .into_iter()
                .map(hold_info)
                .collect())
        })
    }

    /// R2, R3: the user sends `device_id` back; it shows as received 3–5 business days
    /// later (the scenario's `[returns]`), when its deposit is released. A Security Code
    /// Card is not sent back: it is shredded.
    pub fn return_device(&self, token: &str, device_id: &str) -> BrokerResult<DeviceReturnInfo> {
        self.transact(|tx, now, events| {
            let username = self.settings_session(tx, token, now)?.username;
            let d = own_device(tx, &username, device_id)?;
            if !is_returnable(d.kind) {
                return Err(BrokerError::NotReturnable(d.kind));
            }
            let to = device::transition(d.kind, d.status, Transition::ShipBack).map_err(illegal)?;
            store::set_status(tx, &d.id, to)?;
            for ticket_hash in store::drop_pending_on_device(tx, &d.id)? {
                events.login_moved(ticket_hash);
            }
            let due_at = return_received_at(now, self.scenario.returns.business_days);
            order_store::insert_return(
                tx,
                &username,
                &ReturnRow {
                    device_id: d.id.clone(),
                    shipped_at: now,
                    due_at,
                },
            )?;
            store::audit(
                tx,
                now,
                Some(&username),
                "device_return_shipped",
                &format!("device {}, received on {}", d.id, due_at.rfc3339()),
            )?;
            Ok(DeviceReturnInfo {
                device_id: d.id.clone(),
                kind: d.kind,
                status: to,
                shipped_back_at: Some(now.rfc3339()),
                expected_received_at: Some(due_at.rfc3339()),
                reason: None,
                hold: order_store::hold_of(tx, &d.id)?.map(hold_info),
            })
        })
    }

    /// R2: `device_id` was lost, stolen or damaged (and is not sent back): it serves no
    /// login any more, and its deposit is kept.
    pub fn report_lost(
        &self,
        token: &str,
        device_id: &str,
        reason: LossReason,
    ) -> BrokerResult<DeviceReturnInfo> {
        self.transact(|tx, now, events| {
            let username = self.settings_session(tx, token, now)?.username;
            let d = own_device(tx, &username, device_id)?;
            let to =
                device::transition(d.kind, d.status, Transition::ReportLost).map_err(illegal)?;
            store::set_status(tx, &d.id, to)?;
            for ticket_hash in store::drop_pending_on_device(tx, &d.id)? {
                events.login_moved(ticket_hash);
            }
            store::audit(
                tx,
                now,
                Some(&username),
                "device_reported_lost",
                &format!("device {}: {}", d.id, reason.as_str()),
            )?;
            let hold = settle_deposit(tx, &username, &d.id, HoldEvent::Reported(reason), now, now)?;
            Ok(DeviceReturnInfo {
                device_id: d.id,
                kind: d.kind,
                status: to,
                shipped_back_at: None,
                expected_received_at: None,
                reason: Some(reason),
                hold: hold.map(hold_info),
            })
        })
    }

    /// R2, R4 (QA/operator): `username`'s account closes. Every deposit on it whose
    /// device has not been sent back is kept; one on its way back is released when it
    /// arrives. Closing twice changes nothing more.
    pub fn close_account(&self, username: &str, operator: &str) -> BrokerResult<AccountClosed> {
        self.transact(|tx, now, _| {
            let Some(user) = store::find_user(tx, username)? else {
                return Err(BrokerError::NotFound(format!("user {username}")));
            };
            super::access::settle(tx, &user.username, now)?;
            let Some(account) = order_store::account_of(tx, &user.username)? else {
                return Err(BrokerError::NotFound(format!("account of {username}")));
            };
            if let Some(at) = order_store::account_closed_at(tx, &account.account)? {
                return Ok(AccountClosed {
                    account: account.account,
                    closed_at: at.rfc3339(),
                    holds: Vec::new(),
                });
            }
            order_store::close_account(tx, &account.account, now)?;
            order_store::delete_drafts_of(tx, &user.username)?;
            store::audit(
                tx,
                now,
                Some(&user.username),
                "account_closed",
                &format!("account {} by {operator}", account.account),
            )?;
            let mut kept = Vec::new();
            for h in order_store::held_on_account(tx, &account.account)? {
                let on_its_way_back = store::find_device(tx, &h.device_id)?.is_some_and(|d| {
                    matches!(
                        d.status,
                        DeviceStatus::ReturnShipped | DeviceStatus::Returned
                    )
                });
                if on_its_way_back {
                    continue;
                }
                let event = HoldEvent::AccountClosedWithoutReturn;
                if let Some(h) = settle_deposit(tx, &h.username, &h.device_id, event, now, now)? {
                    kept.push(hold_info(h));
                }
            }
            Ok(AccountClosed {
                account: account.account,
                closed_at: now.rfc3339(),
                holds: kept,
            })
        })
    }
}
