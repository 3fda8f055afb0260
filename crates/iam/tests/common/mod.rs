//! What the iam test binaries share: the root account they open `IamSystem` with.

use std::sync::Arc;

use tessera_iam::{IamStore, IamSystem, RedbIamStore, RootAccount, Secret};

/// `IamSystem` over `store`, with the tests' root account.
pub fn open_with(store: Arc<dyn IamStore>) -> IamSystem {
    IamSystem::open(
        store,
        RootAccount {
            access_key: "rootuser".into(),
            secret_key: Secret::new("rootsecret123".into()),
        },
    )
    .unwrap()
}

/// `IamSystem` over the embedded store in `dir`.
#[allow(dead_code)] // not every test binary opens an embedded store
pub fn open(dir: &std::path::Path) -> IamSystem {
    open_with(Arc::new(RedbIamStore::open(&dir.join("iam.redb")).unwrap()))
}
