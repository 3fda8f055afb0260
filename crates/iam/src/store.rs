//! Where identity state is kept: the `IamStore` contract (a small key-value space written in
//! atomic, durable batches) and its embedded implementation on redb. Records are JSON under
//! keys such as `users/<access key>`; the in-memory cache in `state` is rebuilt from them.

use std::collections::BTreeMap;
use std::path::Path;

use redb::{Database, ReadableDatabase as _, ReadableTable as _, TableDefinition};

use crate::error::IamResult;

/// One change of a batch: a key and its new value, or `None` to delete it.
pub type Change = (String, Option<Vec<u8>>);

/// What a shared store calls when records changed through another node.
pub type ChangeListener = Box<dyn Fn() + Send + Sync>;

/// Durable storage for identity records. `write` applies a whole batch or nothing and returns
/// only once the batch is durable.
pub trait IamStore: Send + Sync + 'static {
    /// Every record, by key.
    fn load_all(&self) -> IamResult<BTreeMap<String, Vec<u8>>>;
    /// Applies a batch atomically and durably. A shared store refuses it with
    /// [`IamError::Conflict`](crate::IamError::Conflict) when a record of the batch changed
    /// since the last `load_all` this node's state was built from.
    fn write(&self, batch: Vec<Change>) -> IamResult<()>;
    /// Starts calling `on_change` whenever records change through another node; a store no
    /// other node writes never calls it.
    fn watch(&self, on_change: ChangeListener) -> IamResult<()> {
        drop(on_change);
        Ok(())
    }
}

const RECORDS: TableDefinition<&str, &[u8]> = TableDefinition::new("iam_records");

/// The embedded store: one redb file under the data directory.
pub struct RedbIamStore {
    db: Database,
}

impl RedbIamStore {
    pub fn open(path: &Path) -> IamResult<Self> {
        let db = Database::create(path)?;
        let txn = db.begin_write()?;
        txn.open_table(RECORDS)?;
        txn.commit()?;
        Ok(Self { db })
    }
}

impl IamStore for RedbIamStore {
    fn load_all(&self) -> IamResult<BTreeMap<String, Vec<u8>>> {
        let txn = self.db.begin_read()?;
        let table = txn.open_table(RECORDS)?;
        let mut out = BTreeMap::new();
        for item in table.iter()? {
            let (k, v) = item?;
            out.insert(k.value().to_owned(), v.value().to_vec());
        }
        Ok(out)
    }

    fn write(&self, batch: Vec<Change>) -> IamResult<()> {
        let txn = self.db.begin_write()?;
        {
            let mut table = txn.open_table(RECORDS)?;
            for (key, value) in &batch {
                match value {
                    Some(v) => {
                        table.insert(key.as_str(), v.as_slice())?;
                    }
                    None => {
                        table.remove(key.as_str())?;
                    }
                }
            }
        }
        txn.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_atomic_and_survive_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iam.redb");
        {
            let store = RedbIamStore::open(&path).unwrap();
            store
                .write(vec![
                    ("users/a".into(), Some(b"1".to_vec())),
                    ("users/b".into(), Some(b"2".to_vec())),
                ])
                .unwrap();
            store.write(vec![("users/a".into(), None)]).unwrap();
        }
        let store = RedbIamStore::open(&path).unwrap();
        let all = store.load_all().unwrap();
        assert_eq!(all.keys().collect::<Vec<_>>(), ["users/b"]);
    }
}
