//! The scenario loader: TOML text as `mock-broker serve --scenario` reads it.
//!
//! Asserts what `Scenario::parse` promises the broker: a scenario it accepts has a
//! session policy, valid lower-case usernames, cards with a grid, keys of at least 16
//! bytes where the device computes OCRA, and it loads into an in-memory broker.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mock_broker::broker::Broker;
use mock_broker::password::Argon2Settings;
use mock_broker::rules::Username;
use mock_broker::scenario::Scenario;
use portcullis_api::DeviceKind;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(scenario) = Scenario::parse(text) else {
        return;
    };
    scenario
        .session_policy()
        .expect("a parsed scenario has a session policy");
    for u in &scenario.users {
        let name = Username::parse(&u.username).expect("usernames are checked");
        assert!(name.is_lower_case());
    }
    for d in &scenario.devices {
        match d.kind {
            DeviceKind::SecurityCodeCard | DeviceKind::OnlineSecurityCodeCard => {
                let grid = d.card_grid().expect("a card has a grid");
                assert_eq!(grid.codes().len(), 100);
            }
            DeviceKind::DscPlus
            | DeviceKind::IbKey
            | DeviceKind::Platinum
            | DeviceKind::Gold
            | DeviceKind::Dsc => {
                let key = hex::decode(&d.secret).expect("a key is hex");
                assert!(key.len() >= 16);
            }
            DeviceKind::Sms | DeviceKind::TemporaryPasscode => {}
        }
    }
    // Cheap password hashing: this target checks the loading, not Argon2.
    let argon2 = Argon2Settings {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };
    if let Err(e) = Broker::open(None, scenario, argon2) {
        panic!("a parsed scenario does not load: {e}");
    }
});
