//! The Portcullis mock broker: the Secure Login System rules of `SLS-RULES.md`, served
//! over HTTP from a SQLite store, so the whole login runs on one machine.
//!
//! - [`rules`]: the policy (lockout, usernames, challenges) as plain Rust, time passed in.
//! - [`broker`]: one login step per method, one transaction each, every event audited.
//! - [`store`]: SQLite, migrations beside the queries.
//! - [`server`]: axum; errors become `{"code", "message"}` in one place.
//! - [`operator`]: Client Services' actions against a running broker (the CLI's).
//! - [`qa_cli`]: `mock-broker qa`, a QA engineer's controls of a running broker.
//! - [`bench`](mod@bench): `mock-broker bench`, a load client printing figures (issue 11).
//! - [`scenario`]: the TOML files a broker starts from, and the built-in demo.

pub mod bench;
pub mod broker;
pub mod error;
pub mod operator;
pub mod password;
pub mod qa_cli;
pub mod rules;
pub mod scenario;
pub mod server;
pub mod store;
