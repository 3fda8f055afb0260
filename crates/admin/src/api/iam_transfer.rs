//! `tessera/iam/export` and `tessera/iam/import`: every identity record out of one store and
//! into another (moving from the embedded store to etcd). Both bodies hold secrets (users'
//! secret keys, the STS signing keys), so both are madmin-encrypted with the caller's key, and
//! both need the admin actions MinIO has for the same purpose.

use serde::Serialize;
use tessera_iam::IamExport;

use super::{AdminApi, AdminError, AdminRequest, AdminResponse, parse_json};

/// `GET tessera/iam/export`: every record (`admin:ExportIAM`).
pub async fn export(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:ExportIAM")?;
    let export = api.iam.export_records()?;
    tracing::info!(records = export.records.len(), "identity records exported");
    api.encrypted(req, &export).await
}

#[derive(Serialize)]
struct Imported {
    records: usize,
}

/// `PUT tessera/iam/import`: writes an export's records (`admin:ImportIAM`); records of other
/// keys stay.
pub async fn import(api: &AdminApi, req: &AdminRequest) -> Result<AdminResponse, AdminError> {
    api.require(req, "admin:ImportIAM")?;
    let export: IamExport = parse_json(&api.decrypt_body(req).await?)?;
    let records = api.iam.import_records(&export)?;
    tracing::info!(records, "identity records imported");
    AdminResponse::json(&Imported { records })
}
