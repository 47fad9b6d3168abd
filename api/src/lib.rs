//! The broker's HTTP contract, shared by the broker (which answers with these types),
//! the desktop app and the tests (which decode into them). Only serde here: no HTTP,
//! no rules. What a value *means* under the Secure Login rules is cited by rule id
//! (`../shared/SLS-RULES.md`); what the broker does with it lives in `mock-broker`.

pub mod device;

pub use device::{Channel, DeviceKind, DeviceStatus, Protection, SecondFactorMethod};
