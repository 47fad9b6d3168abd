//! The broker as a real process over HTTP: every L and C rule, the wire's error
//! contract, QA controls, sessions' ends, state that survives `kill -9`, and the
//! broker's edges (memory, connections, files, who may drive it), and temporary access
//! around a lost device (D7, T1–T5); crash consistency under `kill -9` and the security
//! checks named after OWASP ASVS V2 and V3 (issue 11).

mod account;
mod activation;
mod approval;
mod asvs;
mod challenge;
mod crash;
mod faults;
mod hardening;
mod ibkey;
mod journal;
mod lockout;
mod password;
mod persistence;
mod qa;
mod qa_cli;
mod replacement;
mod seed;
mod sessions;
mod sharing;
mod temporary;
mod wire;
