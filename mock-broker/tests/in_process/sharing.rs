//! Sharing one device between usernames (S1–S6), as the sharing article walks it: the
//! requesting user on the Client Portal enters the owner's credentials, answers the
//! owner's device's security element, reviews and confirms; most requests are approved
//! at once, some wait for Compliance; the redundant devices go inactive, and cancelling
//! reactivates them. Every S1/S2 condition alone and combined, with the article's errors.

use crate::util::{card_answer, card_response, Answer, TestBroker, MINUTE, PASSWORD};
use axum::http::{Method, StatusCode};
use mock_broker::scenario::Scenario;
use serde_json::{json, Value};

/// The DSC+ cards of the demo's sharing users (and of the test scenarios below).
const CARDS: &[(&str, &str, &str)] = &[
    (
        "DSCP-40511001",
        "4c6f776541647669736f722d445343502d6b65792d3030303030303030303031",
        "1379",
    ),
    (
        "DSCP-40511002",
        "4c6f7765495241445343502d6b65792d30303030303030303030303030303032",
        "1379",
    ),
    ("DSCP-REQ", TEST_SECRET, "1111"),
    ("DSCP-OWN", TEST_SECRET, "1111"),
];
const TEST_SECRET: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const PASSCODES: &[(&str, &str)] = &[("TMP-NASH0001", "NASHDAY1"), ("TMP-REQ", "REQDAY01")];

pub(crate) const ADVISOR_DSC: &str = "DSCP-40511001";
const LOWE_CARD: &str = "SCC-20480011";

/// What `device_id` answers to the second factor (or security element) `step`.
async fn answer_for(b: &TestBroker, device_id: &str, step: &Value) -> String {
    match step["method"].as_str() {
        Some("challenge") => {
            let (_, secret, pin) = CARDS
                .iter()
                .find(|c| c.0 == device_id)
                .unwrap_or_else(|| panic!("no card {device_id}"));
            card_response(
                secret,
                pin,
                step["challenge"].as_str().expect("a challenge"),
            )
        }
        Some("index_card") => card_answer(&b.grid(device_id).await, step),
        Some("temporary_passcode") => PASSCODES
            .iter()
            .find(|p| p.0 == device_id)
            .unwrap_or_else(|| panic!("no passcode {device_id}"))
            .1
            .to_owned(),
        other => panic!("no answer for {other:?}: {step}"),
    }
}

/// A session for `username` on `channel`, through `device` (or password only).
pub(crate) async fn session(
    b: &TestBroker,
    username: &str,
    channel: &str,
    device: Option<&str>,
) -> String {
    let mut body = json!({ "username": username, "password": PASSWORD, "channel": channel });
    if let Some(id) = device {
        body["device_id"] = json!(id);
    }
    let step = b.post("/v1/login", body).await;
    assert_eq!(step.status, StatusCode::OK, "{step:?}");
    if step.str("status") == "authenticated" {
        return step.str("token").to_owned();
    }
    let device_id = step.str("device_id").to_owned();
    let typed = answer_for(b, &device_id, &step.body).await;
    let opened = b.respond(step.str("ticket"), &typed).await;
    assert_eq!(opened.status, StatusCode::OK, "{opened:?}");
    opened.str("token").to_owned()
}

async fn start(b: &TestBroker, token: &str, owner: &str, password: &str) -> Answer {
    b.with_token(
        Method::POST,
        "/v1/sharing/start",
        token,
        Some(json!({ "owner_username": owner, "owner_password": password })),
    )
    .await
}

pub(crate) async fn step(b: &TestBroker, token: &str, id: &str, what: &str, body: Value) -> Answer {
    b.with_token(
        Method::POST,
        &format!("/v1/sharing/{id}/{what}"),
        token,
        Some(body),
    )
    .await
}

