//! The wire types this client decodes into.
//!
//! A stand-in, shaped exactly as `portcullis-api` will have them, until the contract
//! crate has every body; then this module becomes a re-export of `portcullis_api`.

mod error;
mod login;
mod phone;
mod qa;

pub use error::{ErrorBody, ErrorCode, ErrorReason};
pub use login::*;
pub use phone::*;
pub use portcullis_api::{Channel, DeviceKind, DeviceStatus};
pub use qa::*;
