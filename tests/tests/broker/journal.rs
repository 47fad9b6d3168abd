//! The request journal over a real process (issue 10, "verify what happened"): what
//! the desktop and the phone asked of the broker, checked after the fact.

use crate::ibkey::{password, start, ticket, DANA_PIN, SOON};
use portcullis_testkit::Opened;

#[tokio::test]
async fn journal_one_push_approved_and_no_send_again() {
    let (b, phone) = start().await;
    let mut events = phone.events().await;
    let step = password(&b, "dana").await;
    let push = events.next_push(SOON).await;
    let waiting = b.wait(ticket(&step), 20_000);
    let approving = phone.approve(&push, DANA_PIN, None);
    let (outcome, approved) = tokio::join!(waiting, approving);
    assert_eq!(approved.status, 200);
    assert_eq!(outcome.ok().opened().session.username, "dana");

    let logins = b.journal("route=/v1/login&user=dana").await.entries;
    assert_eq!(
        logins.len(),
        1,
        "one password step, so one push: {logins:?}"
    );
    assert_eq!((logins[0].status, logins[0].code.as_str()), (200, "ok"));
    let approvals = b
        .journal("route=/v1/phone/pushes/{id}/approve&code=ok")
        .await
        .entries;
    assert_eq!(approvals.len(), 1, "{approvals:?}");
    assert_eq!(
        approvals[0].user.as_deref(),
        Some("dana"),
        "a push's user, from the id in its path"
    );
    for never in ["/v1/login/resend", "/v1/login/fallback"] {
        let calls = b.journal(&format!("route={never}")).await.entries;
        assert!(calls.is_empty(), "nobody asked {never}: {calls:?}");
    }
    let waits = b.journal("route=/v1/login/wait&user=dana").await.entries;
    assert!(!waits.is_empty(), "the desktop waited, as dana");
}