/// Steps 6–8: start, answer the owner's device; the review.
pub(crate) async fn reviewed(b: &TestBroker, token: &str, owner: &str) -> Answer {
    let asked = start(b, token, owner, PASSWORD).await;
    assert_eq!(asked.status, StatusCode::OK, "{asked:?}");
    let typed = answer_for(b, asked.str("device_id"), &asked.body).await;
    let review = step(
        b,
        token,
        asked.str("sharing_id"),
        "answer",
        json!({ "response": typed }),
    )
    .await;
    assert_eq!(review.status, StatusCode::OK, "{review:?}");
    review
}

/// Steps 6–9: the sharing as confirmed.
pub(crate) async fn shared(b: &TestBroker, token: &str, owner: &str) -> Answer {
    let review = reviewed(b, token, owner).await;
    let done = step(b, token, review.str("sharing_id"), "confirm", json!({})).await;
    assert_eq!(done.status, StatusCode::OK, "{done:?}");
    done
}

pub(crate) async fn audited(b: &TestBroker, username: &str, event: &str) -> Vec<String> {
    let log = b.get(&format!("/qa/audit?username={username}")).await;
    log.body["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["event"] == event)
        .map(|e| e["detail"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub(crate) async fn sharings(b: &TestBroker, token: &str) -> Vec<Value> {
    let list = b.with_token(Method::GET, "/v1/sharing", token, None).await;
    assert_eq!(list.status, StatusCode::OK, "{list:?}");
    list.body["sharings"].as_array().expect("a list").clone()
}

#[tokio::test]
async fn s3_s6_a_share_approved_at_once_answers_the_requesting_users_logins() {
    let b = TestBroker::demo();
    let token = session(&b, "lowe", "portal", None).await;

    let asked = start(&b, &token, "loweadvisor", PASSWORD).await;
    assert_eq!(asked.status, StatusCode::OK, "{asked:?}");
    assert_eq!(
        (asked.str("device_id"), asked.str("method")),
        (ADVISOR_DSC, "challenge"),
        "step 7: the owner's DSC+ is asked a challenge code"
    );
    assert_eq!(asked.body["expires_in_seconds"], 300, "C4's 5 minutes");
    let typed = answer_for(&b, ADVISOR_DSC, &asked.body).await;
    let id = asked.str("sharing_id").to_owned();
    let review = step(&b, &token, &id, "answer", json!({ "response": typed })).await;
    assert_eq!(review.status, StatusCode::OK, "{review:?}");
    assert_eq!(
        review.body["device"],
        json!({"id": ADVISOR_DSC, "kind": "dsc_plus"})
    );
    assert_eq!(
        review.body["devices_set_aside"],
        json!([{"id": LOWE_CARD, "kind": "security_code_card"}]),
        "S6: the review says which devices become redundant"
    );
    assert_eq!(
        b.device(LOWE_CARD).await["status"],
        "active",
        "not before confirming"
    );

    let done = step(&b, &token, &id, "confirm", json!({})).await;
    assert_eq!(done.status, StatusCode::OK, "{done:?}");
    assert_eq!(
        done.str("status"),
        "approved",
        "S4: most are approved at once"
    );
    assert_eq!(done.body["devices_set_aside"], json!([LOWE_CARD]));
    assert_eq!(
        b.device(LOWE_CARD).await["status"],
        "inactive",
        "S6: kept inactive"
    );

    let login = b.login_on("lowe", "trading").await;
    assert_eq!(
        (login.str("device_id"), login.str("method")),
        (ADVISOR_DSC, "challenge"),
        "the shared device answers lowe's logins: {login:?}"
    );
    let typed = answer_for(&b, ADVISOR_DSC, &login.body).await;
    let opened = b.respond(login.str("ticket"), &typed).await;
    assert_eq!(opened.status, StatusCode::OK, "{opened:?}");
    assert_eq!(opened.body["session"]["device_id"], ADVISOR_DSC);
    assert_eq!(
        opened.body["session"]["limits"]["row"], "dsc_plus",
        "D2: the shared device sets lowe's limits"
    );
    let mine = b.with_token(Method::GET, "/v1/devices", &token, None).await;
    assert!(
        mine.body["devices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == ADVISOR_DSC && d["owner"] == "loweadvisor"),
        "lowe's device list shows the shared device, with its owner: {mine:?}"
    );
    let owner = session(&b, "loweadvisor", "portal", None).await;
    let theirs = sharings(&b, &owner).await;
    assert_eq!(theirs.len(), 1, "the owner sees the sharing too");
    assert_eq!(
        (
            theirs[0]["requester"].as_str(),
            theirs[0]["status"].as_str()
        ),
        (Some("lowe"), Some("approved"))
    );
    for event in [
        "sharing_started",
        "sharing_answered",
        "sharing_approved",
        "device_deactivated",
    ] {
        assert_eq!(
            audited(&b, "lowe", event).await.len(),
            1,
            "{event} audited once"
        );
    }
}

#[tokio::test]
async fn s6_cancelling_reactivates_the_devices_set_aside() {
    let b = TestBroker::demo();
    let token = session(&b, "lowe", "portal", None).await;
    let done = shared(&b, &token, "loweadvisor").await;
    let id = done.str("id").to_owned();

    let cancelled = step(&b, &token, &id, "cancel", json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:?}");
    assert_eq!(cancelled.str("status"), "cancelled");
    assert_eq!(
        b.device(LOWE_CARD).await["status"],
        "active",
        "S6: reactivated"
    );
    assert_eq!(
        b.device(ADVISOR_DSC).await["status"],
        "active",
        "the owner keeps the device"
    );
    let login = b.login_on("lowe", "trading").await;
    assert_eq!(
        (login.str("device_id"), login.str("method")),
        (LOWE_CARD, "index_card"),
        "the shared device no longer answers lowe: {login:?}"
    );
    let again = step(&b, &token, &id, "cancel", json!({})).await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "wrong_stage")
    );
    assert_eq!(audited(&b, "lowe", "sharing_cancelled").await.len(), 1);
}

#[tokio::test]
async fn s4_a_flagged_request_waits_for_compliance() {
    let b = TestBroker::demo();
    let token = session(&b, "loweira", "portal", None).await;
    let done = shared(&b, &token, "loweadvisor").await;
    assert_eq!(done.str("status"), "pending_compliance", "{done:?}");
    let id = done.str("id").to_owned();
    assert_eq!(
        b.device("DSCP-40511002").await["status"],
        "active",
        "S4: nothing is enforced while pending"
    );
    let login = b.login_on("loweira", "trading").await;
    assert_eq!(
        login.str("device_id"),
        "DSCP-40511002",
        "only her own device: {login:?}"
    );

    let approved = b
        .post(&format!("/qa/sharing/{id}/approve"), json!({}))
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{approved:?}");
    assert_eq!(approved.str("status"), "approved");
    assert_eq!(b.device("DSCP-40511002").await["status"], "inactive", "S6");
    let login = b.login_on("loweira", "trading").await;
    assert_eq!(login.str("device_id"), ADVISOR_DSC, "{login:?}");
    let twice = b
        .post(&format!("/qa/sharing/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        (twice.status, twice.code()),
        (StatusCode::CONFLICT, "wrong_stage")
    );
    let nothing = b.post("/qa/sharing/SHR-NOPE/approve", json!({})).await;
    assert_eq!(nothing.code(), "not_found");
    assert!(audited(&b, "loweira", "sharing_approved").await[0].contains("compliance (QA)"));
}

#[tokio::test]
async fn s4_a_pending_request_cancelled_reactivates_nothing() {
    let b = TestBroker::demo();
    let token = session(&b, "loweira", "portal", None).await;
    let id = shared(&b, &token, "loweadvisor").await.str("id").to_owned();
    let cancelled = step(&b, &token, &id, "cancel", json!({})).await;
    assert_eq!(cancelled.str("status"), "cancelled", "{cancelled:?}");
    let late = b
        .post(&format!("/qa/sharing/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        late.code(),
        "wrong_stage",
        "Compliance cannot approve a cancelled request"
    );
    assert_eq!(b.device("DSCP-40511002").await["status"], "active");
}

/// Each demo pair refused, with the article's error, and nothing changed.
async fn refused(b: &TestBroker, requester: &str, device: Option<&str>, owner: &str, code: &str) {
    let token = session(b, requester, "portal", device).await;
    let before = b.get("/qa/devices").await.body;
    let answer = start(b, &token, owner, PASSWORD).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, code),
        "{requester} sharing {owner}'s device: {answer:?}"
    );
    assert_eq!(
        b.get("/qa/devices").await.body,
        before,
        "a refusal changes no device"
    );
    assert!(
        sharings(b, &token).await.is_empty(),
        "and records no sharing"
    );
    assert_eq!(audited(b, requester, "sharing_refused").await.len(), 1);
}

#[tokio::test]
async fn s1a_s5_different_identification_information() {
    let b = TestBroker::demo();
    refused(
        &b,
        "loweold",
        None,
        "loweadvisor",
        "different_identification",
    )
    .await;
    let answer = {
        let token = session(&b, "blake", "portal", None).await;
        start(&b, &token, "avery", PASSWORD).await
    };
    assert!(
        answer
            .str("message")
            .starts_with("Different identification information"),
        "the article's words: {answer:?}"
    );
}

#[tokio::test]
async fn s1b_a_temporary_device_assigned_refuses() {
    let b = TestBroker::demo();
    refused(&b, "nash", None, "nashdesk", "temporary_device_assigned").await;
}

#[tokio::test]
async fn s1c_s5_less_secure_device() {
    let b = TestBroker::demo();
    refused(&b, "loweira", None, "lowe", "less_secure_device").await;
    let token = session(&b, "loweira", "portal", None).await;
    let answer = start(&b, &token, "lowe", PASSWORD).await;
    assert!(
        answer.str("message").starts_with("Less secure device"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn s2_k5_an_ib_key_owner_is_pointed_to_add_user() {
    let b = TestBroker::demo();
    refused(&b, "lowe", None, "lowephone", "use_add_user").await;
    let token = session(&b, "lowe", "portal", None).await;
    let answer = start(&b, &token, "lowephone", PASSWORD).await;
    assert!(answer.str("message").contains("Add user"), "{answer:?}");
}

/// A scenario for the combinations: the requesting user `req` (primary, entity `a`)
/// and the owner `own` in `owner_entity` (`a`; `b` with the same identification
/// data; `c` with other data), each with the devices given (TOML `[[devices]]`).
fn combo(req_devices: &[&str], owner_entity: &str, own_devices: &[&str]) -> Scenario {
    let ident = |n: &str| {
        format!(
            "identification = {{ date_of_birth = \"1980-01-01\", citizenship = \"US\", residence = \"US\", id_type = \"SSN\", id_number = \"{n}\" }}"
        )
    };
    let entity = |id: &str, n: &str| {
        format!(
            "[[entities]]\nid = \"{id}\"\nname = \"{id}\"\naccount = \"U{id}\"\nequity_usd = 2_000_000\n{}\n",
            ident(n)
        )
    };
    let device = |owner: &str, kind: &str| {
        match kind {
        "dsc_plus" => format!(
            "[[devices]]\nid = \"DSCP-{}\"\nkind = \"dsc_plus\"\nowner = \"{owner}\"\nsecret = \"{TEST_SECRET}\"\npin = \"1111\"\n",
            &owner.to_uppercase()[..3]
        ),
        "security_code_card" => format!(
            "[[devices]]\nid = \"SCC-{owner}\"\nkind = \"security_code_card\"\nowner = \"{owner}\"\nseed = 7\n"
        ),
        "temporary_passcode" => format!(
            "[[devices]]\nid = \"TMP-{}\"\nkind = \"temporary_passcode\"\nowner = \"{owner}\"\npasscode = \"{}DAY01\"\nissued_days_ago = 0\n",
            owner.to_uppercase(),
            owner.to_uppercase()
        ),
        "ib_key" => format!(
            "[[phones]]\nid = \"p-{owner}\"\nnumber = \"7700900999\"\n[[devices]]\nid = \"IBK-{owner}\"\nkind = \"ib_key\"\nowner = \"{owner}\"\nphone = \"p-{owner}\"\nsecurity = \"pin\"\nsecret = \"{TEST_SECRET}\"\npin = \"1234\"\n"
        ),
        other => panic!("no {other}"),
    }
    };
    let mut text = entity("a", "1") + &entity("b", "1") + &entity("c", "2");
    text += &format!("[[users]]\nusername = \"req\"\npassword = \"{PASSWORD}\"\nentity = \"a\"\n");
    text += &format!(
        "[[users]]\nusername = \"own\"\npassword = \"{PASSWORD}\"\nentity = \"{owner_entity}\"\nprimary = false\n"
    );
    for kind in req_devices {
        text += &device("req", kind);
    }
    for kind in own_devices {
        text += &device("own", kind);
    }
    Scenario::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// One sharing request of the table below.
struct Case {
    /// The requesting user's devices (the first one logs in).
    req: &'static [&'static str],
    /// The owner's entity: `a` the same, `b` the same identification, `c` other data.
    entity: &'static str,
    own: &'static [&'static str],
    /// The code answered: the most decisive of…
    answered: &'static str,
    /// …every condition broken, as audited.
    broken: &'static [&'static str],
}

const SCC: &str = "security_code_card";
const DSCP: &str = "dsc_plus";
const TMP: &str = "temporary_passcode";
const IBK: &str = "ib_key";
const S1A: &str = "different_identification";
const S1B: &str = "temporary_device_assigned";
const S2: &str = "use_add_user";
const S1C: &str = "less_secure_device";

#[rustfmt::skip]
const CASES: &[Case] = &[
    // Alone.
    Case { req: &[SCC], entity: "c", own: &[DSCP], answered: S1A, broken: &[S1A] },
    Case { req: &[SCC, TMP], entity: "a", own: &[DSCP], answered: S1B, broken: &[S1B] },
    Case { req: &[SCC], entity: "a", own: &[DSCP, TMP], answered: S1B, broken: &[S1B] },
    Case { req: &[SCC], entity: "a", own: &[IBK], answered: S2, broken: &[S2] },
    Case { req: &[DSCP], entity: "a", own: &[SCC], answered: S1C, broken: &[S1C] },
    // Combined: the most decisive answers, all are audited.
    Case { req: &[DSCP], entity: "c", own: &[SCC], answered: S1A, broken: &[S1A, S1C] },
    Case { req: &[DSCP, TMP], entity: "b", own: &[SCC], answered: S1B, broken: &[S1B, S1C] },
    Case { req: &[DSCP], entity: "a", own: &[IBK], answered: S2, broken: &[S2, S1C] },
    Case { req: &[SCC], entity: "c", own: &[IBK, TMP], answered: S1A, broken: &[S1A, S1B, S2] },
    Case { req: &[DSCP, TMP], entity: "c", own: &[IBK], answered: S1A, broken: &[S1A, S1B, S2, S1C] },
];

#[tokio::test]
async fn s1_s2_s5_each_condition_alone_and_in_combination() {
    use std::collections::BTreeSet;
    for case in CASES {
        let b = TestBroker::with(combo(case.req, case.entity, case.own));
        let via = case
            .req
            .first()
            .map(|k| if *k == DSCP { "DSCP-REQ" } else { "SCC-req" });
        let token = session(&b, "req", "portal", via).await;
        let answer = start(&b, &token, "own", PASSWORD).await;
        let what = format!(
            "req {:?}, owner in {} with {:?}",
            case.req, case.entity, case.own
        );
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::FORBIDDEN, case.answered),
            "{what}: {answer:?}"
        );
        let detail = audited(&b, "req", "sharing_refused").await;
        let listed: BTreeSet<&str> = detail[0].rsplit(": ").next().unwrap().split(", ").collect();
        assert_eq!(
            listed,
            case.broken.iter().copied().collect(),
            "{what}: every broken condition audited"
        );
    }
}

#[tokio::test]
async fn s1a_another_entity_with_the_same_identification_data_may_share() {
    let b = TestBroker::with(combo(&["security_code_card"], "b", &["dsc_plus"]));
    let token = session(&b, "req", "portal", None).await;
    let done = shared(&b, &token, "own").await;
    assert_eq!(done.str("status"), "approved", "{done:?}");
    assert_eq!(b.device("SCC-req").await["status"], "inactive");
}

#[tokio::test]
async fn s1c_any_of_them_if_equal_and_the_owners_own_lesser_device_is_refused() {
    let b = TestBroker::with(combo(
        &["dsc_plus"],
        "a",
        &["dsc_plus", "security_code_card"],
    ));
    let token = session(&b, "req", "portal", None).await;
    let lesser = b
        .with_token(
            Method::POST,
            "/v1/sharing/start",
            &token,
            Some(json!({ "owner_username": "own", "owner_password": PASSWORD, "device_id": "SCC-own" })),
        )
        .await;
    assert_eq!(lesser.code(), "less_secure_device", "{lesser:?}");
    let done = shared(&b, &token, "own").await;
    assert_eq!(
        (done.str("status"), done.str("device_id")),
        ("approved", "DSCP-OWN"),
        "by default the owner's most protective device, equal to req's: {done:?}"
    );
}

#[tokio::test]
async fn s3_a_user_with_no_device_shares_a_card_by_its_index_numbers() {
    let b = TestBroker::with(combo(&[], "a", &["security_code_card"]));
    let token = session(&b, "req", "portal", None).await;
    let review = reviewed(&b, &token, "own").await;
    assert_eq!(
        review.body["devices_set_aside"],
        json!([]),
        "5a: nothing to set aside"
    );
    let id = review.str("sharing_id").to_owned();
    assert_eq!(
        step(&b, &token, &id, "confirm", json!({}))
            .await
            .str("status"),
        "approved"
    );
    let login = b.login_on("req", "trading").await;
    assert_eq!(
        (login.str("device_id"), login.str("method")),
        ("SCC-own", "index_card"),
        "{login:?}"
    );
}

#[tokio::test]
async fn l4_s3_wrong_owner_credentials_count_against_the_owner() {
    let b = TestBroker::demo();
    let token = session(&b, "lowe", "portal", None).await;
    let wrong = start(&b, &token, "loweadvisor", "Wrong2026").await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    assert_eq!(
        b.failures("loweadvisor").await,
        1,
        "L4: the owner's username"
    );
    assert_eq!(b.failures("lowe").await, 0);
    let unknown = start(&b, &token, "nobodyhere", PASSWORD).await;
    assert_eq!(
        unknown.body, wrong.body,
        "L2: an unknown owner is answered alike"
    );
    let bad = start(&b, &token, "lowe advisor", PASSWORD).await;
    assert_eq!(bad.code(), "bad_character", "L3, not counted");
    let own = start(&b, &token, "lowe", PASSWORD).await;
    assert_eq!(
        own.code(),
        "bad_request",
        "the owner is another user: {own:?}"
    );
    assert_eq!(b.failures("loweadvisor").await, 1);
}

#[tokio::test]
async fn l4_s3_a_wrong_security_element_fails_counts_and_answers_once() {
    let b = TestBroker::demo();
    let token = session(&b, "lowe", "portal", None).await;
    let asked = start(&b, &token, "loweadvisor", PASSWORD).await;
    let id = asked.str("sharing_id").to_owned();
    let early = step(&b, &token, &id, "confirm", json!({})).await;
    assert_eq!(
        (early.status, early.code()),
        (StatusCode::CONFLICT, "wrong_stage"),
        "review first"
    );
    let wrong = step(&b, &token, &id, "answer", json!({ "response": "00000000" })).await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::UNAUTHORIZED, "login_failed")
    );
    assert_eq!(
        b.failures("loweadvisor").await,
        1,
        "L4: a wrong second factor counts"
    );
    let right = answer_for(&b, ADVISOR_DSC, &asked.body).await;
    let again = step(&b, &token, &id, "answer", json!({ "response": right })).await;
    assert_eq!(again.code(), "wrong_stage", "C4: the element answers once");
    assert_eq!(sharings(&b, &token).await[0]["status"], "failed");
    let empty = step(&b, &token, &id, "answer", json!({ "response": "" })).await;
    assert_eq!(empty.code(), "missing_field");
}

