//! The broker's rules and wire, in process: `server::app` driven with
//! `tower::ServiceExt::oneshot` over an in-memory store, no socket and no child
//! process, so each test takes milliseconds. What only a real process shows (ports,
//! `kill -9`, SSE streams, connection limits) stays in `tests/tests/broker`.
//!
//! One binary, a module per topic, the shared helper in `util`.

mod account;
mod cards;
mod compliance;
mod devices;
mod faults;
mod hardening;
mod journal;
mod malformed;
mod opt_out;
mod reactivation;
mod replacement;
mod rules;
mod seed;
mod sharing;
mod sweep;
mod temporary;
mod util;
mod waits;
mod wire;
mod withdrawals;
