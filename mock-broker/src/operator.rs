//! `mock-broker operator …`: Client Services' actions against a running broker, as a
//! person at the telephone would take them (T1, case 10). Each is one QA request
//! through the project's typed client (`portcullis-client`), with
//! `MOCK_BROKER_QA_TOKEN` when the broker was given one; the broker audits it.

use crate::rules::Username;
use portcullis_api::{DeviceInfo, TemporaryPasscodeIssued};
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
    if device_id.is_empty()
        || !device_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(OperatorError::Unreachable(format!(
            "device id {device_id:?}: letters, digits and '-'"
        )));
    }
    let id = device_id.to_owned();
    ask(
        url,
        |client| async move { client.activate_device(&id).await },
    )
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
