//! LDAP directories for AssumeRoleWithLDAPIdentity: the settings (`config`), canonical DNs
//! (`dn`), escaped search filters (`filter`), connections with their TLS and timeouts
//! (`connection`), and the directory operations a login and the admin mappings need
//! (`directory`). Nothing here mints credentials or decides policies.

pub mod config;
mod connection;
mod directory;
pub mod dn;
mod filter;

pub use config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_OPERATION_TIMEOUT, LdapConfig, Transport, split_base_dns,
};
pub use directory::{LdapDirectory, LdapIdentity, MAX_PASSWORD_BYTES, MAX_USERNAME_BYTES};
pub use dn::normalize_dn;

/// Why a directory operation failed. No text carries a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LdapError {
    #[error("LDAP configuration: {0}")]
    Config(String),
    #[error("`{dn}` is not a distinguished name: {why}")]
    InvalidDn { dn: String, why: String },
    #[error(
        "the LDAP password is empty: a bind without a password is anonymous and proves nothing, so it is refused"
    )]
    EmptyPassword,
    #[error("the LDAP username is longer than {MAX_USERNAME_BYTES} bytes")]
    UsernameTooLong,
    #[error("the LDAP password is longer than {MAX_PASSWORD_BYTES} bytes")]
    PasswordTooLong,
    /// The user is unknown or the password is wrong: deliberately one answer.
    #[error("LDAP login failed: the username or the password is not right")]
    LoginFailed,
    #[error(
        "the LDAP username `{username}` matches {count} entries under the user search base DNs; it must match exactly one (check USER_DN_SEARCH_FILTER and USER_DN_SEARCH_BASE_DN)"
    )]
    AmbiguousUser { username: String, count: usize },
    #[error("no LDAP {kind} `{name}` was found under the {kind} search base DNs")]
    NoSuchEntry { kind: &'static str, name: String },
    #[error("LDAP server error: {0}")]
    Unavailable(String),
    #[error("LDAP server error: no answer to the {operation} within {secs} s")]
    Timeout { operation: &'static str, secs: u64 },
    #[error(
        "LDAP server error: the lookup account could not bind ({0}); check LOOKUP_BIND_DN and LOOKUP_BIND_PASSWORD"
    )]
    LookupBindFailed(String),
    #[error("LDAP server error: the {operation} failed: {message}")]
    Operation {
        operation: &'static str,
        message: String,
    },
}
