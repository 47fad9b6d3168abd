//! Portcullis, the desktop login client. A thin Tauri shell over `portcullis-client`:
//! each command is a few lines that delegate to the broker client, the phone core, the
//! keyring or the card arithmetic, and errors cross IPC as `{code, message}`
//! (`error::AppError`). This file only wires the parts together.
//!
//! - `link`, `broker_process`: the line to the login server (bundled or external).
//! - `login`, `session`: the login window's steps and the session the main window shows.
//! - `account`: the main window's account home and Client Portal (devices, messages,
//!   the online security code card).
//! - `security`: the main window's Secure Login settings (sharing, opting out and back
//!   in, ordering and returning a DSC+); `trading`: its order ticket and withdrawals.
//! - `windows`: opening, placing and closing the four windows.
//! - `card`, `codecard`, `phone`: the DSC+, Security Code Card and IB Key simulators'
//!   windows; `demo`: Reset demo; `kiosk`: the booth's layout and automatic reset.
//! - `lan_phone`: a visitor's own phone (`--phone-lan`), its listener and the login
//!   window's QR panel.
//! - `settings`, `keychain`, `notifications`: what the app keeps and shows; `locale`:
//!   the windows' language (English or French).
//!
//! Each window may call only its own commands: `src-tauri/capabilities/` grants one
//! permission set (`src-tauri/permissions/`) per window.

mod account;
mod broker_process;
mod card;
mod codecard;
mod demo;
mod error;
mod keychain;
mod kiosk;
mod lan_phone;
mod link;
mod locale;
mod login;
mod notifications;
mod phone;
mod security;
mod session;
mod settings;
mod trading;
mod windows;

use broker_process::BrokerSource;
use link::Line;
use tauri::{Manager, RunEvent};

pub fn run() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PORTCULLIS_LOG")
                .unwrap_or_else(|_| "portcullis=info".into()),
        )
        .init();

    let app = tauri::Builder::default()
        .setup(|app| {
            let data_dir = app.path().app_data_dir()?;
            let args: Vec<String> = std::env::args().collect();
            let settings = settings::Settings::load(&app.path().app_config_dir()?);
            let env_locale = std::env::var("PORTCULLIS_LOCALE").ok();
            let locale = locale::Locale::from_args(&args, env_locale.as_deref())
                .unwrap_or_else(|| settings.locale());
            app.manage(locale::Current::new(locale));
            // The login window (tauri.conf.json) is titled in English.
            locale::retitle(app.handle(), locale);
            app.manage(settings);
            app.manage(notifications::Notices::default());
            app.manage(session::Session::default());
            app.manage(login::PasswordStep::default());
            app.manage(Line::new(BrokerSource::from_environment(&data_dir)));
            link::supervise(app.handle());
            app.manage(phone::start(app.handle()));
            app.manage(lan_phone::start(app.handle(), &args));
            let env_kiosk = std::env::var("PORTCULLIS_KIOSK").ok();
            let kiosk = kiosk::Kiosk::from_args(&args, env_kiosk.as_deref());
            let docked = kiosk.enabled();
            app.manage(kiosk);
            if docked {
                kiosk::dock(app.handle())?;
            }
            Ok(())
        })
        .on_window_event(windows::on_event)
        // Every command, by window; `build.rs` lists the same names for the permissions.
        .invoke_handler(tauri::generate_handler![
            // login window
            link::broker_status,
            link::broker_retry,
            login::login,
            login::submit_response,
            login::choose_device,
            login::push_fallback,
            login::push_resend,
            login::wait_push,
            login::cancel_login,
            login::cancel_password_step,
            login::remembered_username,
            login::remember_username,
            settings::get_settings,
            settings::set_settings,
            locale::locale_get,
            locale::locale_set,
            demo::demo_reset,
            demo::demo_temp_passcode,
            kiosk::kiosk_status,
            kiosk::kiosk_touch,
            kiosk::kiosk_idle_reset,
            kiosk::kiosk_enter,
            kiosk::kiosk_leave,
            lan_phone::phone_lan_status,
            card::open_card_window,
            codecard::open_codecard_window,
            phone::commands::open_phone_window,
            session::take_session_end,
            // main window
            session::current_session,
            session::session_keepalive,
            session::logout,
            account::account_devices,
            account::account_messages,
            account::online_card_offer,
            account::online_card_activate,
            account::online_card_save,
            account::online_card_print,
            account::reactivate_ask,
            account::reactivate_confirm,
            security::account_info,
            security::secure_login_opt_out,
            security::secure_login_opt_in,
            security::sharing_start,
            security::sharing_answer,
            security::sharing_confirm,
            security::sharing_cancel,
            security::sharing_list,
            security::device_order,
            security::device_order_confirm,
            security::device_holds,
            security::device_return,
            security::device_report_lost,
            trading::order_place,
            trading::withdrawal_make,
            // card window
            card::card_devices,
            card::card_load,
            card::card_response,
            // Security Code Card window
            codecard::codecard_devices,
            codecard::codecard_load,
            // phone window
            phone::commands::phone_status,
            phone::commands::phone_use_demo,
            phone::commands::phone_repair,
            phone::commands::phone_activation_start,
            phone::commands::phone_activation_verify,
            phone::commands::phone_messages,
            phone::commands::phone_activation_finish,
            phone::commands::phone_approve,
            phone::commands::phone_deny,
            phone::commands::phone_authenticate,
            phone::commands::phone_access,
            phone::commands::phone_forget,
        ])
        .build(tauri::generate_context!("../tauri.conf.json"))
        .expect("Portcullis could not start its window");

    app.run(|app, event| {
        if let RunEvent::Exit = event {
            // Stop the bundled broker with the app.
            app.state::<Line>().shut_down();
        }
    });
}
