//! Activation (K1), and Add user on a phone already set up (K5): start with the
//! password and the number, answer the active device first when the number is not on
//! record (item 4), then the code from the SMS — read from the broker's simulated
//! outbox — and the user's PIN or biometrics.

use super::account::masked_tail;
use super::{lock, qa_off, PhoneAccount, PhoneIdentity, PhoneSim};
use crate::error::Error;
use portcullis_api::{
    ActivationFinishRequest, ActivationStartRequest, ActivationStep, ActivationVerifyRequest,
    SmsOutbox, VerifyDevice, VerifyMethod,
};

/// An activation under way (K1): its id, the number typed, and — while the user's
/// current second factor is being checked first — where its SMS code went.
#[derive(Clone)]
pub(super) struct Activation {
    id: String,
    number: String,
    /// The masked number on record a verification code went to (`method: sms`).
    verify_sms_to: Option<String>,
}

impl PhoneSim {
    /// K1 (K5 when this phone is already set up). The answer's `status` says what
    /// comes next: `code_sent` (an activation code went by SMS) or `verify_device`
    /// (item 4: the user's active second factor first).
    pub async fn activation_start(
        &self,
        username: &str,
        password: &str,
        phone_number: &str,
    ) -> Result<ActivationStep, Error> {
        let body = ActivationStartRequest {
            username: username.to_owned(),
            password: password.to_owned(),
            phone_number: phone_number.to_owned(),
        };
        let token = self.token();
        let client = self.host().client()?;
        let started = client.activation_start(token.as_deref(), &body).await?;
        let (id, verify_sms_to) = match &started {
            ActivationStep::CodeSent(sent) => (sent.activation_id.clone(), None),
            ActivationStep::VerifyDevice(VerifyDevice {
                activation_id,
                method,
                ..
            }) => (
                activation_id.clone(),
                match method {
                    VerifyMethod::Sms { masked_number } => Some(masked_number.clone()),
                    VerifyMethod::Challenge { .. }
                    | VerifyMethod::IndexCard { .. }
                    | VerifyMethod::TemporaryPasscode {} => None,
                },
            ),
        };
        *lock(&self.inner.activation) = Some(Activation {
            id,
            number: phone_number.to_owned(),
            verify_sms_to,
        });
        Ok(started)
    }

    fn activation(&self) -> Result<Activation, Error> {
        lock(&self.inner.activation)
            .clone()
            .ok_or_else(|| Error::new("activation_over", "Start the activation first."))
    }

    /// Item 4: the response of the user's active device (or the SMS code sent to the
    /// number on record); answers like `start`'s `code_sent`. A wrong one ends the
    /// activation (start again).
    pub async fn activation_verify(&self, response: &str) -> Result<ActivationStep, Error> {
        let activation = self.activation()?;
        let body = ActivationVerifyRequest {
            activation_id: activation.id,
            response: response.trim().to_owned(),
        };
        let token = self.token();
        let client = self.host().client()?;
        match client.activation_verify(token.as_deref(), &body).await {
            Ok(sent) => {
                if let Some(a) = lock(&self.inner.activation).as_mut() {
                    a.verify_sms_to = None;
                }
                Ok(sent)
            }
            Err(e) => {
                if !e.is_connection() {
                    *lock(&self.inner.activation) = None;
                }
                Err(e)
            }
        }
    }

    /// The phone's text messages (the broker's simulated SMS outbox, demo/QA only).
    /// While a verification code went to the number on record, that number's messages.
    pub async fn messages(&self) -> Result<SmsOutbox, Error> {
        let activation = lock(&self.inner.activation).clone();
        if let Some(masked) = activation.as_ref().and_then(|a| a.verify_sms_to.clone()) {
            let tail = masked_tail(&masked);
            let mut all = self.host().client()?.sms(None).await.map_err(qa_off)?;
            all.messages.retain(|m| m.number.ends_with(&tail));
            return Ok(all);
        }
        let number = activation.map(|a| a.number).or_else(|| {
            lock(&self.inner.identity)
                .as_ref()
                .and_then(|i| i.number.clone())
        });
        let Some(number) = number else {
            return Ok(SmsOutbox { messages: vec![] });
        };
        self.host()
            .client()?
            .sms(Some(&number))
            .await
            .map_err(qa_off)
    }

    /// K1's last step (K5: a user added to this phone): the code from the SMS, and how
    /// the user will authenticate. The phone keeps its key and starts listening.
    pub async fn activation_finish(
        &self,
        code: &str,
        security: &str,
        pin: &str,
    ) -> Result<(), Error> {
        let activation = self.activation()?;
        let body = ActivationFinishRequest {
            activation_id: activation.id,
            code: code.to_owned(),
            security: security.to_owned(),
            pin: pin.to_owned(),
        };
        let token = self.token();
        let client = self.host().client()?;
        let done = client.activation_finish(token.as_deref(), &body).await?;
        let account = PhoneAccount {
            username: done.username,
            device_id: done.device_id,
            secret_hex: done.secret_hex,
            pin_sha1_hex: (security == "biometric")
                .then(|| hex::encode(ocra::hash_pin(ocra::HashAlgorithm::Sha1, pin))),
            security: security.to_owned(),
        };
        let existing = lock(&self.inner.identity).clone();
        let identity = match (existing, done.phone_token) {
            (Some(mut existing), None) => {
                existing.accounts.retain(|a| a.username != account.username);
                existing.accounts.push(account);
                existing
            }
            (_, Some(new_token)) => PhoneIdentity {
                phone_id: done.phone_id,
                token: new_token,
                number: Some(activation.number),
                accounts: vec![account],
            },
            (None, None) => {
                return Err(Error::new(
                    "phone",
                    "The login server did not register this phone.",
                ))
            }
        };
        self.save(identity)?;
        *lock(&self.inner.activation) = None;
        self.listen();
        Ok(())
    }
}
