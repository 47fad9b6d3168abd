//! The broker as a real process over HTTP: every L and C rule, the wire's error
//! contract, QA controls, sessions' ends, and state that survives `kill -9`.

mod activation;
mod approval;
mod challenge;
mod ibkey;
mod lockout;
mod password;
mod persistence;
mod qa;
mod sessions;
mod wire;
