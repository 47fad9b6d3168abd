//! The tokens a request carries in `Authorization: Bearer …`: a desktop's session
//! token, a phone's token. Extractors, so a handler that needs one names it in its
//! signature; a request without one is refused with the code of an unknown token of
//! its kind (`invalid_session`, `unknown_phone`) and the broker decides whether the
//! token is known.

use super::ApiError;
use crate::error::BrokerError;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

fn bearer(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
}

/// A desktop's session token.
pub struct SessionToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for SessionToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        bearer(parts)
            .map(SessionToken)
            .ok_or_else(|| BrokerError::InvalidSession.into())
    }
}

/// The token a phone got at activation. Without one, the answer is `unknown_phone`,
/// as for a token the broker does not know: a phone is never told about sessions.
pub struct PhoneToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for PhoneToken {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        bearer(parts)
            .map(PhoneToken)
            .ok_or_else(|| BrokerError::UnknownPhone.into())
    }
}

/// `Option<PhoneToken>`: activation takes one for Add user (K5), none for a new phone.
impl<S: Send + Sync> OptionalFromRequestParts<S> for PhoneToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(bearer(parts).map(PhoneToken))
    }
}
