//! STS errors: the codes MinIO answers with (reference §1.9), their HTTP status, and a message
//! that says what to fix. Messages never carry a secret, a password or a token.

/// The STS error codes this server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StsErrorCode {
    AccessDenied,
    MissingParameter,
    InvalidParameterValue,
    ExpiredToken,
    InternalError,
}

impl StsErrorCode {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StsErrorCode::AccessDenied => "AccessDenied",
            StsErrorCode::MissingParameter => "MissingParameter",
            StsErrorCode::InvalidParameterValue => "InvalidParameterValue",
            StsErrorCode::ExpiredToken => "ExpiredToken",
            StsErrorCode::InternalError => "InternalError",
        }
    }

    #[must_use]
    pub fn status(self) -> u16 {
        match self {
            StsErrorCode::AccessDenied => 403,
            StsErrorCode::MissingParameter
            | StsErrorCode::InvalidParameterValue
            | StsErrorCode::ExpiredToken => 400,
            StsErrorCode::InternalError => 500,
        }
    }
}

/// A refused STS request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct StsError {
    pub code: StsErrorCode,
    pub message: String,
}

impl StsError {
    #[must_use]
    pub fn new(code: StsErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `InvalidParameterValue`, the code of most refusals.
    #[must_use]
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StsErrorCode::InvalidParameterValue, message)
    }

    #[must_use]
    pub fn denied(message: impl Into<String>) -> Self {
        Self::new(StsErrorCode::AccessDenied, message)
    }
}

/// At most 64 characters of a client-supplied value, for messages.
pub(crate) fn excerpt(value: &str) -> String {
    let mut out: String = value.chars().take(64).collect();
    if out.len() < value.len() {
        out.push('…');
    }
    format!("`{}`", out.escape_debug())
}
