//! L1–L3 over HTTP.

use portcullis_tests::Broker;
use std::time::Instant;

#[tokio::test]
async fn l1_upper_case_username_does_not_match() {
    let b = Broker::start().await;
    let (status, body) = b.login("Blake", "Trade2026").await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body["code"], "invalid_credentials",
        "L1: `Blake` is not `blake`"
    );
    let (status, body) = b.login("blake", "Trade2026").await;
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("authenticated")),
        "{body}"
    );
}

#[tokio::test]
async fn l2_unknown_user_and_wrong_password_get_the_same_answer() {
    let b = Broker::start().await;
    let (s1, wrong_password) = b.login("blake", "nope").await;
    let (s2, unknown_user) = b.login("nobodyhere", "nope").await;
    assert_eq!(s1, s2);
    assert_eq!(
        wrong_password, unknown_user,
        "L2: no user enumeration by message"
    );
    assert_eq!(
        wrong_password["message"],
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
            let (status, _) = b.login(user, "wrong-password").await;
            assert_eq!(status, 401);
            times.push(t.elapsed().as_secs_f64());
        }
        // Keep blake below the lock: nine failures, then a success resets the count.
        if known.len() % 8 == 0 {
            assert_eq!(b.login("blake", "Trade2026").await.0, 200);
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
        let (status, body) = b.login(name, "Trade2026").await;
        assert_eq!(status, 400, "{name:?}: {body}");
        assert_eq!(body["code"], "bad_character");
        assert_eq!(body["message"], "BAD CHARACTER");
    }
    // Not failed attempts: blake's count is untouched.
    assert_eq!(b.lockout("blake").await["failures_in_window"], 0);
}