#[tokio::test]
async fn c4_s3_the_security_element_expires_after_5_minutes() {
    let b = TestBroker::demo();
    let token = session(&b, "lowe", "portal", None).await;
    let asked = start(&b, &token, "loweadvisor", PASSWORD).await;
    b.advance(5 * MINUTE).await;
    let typed = answer_for(&b, ADVISOR_DSC, &asked.body).await;
    let late = step(
        &b,
        &token,
        asked.str("sharing_id"),
        "answer",
        json!({ "response": typed }),
    )
    .await;
    assert_eq!(
        (late.status, late.code()),
        (StatusCode::GONE, "challenge_expired")
    );
    assert_eq!(sharings(&b, &token).await[0]["status"], "expired");
}

#[tokio::test]
async fn o3_s3_sharing_is_on_the_portal_by_the_primary_user_only() {
    let b = TestBroker::demo();
    let trading = session(&b, "lowe", "trading", None).await;
    let answer = start(&b, &trading, "loweadvisor", PASSWORD).await;
    assert_eq!(
        (answer.status, answer.code()),
        (StatusCode::FORBIDDEN, "not_permitted")
    );
    // Stand-in for helper A's `not_primary` (settings::require_primary).
    let advisor = session(&b, "loweadvisor", "portal", None).await;
    let answer = start(&b, &advisor, "lowe", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{answer:?}");
    assert_eq!(
        b.failures("lowe").await,
        0,
        "refused before any password check"
    );
}

#[tokio::test]
async fn s6_one_sharing_at_a_time_and_only_ones_own() {
    let b = TestBroker::demo();
    let token = session(&b, "lowe", "portal", None).await;
    let id = shared(&b, &token, "loweadvisor").await.str("id").to_owned();
    let second = start(&b, &token, "loweadvisor", PASSWORD).await;
    assert_eq!(
        (second.status, second.code()),
        (StatusCode::CONFLICT, "wrong_stage")
    );
    let other = session(&b, "loweira", "portal", None).await;
    let theirs = step(&b, &other, &id, "cancel", json!({})).await;
    assert_eq!(
        theirs.code(),
        "not_found",
        "another user's sharing is unknown"
    );
    assert!(sharings(&b, &other).await.is_empty());
}

#[tokio::test]
async fn s6_a_device_set_aside_is_not_reactivated_while_the_sharing_stands() {
    let b = TestBroker::demo();
    let token = session(&b, "lowe", "portal", None).await;
    let id = shared(&b, &token, "loweadvisor").await.str("id").to_owned();
    assert_eq!(b.device(LOWE_CARD).await["status"], "inactive");

    // Case 10 on the portal: the card is not asked at all.
    let ask = b
        .with_token(
            Method::POST,
            "/v1/portal/reactivate",
            &token,
            Some(json!({ "device_id": LOWE_CARD })),
        )
        .await;
    assert_eq!(
        (ask.status, ask.code()),
        (StatusCode::FORBIDDEN, "not_permitted"),
        "{ask:?}"
    );
    // Nor by an operator (Client Services).
    let op = b
        .post(&format!("/qa/devices/{LOWE_CARD}/activate"), json!({}))
        .await;
    assert_eq!(
        (op.status, op.code()),
        (StatusCode::FORBIDDEN, "not_permitted"),
        "{op:?}"
    );
    assert_eq!(b.device(LOWE_CARD).await["status"], "inactive", "S6");

    // Cancelled, the card serves again and, set aside by nothing, may be asked later.
    let cancelled = step(&b, &token, &id, "cancel", json!({})).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{cancelled:?}");
    assert_eq!(b.device(LOWE_CARD).await["status"], "active");
}
