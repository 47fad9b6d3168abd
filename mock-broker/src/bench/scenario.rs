//! The bench's users, as a scenario file: card users `u000001..` (one DSC+ card each)
//! and IB Key users `k000001..` (one IB Key each, all on the phone `bench-phone`), every
//! one with the same password, key and PIN, so the load client computes their
//! responses without asking the broker.

use std::fmt::Write;

/// Every bench user's password.
pub const PASSWORD: &str = "Trade2026";
/// Every bench device's key (hex): RFC 6287's 32-byte test key.
pub const SECRET_HEX: &str = "3132333435363738393031323334353637383930313233343536373839303132";
/// Every bench device's PIN.
pub const PIN: &str = "1234";
/// The phone holding every bench IB Key.
pub const PHONE: &str = "bench-phone";

/// The `i`th card user (from 1).
pub fn card_user(i: usize) -> String {
    format!("u{i:06}")
}

/// The `i`th IB Key user (from 1).
pub fn ib_key_user(i: usize) -> String {
    format!("k{i:06}")
}

/// A scenario with `cards` card users and `ib_keys` IB Key users, as TOML.
pub fn scenario(cards: usize, ib_keys: usize) -> String {
    let mut out = String::new();
    if ib_keys > 0 {
        let _ = writeln!(
            out,
            "[[phones]]\nid = \"{PHONE}\"\nnumber = \"7700900999\"\n"
        );
    }
    for i in 1..=cards {
        let u = card_user(i);
        user(&mut out, &u, i);
        let _ = writeln!(
            out,
            "[[devices]]\nid = \"DSCP-{i:08}\"\nkind = \"dsc_plus\"\nowner = \"{u}\"\n\
             secret = \"{SECRET_HEX}\"\npin = \"{PIN}\"\nstatus = \"active\"\n"
        );
    }
    for i in 1..=ib_keys {
        let u = ib_key_user(i);
        user(&mut out, &u, cards + i);
        let _ = writeln!(
            out,
            "[[devices]]\nid = \"IBK-{i:08}\"\nkind = \"ib_key\"\nowner = \"{u}\"\n\
             phone = \"{PHONE}\"\nsecurity = \"pin\"\nsecret = \"{SECRET_HEX}\"\npin = \"{PIN}\"\n"
        );
    }
    out
}

/// A user, primary on an entity of their own (account `U` and a number unique to them).
fn user(out: &mut String, username: &str, number: usize) {
    let _ = writeln!(
        out,
        "[[entities]]\nid = \"e{username}\"\nname = \"Entity {username}\"\n\
         account = \"U{number:07}\"\nequity_usd = 2_000_000\nidentification = {{}}\n"
    );
    let _ = writeln!(
        out,
        "[[users]]\nusername = \"{username}\"\nfull_name = \"User {username}\"\n\
         password = \"{PASSWORD}\"\nentity = \"e{username}\"\nprimary = true\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    #[test]
    fn issue11_bench_scenario_loads_with_both_kinds_of_users() {
        let parsed = Scenario::parse(&scenario(3, 2)).expect("the bench scenario parses");
        assert_eq!(
            parsed.users.len(),
            5,
            "three card users and two IB Key users"
        );
        assert_eq!(parsed.devices.len(), 5, "one device each");
        assert_eq!(parsed.phones.len(), 1, "one phone for every IB Key");
        assert!(
            !scenario(2, 0).contains("[[phones]]"),
            "no phone without IB Key users"
        );
    }
}
