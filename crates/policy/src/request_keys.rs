//! [`RequestKey`] and [`RequestKeys`]: the condition keys a server sets on ordinary requests,
//! as bits. A policy records which of them it reads when it is parsed, so that a server can
//! build, per request, only the keys the policies of the decision reference: one bit test per
//! key instead of a lookup by name.

/// A condition key that the S3 front end derives from every request (identity, time, client,
/// headers, listing parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RequestKey {
    Username,
    Userid,
    PrincipalType,
    CurrentTime,
    EpochTime,
    SourceIp,
    SecureTransport,
    UserAgent,
    Referer,
    XAmzAcl,
    XAmzCopySource,
    XAmzMetadataDirective,
    XAmzServerSideEncryption,
    XAmzStorageClass,
    XAmzContentSha256,
    Prefix,
    Delimiter,
    MaxKeys,
}

impl RequestKey {
    /// Every request key, in bit order.
    pub const ALL: [RequestKey; 18] = [
        RequestKey::Username,
        RequestKey::Userid,
        RequestKey::PrincipalType,
        RequestKey::CurrentTime,
        RequestKey::EpochTime,
        RequestKey::SourceIp,
        RequestKey::SecureTransport,
        RequestKey::UserAgent,
        RequestKey::Referer,
        RequestKey::XAmzAcl,
        RequestKey::XAmzCopySource,
        RequestKey::XAmzMetadataDirective,
        RequestKey::XAmzServerSideEncryption,
        RequestKey::XAmzStorageClass,
        RequestKey::XAmzContentSha256,
        RequestKey::Prefix,
        RequestKey::Delimiter,
        RequestKey::MaxKeys,
    ];

    /// The key's normalised name (lower-case, as [`crate::Conditions`] stores it).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            RequestKey::Username => "aws:username",
            RequestKey::Userid => "aws:userid",
            RequestKey::PrincipalType => "aws:principaltype",
            RequestKey::CurrentTime => "aws:currenttime",
            RequestKey::EpochTime => "aws:epochtime",
            RequestKey::SourceIp => "aws:sourceip",
            RequestKey::SecureTransport => "aws:securetransport",
            RequestKey::UserAgent => "aws:useragent",
            RequestKey::Referer => "aws:referer",
            RequestKey::XAmzAcl => "s3:x-amz-acl",
            RequestKey::XAmzCopySource => "s3:x-amz-copy-source",
            RequestKey::XAmzMetadataDirective => "s3:x-amz-metadata-directive",
            RequestKey::XAmzServerSideEncryption => "s3:x-amz-server-side-encryption",
            RequestKey::XAmzStorageClass => "s3:x-amz-storage-class",
            RequestKey::XAmzContentSha256 => "s3:x-amz-content-sha256",
            RequestKey::Prefix => "s3:prefix",
            RequestKey::Delimiter => "s3:delimiter",
            RequestKey::MaxKeys => "s3:max-keys",
        }
    }

    /// The request key with this normalised name.
    #[must_use]
    pub fn from_name(name: &str) -> Option<RequestKey> {
        RequestKey::ALL.into_iter().find(|k| k.name() == name)
    }

    const fn bit(self) -> u32 {
        1 << self as u8
    }
}

/// A set of [`RequestKey`]s.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestKeys(u32);

impl RequestKeys {
    /// No key.
    pub const NONE: RequestKeys = RequestKeys(0);
    /// Every key (for contexts built regardless of the policies).
    pub const ALL: RequestKeys = RequestKeys((1 << RequestKey::ALL.len()) - 1);

    /// Whether `key` is in the set.
    #[must_use]
    pub const fn contains(self, key: RequestKey) -> bool {
        self.0 & key.bit() != 0
    }

    /// The set with `key` added.
    #[must_use]
    pub const fn with(self, key: RequestKey) -> RequestKeys {
        RequestKeys(self.0 | key.bit())
    }

    /// Both sets together.
    #[must_use]
    pub const fn union(self, other: RequestKeys) -> RequestKeys {
        RequestKeys(self.0 | other.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bits_are_distinct() {
        let mut seen = RequestKeys::NONE;
        for key in RequestKey::ALL {
            assert_eq!(RequestKey::from_name(key.name()), Some(key));
            assert!(!seen.contains(key));
            seen = seen.with(key);
        }
        assert_eq!(seen, RequestKeys::ALL);
        assert_eq!(RequestKey::from_name("jwt:sub"), None);
    }
}
