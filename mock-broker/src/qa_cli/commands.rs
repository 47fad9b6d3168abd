//! `mock-broker qa`'s requests and what it prints of the answers: a table or a record
//! for people, the answer as JSON with `--json`. `--follow` polls once a second until
//! Ctrl-C; a broker that stops answering meanwhile is waited for, not given up on.

use super::table::{record, Table};
use super::{format_millis, Action};
use crate::operator::QA_TOKEN_ENV;
use portcullis_api::{
    AuditEvent, AuditLog, ClockInfo, DeviceInfo, DeviceProvision, FaultList, FreezeState,
    JournalEntry, JournalQuery, LockoutInfo, ResetDone, RouteFault, Sharing, SmsOutbox,
    TemporaryPasscodeIssued,
};
use portcullis_client::{BrokerClient, Error};
use serde::Serialize;
use std::io::Write;
use std::time::Duration;

/// How often `--follow` asks again.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);
/// How many audit events one `--follow` poll reads back.
const FOLLOW_AUDIT_WINDOW: u32 = 1_000;

/// Sends `action` to the broker at `url` and prints the answer; the error line, if not.
pub(super) fn execute(url: &str, json: bool, action: Action) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("no runtime: {e}"))?;
    let client = BrokerClient::new(url, std::env::var(QA_TOKEN_ENV).ok());
    let out = Out { json };
    runtime.block_on(async {
        match perform(&client, &out, action).await {
            Ok(()) => Ok(()),
            Err(e) => Err(explain(&client, e).await),
        }
    })
}

/// The one line an error becomes: the broker's code and message, or why it could not
/// be asked.
async fn explain(client: &BrokerClient, e: Error) -> String {
    if e.is_connection() {
        return format!(
            "cannot reach the broker at {}: {}",
            client.base(),
            e.message
        );
    }
    if e.code == "not_found" && client.qa_enabled().await == Ok(false) {
        return format!(
            "qa_disabled: the broker at {} runs without --qa, so it has no QA controls",
            client.base()
        );
    }
    format!("{}: {}", e.code, e.message)
}

struct Out {
    json: bool,
}

impl Out {
    /// `value` as JSON, or what `human` makes of it.
    fn show<T: Serialize>(&self, value: &T, human: impl FnOnce(&T) -> String) {
        let text = if self.json {
            serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
        } else {
            human(value)
        };
        print_now(&text);
    }
}

