//! The account home (issue 9): the account as its user sees it, and what the user does
//! with it — orders, withdrawals, deposits, bank-instruction and email changes —
//! checked against O1's restrictions and D2's limits, recorded and audited. A refusal
//! is audited and committed like any other outcome. Nothing is booked: equity stays
//! as the scenario says (no cash ledger, no matching, no market data).

use super::{access, token_hash, Broker, BrokerResult};
use crate::error::BrokerError;
use crate::rules::account::{
    ach_eft_funding, check_deposit, check_order, check_profile_change, check_withdrawal,
    restrictions, usage, valid_amount, valid_symbol, Restricted, Used, WINDOW_BUSINESS_DAYS,
};
use crate::rules::time::business_days_window_start;
use crate::rules::Timestamp;
use crate::store::account::{self as account_store, Entity, Movement};
use crate::store::replacement as order_store;
use crate::store::{self, SessionRow, UserRow};
use portcullis_api::{
    AccountInfo, AccountRef, BankInstructionsRequest, DepositMade, DepositMethod, EntityRef,
    Market, OrderPlaced, OrderRequest, OrderSide, ProfileField, ProfileUpdated, SessionRestriction,
    WithdrawalMade, WithdrawalUsage,
};
use rusqlite::Transaction;

/// A live session that may act (not only read): T2's `online_card_only` portal session
/// obtains the online card and nothing else.
pub(super) fn acting_session(
    broker: &Broker,
    tx: &Transaction<'_>,
    hash: &str,
    now: Timestamp,
) -> BrokerResult<SessionRow> {
    let session = broker.live_session(tx, hash, now)?;
    let device = store::session_device(tx, &session)?;
    match access::restriction(device.as_ref(), session.channel, now) {
        None => Ok(session),
        Some(SessionRestriction::OnlineCardOnly) => Err(BrokerError::NotPermitted(
            "This session may only print or save the online security code card.",
        )),
    }
}

/// The session's user and their entity.
fn holder(tx: &Transaction<'_>, session: &SessionRow) -> BrokerResult<(UserRow, Entity)> {
    let user = store::find_user(tx, &session.username)?.ok_or(BrokerError::InvalidSession)?;
    let entity = account_store::entity(tx, &user.entity)?
        .ok_or_else(|| store::StoreError::Corrupt(format!("entity of {}", user.username)))?;
    Ok((user, entity))
}

/// D2: what `username` withdrew today (UTC) and in the 5 business days ending today.
fn used(tx: &Transaction<'_>, username: &str, now: Timestamp) -> BrokerResult<Used> {
    Ok(Used {
        today: account_store::withdrawn_between(tx, username, now.start_of_utc_day(), now)?,
        window: account_store::withdrawn_between(
            tx,
            username,
            business_days_window_start(now, WINDOW_BUSINESS_DAYS),
            now,
        )?,
    })
}

fn withdrawal_usage(
    tx: &Transaction<'_>,
    username: &str,
    now: Timestamp,
) -> BrokerResult<WithdrawalUsage> {
    let limits = access::limits_of(tx, username)?;
    Ok(usage(&limits, used(tx, username, now)?))
}

fn amount_ok(amount: u64) -> BrokerResult<()> {
    if valid_amount(amount) {
        return Ok(());
    }
    Err(BrokerError::BadRequest(
        "amount_usd is a whole number of USD from 1 to 1,000,000,000,000.".into(),
    ))
}

/// O1: a refusal, audited as `event`, answered as `restricted`.
fn refuse(
    tx: &Transaction<'_>,
    now: Timestamp,
    username: &str,
    event: &str,
    detail: &str,
    why: Restricted,
) -> BrokerResult<BrokerError> {
    store::audit(tx, now, Some(username), event, detail)?;
    Ok(BrokerError::Restricted(why))
}

fn side_name(side: OrderSide) -> &'static str {
    match side {
        OrderSide::Buy => "buy",
        OrderSide::Sell => "sell",
    }
}

fn market_name(market: Market) -> &'static str {
    match market {
        Market::Listed => "listed",
        Market::PinkSheet => "pink_sheet",
        Market::Otcbb => "otcbb",
    }
}

fn method_name(method: DepositMethod) -> &'static str {
    match method {
        DepositMethod::Ach => "ach",
        DepositMethod::Eft => "eft",
        DepositMethod::Wire => "wire",
    }
}

