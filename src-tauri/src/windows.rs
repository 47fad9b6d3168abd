//! The app's windows: `login` (from `tauri.conf.json`), `main` (opened on a successful
//! login, showing the real session), `card` (the DSC+ simulator), `codecard` (the
//! Security Code Card simulator) and `phone` (the IB Key simulator), from the Devices
//! menu. Each may call only its own commands
//! (`src-tauri/capabilities/`). Closing the login or main window ends the app; the
//! simulators are accessories.

use crate::error::{self, AppError};
use crate::locale::{self, window_title};
use crate::session::Session;
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder, Window, WindowEvent};

/// The login window's size (`tauri.conf.json` gives the same at start).
const LOGIN_SIZE: (f64, f64) = (460.0, 620.0);
const CARD_SIZE: (f64, f64) = (320.0, 540.0);
const PHONE_SIZE: (f64, f64) = (340.0, 640.0);
/// The gap between the login window and a simulator beside it.
const GAP: f64 = 16.0;

pub fn open_main(app: &AppHandle) -> Result<(), AppError> {
    if let Some(main) = app.get_webview_window("main") {
        let _ = main.eval("window.location.reload()");
        let _ = main.show();
    } else {
        WebviewWindowBuilder::new(app, "main", WebviewUrl::App("main.html".into()))
            .title(window_title("main", locale::now(app)))
            .inner_size(900.0, 560.0)
            // Centred, not at 0,0 over the phone simulator.
            .center()
            .focused(true)
            .build()
            .map_err(error::window)?;
    }
    if let Some(login) = app.get_webview_window("login") {
        let _ = login.hide();
    }
    Ok(())
}

/// The session ended: its window goes (the token must be gone first, or the app ends).
pub fn close_main(app: &AppHandle) {
    if let Some(main) = app.get_webview_window("main") {
        let _ = main.destroy();
    }
}

pub fn show_login(app: &AppHandle) {
    if let Some(login) = app.get_webview_window("login") {
        let _ = login.eval("window.location.reload()");
        let _ = login.show();
        let _ = login.set_focus();
    }
}

/// Where the login window is: its logical position and size.
fn login_frame(app: &AppHandle) -> Option<(f64, f64, f64)> {
    let w = app.get_webview_window("login")?;
    let scale = w.scale_factor().ok()?;
    let pos = w.outer_position().ok()?.to_logical::<f64>(scale);
    let size = w.outer_size().ok()?.to_logical::<f64>(scale);
    Some((pos.x, pos.y, size.width))
}

/// The card simulator, beside the login window so both can be seen at once.
pub fn open_card(app: &AppHandle) -> Result<(), AppError> {
    if let Some(card) = app.get_webview_window("card") {
        let _ = card.show();
        let _ = card.set_focus();
        return Ok(());
    }
    let mut builder = WebviewWindowBuilder::new(app, "card", WebviewUrl::App("card.html".into()));
    if let Some((x, y, width)) = login_frame(app) {
        builder = builder.position(x + width + GAP, y);
    }
    builder
        .title(window_title("card", locale::now(app)))
        .inner_size(CARD_SIZE.0, CARD_SIZE.1)
        .resizable(false)
        .build()
        .map_err(error::window)?;
    Ok(())
}

/// The Security Code Card simulator, beside the login window like the DSC+ card.
pub fn open_codecard(app: &AppHandle) -> Result<(), AppError> {
    if let Some(card) = app.get_webview_window("codecard") {
        let _ = card.show();
        let _ = card.set_focus();
        return Ok(());
    }
    let mut builder =
        WebviewWindowBuilder::new(app, "codecard", WebviewUrl::App("codecard.html".into()));
    if let Some((x, y, width)) = login_frame(app) {
        builder = builder.position(x + width + GAP, y + 40.0);
    }
    builder
        .title(window_title("codecard", locale::now(app)))
        .inner_size(440.0, 560.0)
        .build()
        .map_err(error::window)?;
    Ok(())
}

/// The phone simulator, left of the login window.
pub fn open_phone(app: &AppHandle) -> Result<(), AppError> {
    if let Some(window) = app.get_webview_window("phone") {
        let _ = window.show();
        let _ = window.set_focus();
        return Ok(());
    }
    let mut builder = WebviewWindowBuilder::new(app, "phone", WebviewUrl::App("phone.html".into()));
    if let Some((x, y, _)) = login_frame(app) {
        builder = builder.position((x - PHONE_SIZE.0 - GAP).max(0.0), y);
    }
    builder
        .title(window_title("phone", locale::now(app)))
        .inner_size(PHONE_SIZE.0, PHONE_SIZE.1)
        .resizable(false)
        .build()
        .map_err(error::window)?;
    Ok(())
}

/// Leaving kiosk mode: the login window centred on its monitor with its frame and size
/// back, and the simulators beside it as the Devices menu opens them. The places are
/// worked out here, not read back from the window system, which moves windows later.
pub fn undock(app: &AppHandle) {
    let frames = [
        ("login", LOGIN_SIZE),
        ("phone", PHONE_SIZE),
        ("card", CARD_SIZE),
    ];
    for (label, (width, height)) in frames {
        if let Some(window) = app.get_webview_window(label) {
            let _ = window.set_decorations(true);
            let _ = window.set_size(tauri::LogicalSize::new(width, height));
            let _ = window.set_resizable(false);
        }
    }
    let Some(login) = app.get_webview_window("login") else {
        return;
    };
    if let Ok(Some(monitor)) = login.current_monitor() {
        let scale = monitor.scale_factor();
        let area = monitor.size().to_logical::<f64>(scale);
        let origin = monitor.position().to_logical::<f64>(scale);
        let x = origin.x + ((area.width - LOGIN_SIZE.0) / 2.0).max(0.0);
        let y = origin.y + ((area.height - LOGIN_SIZE.1) / 2.0).max(0.0);
        let places = [
            ("login", x),
            ("phone", (x - PHONE_SIZE.0 - GAP).max(origin.x)),
            ("card", x + LOGIN_SIZE.0 + GAP),
        ];
        for (label, left) in places {
            if let Some(window) = app.get_webview_window(label) {
                let _ = window.set_position(tauri::LogicalPosition::new(left, y));
            }
        }
    }
    let _ = login.set_focus();
}

/// Closing the login window, or the main window while logged in, ends the app.
pub fn on_event(window: &Window, event: &WindowEvent) {
    if let WindowEvent::Destroyed = event {
        let app = window.app_handle();
        let logged_in = app.state::<Session>().is_open();
        match window.label() {
            "login" => app.exit(0),
            "main" if logged_in => app.exit(0),
            _ => {}
        }
    }
}
