//! `mock-broker operator …`: Client Services' actions against a running broker, as a
//! person at the telephone would take them (T1, case 10). Each is one QA request over
//! loopback HTTP, with `MOCK_BROKER_QA_TOKEN` when the broker was given one; the broker
//! audits it.
//!
//! A plain HTTP/1.1 exchange on a `TcpStream`: one request, `Connection: close`, so the
//! binary needs no HTTP client for two calls.

use crate::rules::Username;
use portcullis_api::{DeviceInfo, ErrorBody, TemporaryPasscodeIssued};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The environment variable a `--qa` broker reads its token from.
pub const QA_TOKEN_ENV: &str = "MOCK_BROKER_QA_TOKEN";

/// Why an operator action failed: the broker refused (its code and message), or it
/// could not be asked.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("{0}")]
    Refused(ErrorBody),
    #[error("{0}")]
    Unreachable(String),
}

/// T1: issue a temporary passcode to `username` on the broker at `url`.
pub fn temp_passcode(url: &str, username: &str) -> Result<TemporaryPasscodeIssued, OperatorError> {
    let name = Username::parse(username)
        .map_err(|e| OperatorError::Unreachable(format!("user name {username:?}: {e}")))?;
    post(url, &format!("/qa/users/{name}/temporary-passcode"))
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
    post(url, &format!("/qa/devices/{device_id}/activate"))
}

fn post<T: serde::de::DeserializeOwned>(url: &str, path: &str) -> Result<T, OperatorError> {
    let unreachable = |e: &dyn std::fmt::Display| OperatorError::Unreachable(format!("{url}: {e}"));
    let authority = url
        .strip_prefix("http://")
        .ok_or_else(|| unreachable(&"only http:// URLs"))?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(authority).map_err(|e| unreachable(&e))?;
    let timeout = Some(Duration::from_secs(10));
    stream
        .set_read_timeout(timeout)
        .map_err(|e| unreachable(&e))?;
    stream
        .set_write_timeout(timeout)
        .map_err(|e| unreachable(&e))?;
    let token = std::env::var(QA_TOKEN_ENV)
        .map(|t| format!("X-QA-Token: {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\n\
         Content-Length: 2\r\nConnection: close\r\n{token}\r\n{{}}"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| unreachable(&e))?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).map_err(|e| unreachable(&e))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| unreachable(&"no HTTP answer"))?;
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| unreachable(&"no HTTP status"))?;
    let chunked = head.lines().any(|l| {
        l.to_ascii_lowercase()
            .starts_with("transfer-encoding: chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    if status == 200 {
        serde_json::from_str(&body).map_err(|e| unreachable(&e))
    } else {
        match serde_json::from_str::<ErrorBody>(&body) {
            Ok(err) => Err(OperatorError::Refused(err)),
            Err(_) => Err(unreachable(&format!("HTTP {status}"))),
        }
    }
}

/// A chunked body's data.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || after.len() < n {
            break;
        }
        out.push_str(&after[..n]);
        rest = after[n..].trim_start_matches("\r\n");
    }
    out
}
