//! The iam crate's error type: what can go wrong managing identities and their policies.

/// Every failure of an IAM operation. Messages say what was wrong and what to do; they never
/// carry a secret.
#[derive(Debug, thiserror::Error)]
pub enum IamError {
    #[error("the user `{0}` does not exist")]
    NoSuchUser(String),
    #[error("the group `{0}` does not exist")]
    NoSuchGroup(String),
    #[error("the policy `{0}` does not exist: create it first or check the name")]
    NoSuchPolicy(String),
    #[error("the service account `{0}` does not exist")]
    NoSuchServiceAccount(String),
    #[error("{0}")]
    InvalidArgument(String),
    #[error("the access key `{0}` is already in use")]
    AccessKeyInUse(String),
    #[error("the policy `{0}` is built in and cannot be changed or removed")]
    BuiltinPolicy(String),
    #[error("the group `{0}` still has members: remove them first")]
    GroupNotEmpty(String),
    #[error("the policy document is not valid: {0}")]
    InvalidPolicy(#[from] tessera_policy::PolicyError),
    #[error("the identity store failed: {0}")]
    Store(String),
    /// A shared store refused a batch because one of its records changed on another node
    /// since this node last read it (the change is retried on fresh state).
    #[error("an identity record changed on another node at the same time; retry the change")]
    Conflict,
    #[error(
        "the shared identity store (etcd) cannot be reached ({0}): changes to users, groups, policies and mappings are refused until it returns; requests are still authorised from this node's copy"
    )]
    StoreUnavailable(String),
}

macro_rules! store_error {
    ($($t:ty),*) => {$(
        impl From<$t> for IamError {
            fn from(e: $t) -> Self {
                Self::Store(e.to_string())
            }
        }
    )*};
}

store_error!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    serde_json::Error,
    std::io::Error
);

pub type IamResult<T> = Result<T, IamError>;