impl Broker {
    /// `GET /v1/account`: any live session reads it (T2's limited one too); reading is
    /// not activity.
    pub fn account(&self, token: &str) -> BrokerResult<AccountInfo> {
        self.transact(|tx, now, _| {
            let session = self.live_session(tx, &token_hash(token), now)?;
            let (user, entity) = holder(tx, &session)?;
            let primary_username = match user.is_primary {
                true => Some(user.username.clone()),
                false => account_store::primary_user_of(tx, &entity.id)?,
            };
            let limits = access::limits_of(tx, &user.username)?;
            let withdrawals = usage(&limits, used(tx, &user.username, now)?);
            let ach_eft = ach_eft_funding(
                entity.opted_out,
                account_store::ach_eft_total(tx, &entity.id)?,
            );
            let shipping_address = order_store::address_of(tx, &user.username)?;
            Ok(AccountInfo {
                shipping_address,
                username: user.username,
                full_name: user.full_name,
                primary: user.is_primary,
                primary_username,
                entity: EntityRef {
                    id: entity.id,
                    name: entity.name,
                },
                account: AccountRef {
                    account: entity.account,
                    equity_usd: u64::try_from(entity.equity_usd).unwrap_or(0),
                },
                opted_out: entity.opted_out,
                restrictions: restrictions(entity.opted_out),
                limits,
                withdrawals,
                ach_eft,
            })
        })
    }

    /// `POST /v1/orders`: O1 only — an opted-out account's order in a Pink Sheet or
    /// OTCBB symbol is refused; any other is accepted and recorded.
    pub fn place_order(&self, token: &str, req: &OrderRequest) -> BrokerResult<OrderPlaced> {
        let symbol = req.symbol.trim().to_ascii_uppercase();
        if !valid_symbol(&symbol) {
            return Err(BrokerError::BadRequest(
                "symbol is 1-12 letters, digits and dots, starting with a letter.".into(),
            ));
        }
        if req.quantity == 0 || req.quantity > 1_000_000_000 {
            return Err(BrokerError::BadRequest(
                "quantity is a whole number from 1 to 1,000,000,000.".into(),
            ));
        }
        let market = self.scenario.market_of(&symbol);
        self.transact(|tx, now, _| {
            let session = acting_session(self, tx, &token_hash(token), now)?;
            let (user, entity) = holder(tx, &session)?;
            let Some(market) = market else {
                return Err(BrokerError::NotFound(format!("symbol {symbol}")));
            };
            let what = format!(
                "{} {} {symbol} ({})",
                side_name(req.side),
                req.quantity,
                market_name(market)
            );
            if let Err(why) = check_order(entity.opted_out, market) {
                let detail = format!("{what}: opted out (O1)");
                return Err(refuse(
                    tx,
                    now,
                    &user.username,
                    "order_refused",
                    &detail,
                    why,
                )?);
            }
            let id = format!("ORD-{}", self.codes.hex(6).to_uppercase());
            account_store::insert_order(
                tx,
                &account_store::Order {
                    id: &id,
                    username: &user.username,
                    entity: &entity.id,
                    symbol: &symbol,
                    market: market_name(market),
                    side: side_name(req.side),
                    quantity: req.quantity,
                    at: now,
                },
            )?;
            store::audit(
                tx,
                now,
                Some(&user.username),
                "order_placed",
                &format!("{id}: {what}"),
            )?;
            Ok(OrderPlaced::Accepted {
                order_id: id,
                symbol,
                market,
                side: req.side,
                quantity: req.quantity,
                placed_at: now.rfc3339(),
            })
        })
    }

    /// `POST /v1/withdrawals`: D2 against the user's limits now (O1: the `none` row
    /// while opted out), per UTC day and per the 5 business days ending today.
    pub fn withdraw(&self, token: &str, amount_usd: u64) -> BrokerResult<WithdrawalMade> {
        amount_ok(amount_usd)?;
        self.transact(|tx, now, _| {
            let session = acting_session(self, tx, &token_hash(token), now)?;
            let (user, entity) = holder(tx, &session)?;
            let limits = access::limits_of(tx, &user.username)?;
            let before = used(tx, &user.username, now)?;
            if let Err(which) = check_withdrawal(&limits, before, amount_usd) {
                let usage = usage(&limits, before);
                store::audit(
                    tx,
                    now,
                    Some(&user.username),
                    "withdrawal_refused",
                    &format!(
                        "{amount_usd} USD: over the {which:?} limit ({:?} row)",
                        limits.row
                    ),
                )?;
                return Err(BrokerError::LimitExceeded { which, usage });
            }
            let id = format!("WDR-{}", self.codes.hex(6).to_uppercase());
            account_store::insert_withdrawal(
                tx,
                &Movement {
                    id: &id,
                    username: &user.username,
                    entity: &entity.id,
                    amount_usd,
                    at: now,
                },
            )?;
            store::audit(
                tx,
                now,
                Some(&user.username),
                "withdrawal_made",
                &format!("{id}: {amount_usd} USD ({:?} row)", limits.row),
            )?;
            Ok(WithdrawalMade::Accepted {
                withdrawal_id: id,
                amount_usd,
                at: now.rfc3339(),
                withdrawals: withdrawal_usage(tx, &user.username, now)?,
            })
        })
    }

