//! `mock-broker operator …`: Client Services' actions against a running broker, as a
//! person at the telephone would take them (T1, case 10), and Compliance's decisions
//! on a sharing (S4). Each is one QA request through the project's typed client
//! (`portcullis-client`), with `MOCK_BROKER_QA_TOKEN` when the broker was given one;
//! the broker audits it.

use crate::rules::Username;
use portcullis_api::{DeviceInfo, Sharing, TemporaryPasscodeIssued};
use portcullis_client::{BrokerClient, Error};
use std::future::Future;

/// The environment variable a `--qa` broker reads its token from.
pub const QA_TOKEN_ENV: &str = "MOCK_BROKER_QA_TOKEN";

/// Why an operator action failed: the broker refused (its `code: message`), or it
/// could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("{0}")]
    Refused(Error),
    #[error("{0}")]
    Unreachable(String),
}

/// T1: issue a temporary passcode to `username` on the broker at `url`.
pub fn temp_passcode(url: &str, username: &str) -> Result<TemporaryPasscodeIssued, OperatorError> {
    let name = Username::parse(username)
        .map_err(|e| OperatorError::Unreachable(format!("user name {username:?}: {e}")))?;
    ask(url, |client| async move {
        client.issue_temporary_passcode(name.as_str()).await
    })
}

/// Case 10: activate a shipped replacement, or reactivate a kept device (T4).
pub fn activate(url: &str, device_id: &str) -> Result<DeviceInfo, OperatorError> {
    let id = identifier("device id", device_id)?;
    ask(
        url,
        |client| async move { client.activate_device(&id).await },
    )
}

/// S4: Compliance approves a sharing waiting for it.
pub fn approve_sharing(url: &str, sharing_id: &str) -> Result<Sharing, OperatorError> {
    let id = identifier("sharing id", sharing_id)?;
    ask(
        url,
        |client| async move { client.approve_sharing(&id).await },
    )
}

/// S4: Compliance rejects a sharing waiting for it, with the reason the requesting
/// user will read (the broker bounds it).
pub fn reject_sharing(
    url: &str,
    sharing_id: &str,
    reason: Option<&str>,
) -> Result<Sharing, OperatorError> {
    let id = identifier("sharing id", sharing_id)?;
    ask(url, |client| async move {
        client.reject_sharing(&id, reason).await
    })
}

/// An id as the broker issues them (letters, digits and '-'), checked before it goes
/// into a URL path.
fn identifier(what: &str, id: &str) -> Result<String, OperatorError> {
    if !is_plain_id(id) {
        return Err(OperatorError::Unreachable(format!(
            "{what} {id:?}: letters, digits and '-'"
        )));
    }
    Ok(id.to_owned())
}

/// Letters, digits and '-', as the broker's ids: safe in a URL path as they are.
pub(crate) fn is_plain_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Runs one request on a small runtime of its own (the CLI is otherwise synchronous).
fn ask<T, F, Fut>(url: &str, request: F) -> Result<T, OperatorError>
where
    F: FnOnce(BrokerClient) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return Err(OperatorError::Unreachable(format!(
            "{url}: a broker URL starts with http://"
        )));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| OperatorError::Unreachable(format!("no runtime: {e}")))?;
    let client = BrokerClient::new(url, std::env::var(QA_TOKEN_ENV).ok());
    runtime.block_on(request(client)).map_err(|e| {
        if e.is_connection() {
            OperatorError::Unreachable(format!("{url}: {}", e.message))
        } else {
            OperatorError::Refused(e)
        }
    })
}
