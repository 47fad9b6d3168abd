//! Demonstrators reset the broker between visitors, and play Client Services on the
//! telephone (T1: a temporary passcode). Both need a broker with `--qa`, as the
//! bundled one has.

use crate::error::AppError;
use crate::link::Line;
use portcullis_api::TemporaryPasscodeIssued;
use portcullis_client::phone::PhoneSim;
use tauri::State;

/// Every phone token is void after a reset, so the phone simulator is provisioned
/// again (issue 6, item 12); card keys come from the scenario and stay valid.
#[tauri::command]
pub async fn demo_reset(line: State<'_, Line>, phone: State<'_, PhoneSim>) -> Result<(), AppError> {
    line.client()?.reset().await.map_err(|e| {
        e.or_qa_disabled("This login server does not allow a reset (its QA mode is off).")
    })?;
    phone.after_reset().await
}

/// T1, cases 4 and 5: Client Services, once the caller's identity is verified, issues
/// a temporary passcode (shown this once; the broker refuses a second in a row).
#[tauri::command]
pub async fn demo_temp_passcode(
    line: State<'_, Line>,
    username: String,
) -> Result<TemporaryPasscodeIssued, AppError> {
    line.client()?
        .issue_temporary_passcode(&username)
        .await
        .map_err(|e| {
            e.or_qa_disabled("This login server has no Client Services desk (its QA mode is off).")
        })
}