    /// `POST /v1/deposits`: O1 caps ACH and EFT at 20,000 USD in all while opted out.
    pub fn deposit(
        &self,
        token: &str,
        method: DepositMethod,
        amount_usd: u64,
    ) -> BrokerResult<DepositMade> {
        amount_ok(amount_usd)?;
        self.transact(|tx, now, _| {
            let session = acting_session(self, tx, &token_hash(token), now)?;
            let (user, entity) = holder(tx, &session)?;
            let so_far = account_store::ach_eft_total(tx, &entity.id)?;
            let what = format!("{amount_usd} USD by {}", method_name(method));
            if let Err(why) = check_deposit(entity.opted_out, method, so_far, amount_usd) {
                let detail = format!("{what}: opted out, {so_far} USD by ACH/EFT so far (O1)");
                return Err(refuse(
                    tx,
                    now,
                    &user.username,
                    "deposit_refused",
                    &detail,
                    why,
                )?);
            }
            let id = format!("DEP-{}", self.codes.hex(6).to_uppercase());
            let movement = Movement {
                id: &id,
                username: &user.username,
                entity: &entity.id,
                amount_usd,
                at: now,
            };
            account_store::insert_deposit(tx, &movement, method_name(method))?;
            store::audit(
                tx,
                now,
                Some(&user.username),
                "deposit_made",
                &format!("{id}: {what}"),
            )?;
            Ok(DepositMade::Accepted {
                deposit_id: id,
                method,
                amount_usd,
                at: now.rfc3339(),
                ach_eft: ach_eft_funding(
                    entity.opted_out,
                    account_store::ach_eft_total(tx, &entity.id)?,
                ),
            })
        })
    }

    /// `POST /v1/settings/bank-instructions`: refused while opted out (O1).
    pub fn change_bank_instructions(
        &self,
        token: &str,
        req: &BankInstructionsRequest,
    ) -> BrokerResult<ProfileUpdated> {
        let bank = req.bank_name.trim();
        let number = req.account_number.trim();
        if bank.is_empty() || bank.chars().count() > 100 {
            return Err(BrokerError::BadRequest(
                "bank_name is 1-100 characters.".into(),
            ));
        }
        let number_ok =
            (4..=34).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_alphanumeric());
        if !number_ok {
            return Err(BrokerError::BadRequest(
                "account_number is 4-34 letters and digits, no spaces.".into(),
            ));
        }
        // Kept masked: the last four characters are enough to recognise it.
        let kept = format!("{bank}, account ending {}", &number[number.len() - 4..]);
        self.change_profile(token, ProfileField::BankInstructions, &kept)
    }

    /// `POST /v1/settings/email`: refused while opted out (O1).
    pub fn change_email(&self, token: &str, email: &str) -> BrokerResult<ProfileUpdated> {
        let email = email.trim();
        let plausible = email.len() <= 254
            && email.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty() && domain.contains('.') && !domain.contains('@')
            })
            && !email.chars().any(char::is_whitespace);
        if !plausible {
            return Err(BrokerError::BadRequest(
                "email is an address like name@example.com.".into(),
            ));
        }
        self.change_profile(token, ProfileField::Email, email)
    }

    fn change_profile(
        &self,
        token: &str,
        field: ProfileField,
        kept: &str,
    ) -> BrokerResult<ProfileUpdated> {
        let name = match field {
            ProfileField::BankInstructions => "bank_instructions",
            ProfileField::Email => "email",
        };
        self.transact(|tx, now, _| {
            let session = acting_session(self, tx, &token_hash(token), now)?;
            let (user, entity) = holder(tx, &session)?;
            if let Err(why) = check_profile_change(entity.opted_out, field) {
                let detail = format!("{name}: opted out (O1)");
                return Err(refuse(
                    tx,
                    now,
                    &user.username,
                    "profile_change_refused",
                    &detail,
                    why,
                )?);
            }
            account_store::insert_profile_change(tx, &user.username, &entity.id, name, kept, now)?;
            // The value stays out of the audit log.
            store::audit(
                tx,
                now,
                Some(&user.username),
                &format!("{name}_changed"),
                "",
            )?;
            Ok(ProfileUpdated::Updated {
                field,
                at: now.rfc3339(),
            })
        })
    }
}
