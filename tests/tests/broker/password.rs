//! L1–L3 over HTTP.

use portcullis_api::{ErrorCode, LoginStep};
use portcullis_testkit::Broker;
use std::time::Instant;

#[tokio::test]
async fn l1_upper_case_username_does_not_match() {
    let b = Broker::start().await;
    let e = b.login("Blake", "Trade2026").await.err();
    assert_eq!(
        (e.status, e.code),
        (401, ErrorCode::InvalidCredentials),
        "L1: `Blake` is not `blake`"
    );
    let step = b.login("blake", "Trade2026").await.ok();
    assert!(
        matches!(step, LoginStep::Authenticated(_)),
        "blake has no device: {step:?}"
    );
}

#[tokio::test]
async fn l2_unknown_user_and_wrong_password_get_the_same_answer() {
    let b = Broker::start().await;
    let wrong_password = b.login("blake", "nope").await.err();
    let unknown_user = b.login("nobodyhere", "nope").await.err();
    assert_eq!(
        wrong_password, unknown_user,
        "L2: no user enumeration by status or message"
    );
    assert_eq!(
        wrong_password.message,
        "Invalid user name password combination"
    );
}

#[tokio::test]
async fn l2_unknown_user_takes_as_long_as_a_wrong_password() {
    // A coarse guard (medians, a factor of 3): the unknown name must go through Argon2
    // too, which costs far more than everything else on the path. The two kinds of
    // attempt alternate, so both meet the same load from tests running alongside.
    let b = Broker::start().await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..9 {
        for (user, times) in [("blake", &mut known), ("nosuchuser", &mut unknown)] {
            let t = Instant::now();
            assert_eq!(b.login(user, "wrong-password").await.status, 401);
            times.push(t.elapsed().as_secs_f64());
        }
        // Keep blake below the lock: nine failures, then a success resets the count.
        if known.len() % 8 == 0 {
            assert_eq!(b.login("blake", "Trade2026").await.status, 200);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (known, unknown) = (median(&mut known), median(&mut unknown));
    let ratio = known.max(unknown) / known.min(unknown);
    assert!(
        ratio < 3.0,
        "L2: known {known:.4}s vs unknown {unknown:.4}s"
    );
}

#[tokio::test]
async fn l3_bad_character_is_refused_before_the_password_and_not_counted() {
    let b = Broker::start().await;
    for name in [
        "blake smith",
        "blake!",
        "bl@ke",
        "blake.",
        "blake\"",
        "blake:",
    ] {
        let e = b.login(name, "Trade2026").await.err();
        assert_eq!(
            (e.status, e.code),
            (400, ErrorCode::BadCharacter),
            "{name:?}"
        );
        assert_eq!(e.message, "BAD CHARACTER");
    }
    // Not failed attempts: blake's count is untouched.
    assert_eq!(b.lockout_info("blake").await.failures_in_window, 0);
}
