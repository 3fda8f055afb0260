//! Proving identities for STS: OpenID Connect providers (discovery, a JWKS cache refreshed on
//! its own schedule and on an unknown key id at most once per interval, and JWT validation
//! with an algorithm allow-list per key type). Nothing here mints credentials or decides
//! policies: a verified token's claims go back to the STS flow that asked.

#![forbid(unsafe_code)]

pub mod ldap;
pub mod openid;
