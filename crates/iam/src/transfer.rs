//! Moving identity state between stores (`tessera admin iam export|import`): every record as
//! JSON, keyed as the stores key them (users, groups, policies, mappings, service accounts,
//! bucket policies, the STS key ring, revocations), so that a deployment moving from the
//! embedded store to etcd keeps its identities and its temporary credentials stay valid.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{IamError, IamResult};
use crate::system::IamSystem;

/// What an export is called inside, so an import can tell it from other JSON.
pub const EXPORT_FORMAT: &str = "tessera-iam-export";
/// Records per store batch on import (etcd allows 128 operations per transaction).
const IMPORT_BATCH: usize = 100;

/// Every identity record, as exported. Holds secrets: users' and service accounts' secret keys
/// and the STS signing keys.
#[derive(Serialize, Deserialize)]
pub struct IamExport {
    pub format: String,
    pub version: u32,
    pub records: BTreeMap<String, serde_json::Value>,
}

impl IamSystem {
    /// Every record of the store.
    pub fn export_records(&self) -> IamResult<IamExport> {
        let mut records = BTreeMap::new();
        for (key, bytes) in self.store.load_all()? {
            records.insert(key, serde_json::from_slice(&bytes)?);
        }
        Ok(IamExport {
            format: EXPORT_FORMAT.to_owned(),
            version: 1,
            records,
        })
    }

    /// Writes every record of `export` into the store (replacing records of the same keys,
    /// keeping others), then reloads this node's copy. Returns how many records were written.
    pub fn import_records(&self, export: &IamExport) -> IamResult<usize> {
        if export.format != EXPORT_FORMAT || export.version != 1 {
            return Err(IamError::InvalidArgument(format!(
                "this is not a Tessera IAM export (format `{}`, version {}); make one with `tessera admin iam export`",
                export.format, export.version
            )));
        }
        let mut batch = Vec::with_capacity(IMPORT_BATCH);
        let mut written = 0;
        let _writer = self.lock_writer();
        for (key, value) in &export.records {
            batch.push((key.clone(), Some(serde_json::to_vec(value)?)));
            if batch.len() == IMPORT_BATCH {
                written += self.write_unconditionally(std::mem::take(&mut batch))?;
            }
        }
        written += self.write_unconditionally(batch)?;
        self.reload_locked()?;
        Ok(written)
    }

    /// Writes `batch` whatever the store held before (re-reading once after a conflict).
    fn write_unconditionally(&self, batch: Vec<crate::Change>) -> IamResult<usize> {
        let n = batch.len();
        if n == 0 {
            return Ok(0);
        }
        match self.store.write(batch.clone()) {
            Err(IamError::Conflict) => {
                self.store.load_all()?;
                self.store.write(batch)?;
            }
            other => other?,
        }
        Ok(n)
    }
}