fn print_now(text: &str) {
    let mut stdout = std::io::stdout().lock();
    // A closed pipe (`| head`) ends the output, not the command with a panic.
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

async fn perform(client: &BrokerClient, out: &Out, action: Action) -> Result<(), Error> {
    match action {
        Action::Clock => out.show(&client.clock().await?, clock),
        Action::Advance { seconds } => out.show(&client.advance_clock(seconds).await?, clock),
        Action::SetClock { unix_seconds } => {
            out.show(&client.set_clock(unix_seconds).await?, clock)
        }
        Action::Reset => {
            client.reset().await?;
            out.show(&ResetDone::Reset, |_| {
                "reset: back to the scenario (clock at real time, journal and faults cleared)\n"
                    .into()
            });
        }
        Action::Unlock(user) => out.show(&client.unlock(&user).await?, lockout),
        Action::RouteFault(rule) => out.show(&client.add_route_fault(&rule).await?, |r| {
            route_faults(std::slice::from_ref(r))
        }),
        Action::PhoneFault(fault) => out.show(&client.set_phone_fault(&fault).await?, phone_faults),
        Action::RemoveFault(id) => out.show(&client.remove_route_fault(id).await?, |r| {
            format!("lifted:\n{}", route_faults(std::slice::from_ref(r)))
        }),
        Action::Faults => {
            let all = AllFaults {
                rules: client.route_faults().await?.rules,
                faults: client.phone_faults().await?.faults,
            };
            out.show(&all, all_faults);
        }
        Action::ClearFaults => {
            let rules = client.clear_route_faults().await?.rules;
            let faults = client
                .set_phone_fault(&portcullis_api::FaultRequest {
                    device_id: None,
                    mode: "none".into(),
                    delay_ms: 0,
                })
                .await?
                .faults;
            out.show(&AllFaults { rules, faults }, all_faults);
        }
        Action::Freeze => out.show(&client.freeze().await?, freeze),
        Action::Thaw => out.show(&client.thaw().await?, freeze),
        Action::Sms(number) => out.show(&client.sms(number.as_deref()).await?, sms),
        Action::Audit {
            user,
            limit,
            follow,
        } => audit(client, out, user.as_deref(), limit, follow).await?,
        Action::Journal { query, follow } => journal(client, out, query, follow).await?,
        Action::Provision(device) => out.show(&client.provision(&device).await?, provision),
        Action::TempPasscode(user) => out.show(
            &client.issue_temporary_passcode(&user).await?,
            temporary_passcode,
        ),
        Action::Activate(device) => out.show(&client.activate_device(&device).await?, device_info),
        Action::ApproveSharing(id) => out.show(&client.approve_sharing(&id).await?, sharing),
        Action::RejectSharing { id, reason } => out.show(
            &client.reject_sharing(&id, reason.as_deref()).await?,
            sharing,
        ),
    }
    Ok(())
}

fn clock(c: &ClockInfo) -> String {
    record(&[
        ("now", c.now.clone()),
        (
            "offset",
            // Whole seconds: the milliseconds of a clock set by hand are noise here.
            format!(
                "{} ahead of real time",
                format_millis(c.offset_ms / 1000 * 1000)
            ),
        ),
    ])
}

fn lockout(l: &LockoutInfo) -> String {
    record(&[
        ("user", l.username.clone()),
        ("locked", l.locked.to_string()),
        ("locked_until", l.locked_until.clone().unwrap_or("-".into())),
        ("failures", l.failures_in_window.to_string()),
    ])
}

/// `fault list` and `fault clear`: the broker's route faults and K4's phone faults.
#[derive(Serialize)]
struct AllFaults {
    rules: Vec<RouteFault>,
    faults: Vec<portcullis_api::FaultInfo>,
}

fn all_faults(all: &AllFaults) -> String {
    let phones = FaultList {
        faults: all.faults.clone(),
    };
    format!(
        "routes:\n{}phones:\n{}",
        route_faults(&all.rules),
        phone_faults(&phones)
    )
}

fn route_faults(rules: &[RouteFault]) -> String {
    let mut t = Table::new(&[
        "ID", "METHOD", "ROUTE", "DELAY", "ERROR", "TIMES", "APPLIED",
    ]);
    for r in rules {
        t.row(vec![
            r.id.to_string(),
            r.method.clone().unwrap_or("any".into()),
            r.route.clone(),
            delay(r.delay_ms),
            r.error
                .as_ref()
                .map_or("-".into(), |e| format!("{}:{}", e.status, e.code)),
            r.times.map_or("until lifted".into(), |n| n.to_string()),
            r.applied.to_string(),
        ]);
    }
    t.take("(no route faults)")
}

fn phone_faults(list: &FaultList) -> String {
    let mut t = Table::new(&["DEVICE", "MODE", "DELAY"]);
    for f in &list.faults {
        let target = if f.target == "*" {
            "every device".into()
        } else {
            f.target.clone()
        };
        t.row(vec![target, f.mode.clone(), delay(f.delay_ms)]);
    }
    t.take("(no phone faults)")
}

fn delay(ms: u64) -> String {
    match ms {
        0 => "-".into(),
        ms => format_millis(i64::try_from(ms).unwrap_or(i64::MAX)),
    }
}

fn freeze(f: &FreezeState) -> String {
    let state = if f.frozen { "frozen" } else { "thawed" };
    format!("{state} ({} requests waiting)\n", f.waiting)
}

fn sms(outbox: &SmsOutbox) -> String {
    let mut t = Table::new(&["ID", "AT", "NUMBER", "TEXT"]);
    for m in &outbox.messages {
        t.row(vec![
            m.id.to_string(),
            m.at.clone(),
            m.number.clone(),
            m.body.clone(),
        ]);
    }
    t.take("(no text messages)")
}

fn provision(p: &DeviceProvision) -> String {
    let mut text = record(&[
        ("id", p.id.clone()),
        ("kind", p.kind.as_str().into()),
        ("owner", p.owner.clone()),
        ("suite", dash(&p.suite)),
        ("secret_hex", dash(&p.secret_hex)),
    ]);
    if let Some(grid) = &p.grid {
        // D7: rows by the index's first digit, columns by its second, as on the card.
        let mut t = Table::new(&["", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
        for (row, codes) in grid.chunks(10).enumerate() {
            let mut cells = vec![format!("{row}0")];
            cells.extend(codes.iter().cloned());
            t.row(cells);
        }
        text.push_str("grid\n");
        text.push_str(&t.take(""));
    }
    text
}

fn dash(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_owned()
    }
}

fn temporary_passcode(t: &TemporaryPasscodeIssued) -> String {
    record(&[
        ("user", t.username.clone()),
        ("device", t.device_id.clone()),
        ("passcode", t.passcode.clone()),
        ("full_access_until", t.full_access_until.clone()),
        ("portal_until", t.portal_until.clone()),
    ])
}

fn device_info(d: &DeviceInfo) -> String {
    record(&[
        ("id", d.id.clone()),
        ("kind", d.kind.as_str().into()),
        ("owner", d.owner.clone()),
        ("status", d.status.as_str().into()),
    ])
}

fn sharing(s: &Sharing) -> String {
    let status = serde_json::to_value(s.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    record(&[
        ("sharing", s.id.clone()),
        ("requester", s.requester.clone()),
        ("owner", s.owner.clone()),
        ("device", s.device_id.clone()),
        ("status", status),
    ])
}

/// The audit log; with `follow`, then every new event (ids only grow) until Ctrl-C.
async fn audit(
    client: &BrokerClient,
    out: &Out,
    user: Option<&str>,
    limit: u32,
    follow: bool,
) -> Result<(), Error> {
    let mut t = Table::new(&["ID", "AT", "USER", "EVENT", "DETAIL"]);
    let mut last = 0;
    let mut events = client.audit(user, limit).await?;
    loop {
        let fresh: Vec<&AuditEvent> = events.iter().filter(|e| e.id > last).collect();
        last = fresh.last().map_or(last, |e| e.id);
        if out.json && follow {
            for e in &fresh {
                print_now(&(serde_json::to_string(e).unwrap_or_default() + "\n"));
            }
        } else if out.json {
            out.show(&AuditLog { events }, |_| String::new());
            return Ok(());
        } else {
            for e in fresh {
                t.row(vec![
                    e.id.to_string(),
                    e.at.clone(),
                    e.username.clone().unwrap_or("-".into()),
                    e.event.clone(),
                    e.detail.clone(),
                ]);
            }
            print_now(&t.take("(no audit events yet)"));
        }
        if !follow {
            return Ok(());
        }
        events = next_poll(|| client.audit(user, FOLLOW_AUDIT_WINDOW)).await?;
    }
}

/// The journal; with `follow`, then every new entry (from `next_seq`) until Ctrl-C.
async fn journal(
    client: &BrokerClient,
    out: &Out,
    mut query: JournalQuery,
    follow: bool,
) -> Result<(), Error> {
    let mut t = Table::new(&[
        "SEQ", "AT", "METHOD", "ROUTE", "STATUS", "CODE", "USER", "MS", "FAULT",
    ]);
    let mut page = client.journal(&query).await?;
    loop {
        if out.json && follow {
            for e in &page.entries {
                print_now(&(serde_json::to_string(e).unwrap_or_default() + "\n"));
            }
        } else if out.json {
            out.show(&page, |_| String::new());
        } else {
            for e in &page.entries {
                t.row(journal_row(e));
            }
            print_now(&t.take("(no requests journalled yet)"));
        }
        if !follow {
            return Ok(());
        }
        query.since_seq = Some(page.next_seq);
        page = next_poll(|| client.journal(&query)).await?;
    }
}

fn journal_row(e: &JournalEntry) -> Vec<String> {
    let fault = match (e.fault_id, e.frozen_ms) {
        (Some(id), 0) => format!("rule {id}"),
        (Some(id), ms) => format!("rule {id}, frozen {}", delay(ms)),
        (None, 0) => "-".into(),
        (None, ms) => format!("frozen {}", delay(ms)),
    };
    vec![
        e.seq.to_string(),
        e.at.clone(),
        e.method.clone(),
        e.route.clone(),
        e.status.to_string(),
        e.code.clone(),
        e.user.clone().unwrap_or("-".into()),
        e.elapsed_ms.to_string(),
        fault,
    ]
}

/// The next `--follow` poll, a second on; while the broker cannot be reached, says so
/// once and keeps asking. A refusal ends the command.
async fn next_poll<T, F, Fut>(mut ask: F) -> Result<T, Error>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let mut told = false;
    loop {
        tokio::time::sleep(FOLLOW_EVERY).await;
        match ask().await {
            Err(e) if e.is_connection() => {
                if !told {
                    eprintln!("waiting for the broker: {}", e.message);
                    told = true;
                }
            }
            answer => return answer,
        }
    }
}
