//! `IamSystem` over a store shared with another node: a change decided on a stale copy is
//! refused by the store (`Conflict`), decided again on fresh state and applied without losing
//! the other node's change; `reload` picks up what the other node wrote. The shared store here
//! is an in-memory model of the etcd store's rule (a batch applies only if none of its keys
//! changed after the writer's last full read); the real etcd store is exercised end to end by
//! the interop suite (tests/interop/test_shared_identity.py).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

mod common;

use tessera_iam::{
    Account, Change, IamError, IamResult, IamStore, IamSystem, MappingTarget, MappingUpdate,
};

/// The records and, per key, the revision that last wrote it.
#[derive(Default)]
struct Shared {
    revision: u64,
    records: BTreeMap<String, (u64, Vec<u8>)>,
    conflicts: u64,
}

/// One node's view of the shared records: the revision of its last full read.
struct NodeStore {
    shared: Arc<Mutex<Shared>>,
    read_at: Mutex<u64>,
}

impl IamStore for NodeStore {
    fn load_all(&self) -> IamResult<BTreeMap<String, Vec<u8>>> {
        let shared = self.shared.lock().unwrap();
        *self.read_at.lock().unwrap() = shared.revision;
        Ok(shared
            .records
            .iter()
            .map(|(k, (_, v))| (k.clone(), v.clone()))
            .collect())
    }

    fn write(&self, batch: Vec<Change>) -> IamResult<()> {
        let mut shared = self.shared.lock().unwrap();
        let read_at = *self.read_at.lock().unwrap();
        if batch
            .iter()
            .any(|(k, _)| shared.records.get(k).is_some_and(|(rev, _)| *rev > read_at))
        {
            shared.conflicts += 1;
            return Err(IamError::Conflict);
        }
        shared.revision += 1;
        let rev = shared.revision;
        for (k, v) in batch {
            match v {
                Some(v) => shared.records.insert(k, (rev, v)),
                None => shared.records.remove(&k),
            };
        }
        if read_at + 1 == rev {
            *self.read_at.lock().unwrap() = rev;
        }
        Ok(())
    }
}

fn node(shared: &Arc<Mutex<Shared>>) -> IamSystem {
    common::open_with(Arc::new(NodeStore {
        shared: Arc::clone(shared),
        read_at: Mutex::new(0),
    }))
}

fn attach(iam: &IamSystem, user: &str, policy: &str) {
    iam.update_mapping(
        &MappingTarget::User(user.into()),
        &[policy.to_owned()],
        MappingUpdate::Attach,
    )
    .unwrap();
}

fn policies(iam: &IamSystem, user: &str) -> Vec<String> {
    let mut p = iam
        .policy_names_for(&Account::User { name: user.into() })
        .unwrap();
    p.sort();
    p
}

#[test]
fn a_change_on_a_stale_copy_is_decided_again_and_loses_nothing() {
    let shared = Arc::new(Mutex::new(Shared::default()));
    let a = node(&shared);
    let b = node(&shared);
    a.add_user("kim", "kim-secret-key").unwrap();
    b.reload().unwrap();
    attach(&a, "kim", "readonly");
    // b has not seen a's attach: its attach conflicts, is decided again on fresh state, and
    // keeps a's policy.
    attach(&b, "kim", "diagnostics");
    assert_eq!(shared.lock().unwrap().conflicts, 1);
    assert_eq!(policies(&b, "kim"), ["diagnostics", "readonly"]);
    a.reload().unwrap();
    assert_eq!(policies(&a, "kim"), ["diagnostics", "readonly"]);
}

#[test]
fn both_nodes_share_one_key_ring_and_see_each_others_users_after_reload() {
    let shared = Arc::new(Mutex::new(Shared::default()));
    let a = node(&shared);
    let b = node(&shared);
    assert_eq!(a.signing_keys()[0].created, b.signing_keys()[0].created);
    let creds = a
        .issue_temporary(
            &Account::Root,
            tessera_iam::Flow::AssumeRole,
            600,
            None,
            None,
        )
        .unwrap();
    assert!(
        b.verify_session(&creds.access_key, &creds.session_token)
            .is_ok()
    );
    b.add_user("lee", "lee-secret-key").unwrap();
    assert!(a.user_info("lee").is_err(), "not reloaded yet");
    a.reload().unwrap();
    assert!(a.user_info("lee").is_ok());
}
