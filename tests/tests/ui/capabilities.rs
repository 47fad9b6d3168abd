//! Issue 7: one capability per window. Each window may call only its own commands
//! (`src-tauri/capabilities/`); a command another window owns is refused by Tauri's
//! access control before it runs, whatever the page's script tries.

use super::{app_for, one_at_a_time};
use portcullis_testkit::desktop::Desktop;
use portcullis_testkit::pages::login;
use portcullis_testkit::Broker;
use serde_json::{json, Value};

/// Invokes `command` from the current window's page, past the UI's own wrapper:
/// `Ok` with its answer, or `Err` with the rejection as text.
async fn invoke(app: &Desktop, command: &str, args: Value) -> Result<Value, String> {
    let outcome = app
        .client
        .execute_async(
            "const [command, args, done] = arguments;
             window.__TAURI_INTERNALS__.invoke(command, args).then(
               (value) => done({ ok: value === undefined ? null : value }),
               (e) => done({ err: typeof e === 'string' ? e : JSON.stringify(e) }));",
            vec![json!(command), args],
        )
        .await
        .unwrap_or_else(|e| panic!("execute_async {command}: {e}"));
    match outcome.get("err") {
        Some(err) => Err(err.as_str().unwrap_or_default().to_owned()),
        None => Ok(outcome["ok"].clone()),
    }
}

async fn assert_refused(app: &Desktop, window: &str, command: &str, args: Value) {
    let answer = invoke(app, command, args).await;
    match answer {
        Err(e) => assert!(
            e.contains("not allowed"),
            "the {window} window's {command} must be refused by the access control, got {e:?}"
        ),
        Ok(v) => panic!("the {window} window must not be able to call {command}; it answered {v}"),
    }
}

#[tokio::test]
async fn issue7_the_login_window_cannot_call_the_phone_main_or_card_commands() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    login::ready(&app).await;

    let own = invoke(&app, "broker_status", json!({})).await;
    assert_eq!(
        own.as_ref().map(|s| s["state"].clone()),
        Ok(json!("ready")),
        "its own command still answers"
    );
    assert_refused(
        &app,
        "login",
        "phone_approve",
        json!({ "pushId": "push-1", "pin": "1234", "picked": null }),
    )
    .await;
    assert_refused(&app, "login", "phone_status", json!({})).await;
    assert_refused(&app, "login", "current_session", json!({})).await;
    assert_refused(
        &app,
        "login",
        "card_response",
        json!({ "deviceId": "DSCP-40211873", "pin": "1234", "challenge": "123456" }),
    )
    .await;
    app.quit().await;
}

#[tokio::test]
async fn issue7_the_phone_window_cannot_log_in_or_reset_the_demo() {
    let _turn = one_at_a_time().await;
    let broker = Broker::start_for_ui().await;
    let app = app_for(&broker).await;
    login::ready(&app).await;
    invoke(&app, "open_phone_window", json!({}))
        .await
        .expect("the login window opens the phone simulator");
    app.switch_to_page("phone.html").await;

    let own = invoke(&app, "phone_status", json!({})).await;
    assert_eq!(
        own.as_ref().map(|s| s["configured"].clone()),
        Ok(json!(false)),
        "its own command still answers"
    );
    assert_refused(
        &app,
        "phone",
        "login",
        json!({ "username": "avery", "password": "Trade2026" }),
    )
    .await;
    assert_refused(&app, "phone", "demo_reset", json!({})).await;
    assert_refused(&app, "phone", "logout", json!({})).await;
    app.quit().await;
}
