//! The broker's request decoders: every JSON body an endpoint takes, read as the
//! server reads it (JSON, then `server::shaped` into the type), the query strings it
//! takes through serde, the journal's hand-read filter and the `Host` check.
//!
//! Asserts that a body the broker accepts re-encodes to JSON that decodes to the same
//! value, that the server takes whatever serde_json takes from the bytes (and the same
//! value), that a `Host` taken as loopback is one, and that nothing panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mock_broker::server::{is_loopback_host, shaped, JournalFilter, NoFields};
use portcullis_api::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

// No `Debug` bound: bodies that carry secrets (PINs, passwords) do not print.
fn body<T: DeserializeOwned + Serialize + PartialEq>(json: &serde_json::Value, raw: &[u8]) {
    let served = shaped::<T>(json.clone()).ok();
    // The server reads a JSON value first, so a repeated key is the last one there and
    // an error straight from the bytes; otherwise the two agree.
    if let Ok(direct) = serde_json::from_slice::<T>(raw) {
        assert!(
            served.as_ref() == Some(&direct),
            "the server refuses what serde_json takes"
        );
    }
    let Some(value) = served else {
        return;
    };
    let encoded = serde_json::to_vec(&value).expect("a request encodes");
    let decoded: T = serde_json::from_slice(&encoded).expect("an encoded request decodes");
    assert!(decoded == value, "a request re-encoded decodes to another");
}

fn query<T: DeserializeOwned + Serialize + PartialEq + Debug>(q: &str) {
    if let Ok(value) = serde_urlencoded::from_str::<T>(q) {
        let encoded = serde_urlencoded::to_string(&value).expect("a query encodes");
        let decoded: T = serde_urlencoded::from_str(&encoded).expect("an encoded query decodes");
        assert_eq!(decoded, value);
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(json) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = shaped::<NoFields>(json.clone());
        body::<LoginRequest>(&json, data);
        body::<TicketRequest>(&json, data);
        body::<DeviceRequest>(&json, data);
        body::<WaitRequest>(&json, data);
        body::<ResponseRequest>(&json, data);
        body::<OnlineCardActivateRequest>(&json, data);
        body::<ReactivateRequest>(&json, data);
        body::<ReactivateConfirmRequest>(&json, data);
        body::<OptInRequest>(&json, data);
        body::<OrderRequest>(&json, data);
        body::<WithdrawalRequest>(&json, data);
        body::<DepositRequest>(&json, data);
        body::<BankInstructionsRequest>(&json, data);
        body::<EmailRequest>(&json, data);
        body::<RouteFaultRequest>(&json, data);
        body::<ForcedErrorRequest>(&json, data);
        body::<ActivationStartRequest>(&json, data);
        body::<ActivationVerifyRequest>(&json, data);
        body::<ActivationFinishRequest>(&json, data);
        body::<ApproveRequest>(&json, data);
        body::<AdvanceRequest>(&json, data);
        body::<SetClockRequest>(&json, data);
        body::<FaultRequest>(&json, data);
        body::<SettingsRequest>(&json, data);
        body::<DeviceOrderRequest>(&json, data);
        body::<DeviceOrderConfirmRequest>(&json, data);
        body::<ReportLostRequest>(&json, data);
        body::<SharingStartRequest>(&json, data);
        body::<SharingAnswerRequest>(&json, data);
        body::<SharingRejectRequest>(&json, data);
    }
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    query::<AuditQuery>(s);
    query::<PushQuery>(s);
    query::<SmsQuery>(s);
    query::<JournalQuery>(s);
    let _ = JournalFilter::parse(Some(s));
    if is_loopback_host(s) {
        let name = s.rsplit_once(':').map_or(s, |(n, _)| n);
        assert!(
            s.starts_with("[::1]") || name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost"),
            "{s:?} taken as loopback"
        );
    }
});
