//! Multipart uploads on disk: each part is its own durable data file recorded in the `parts`
//! table; completion concatenates the named parts into one new data file and swaps the upload
//! for the object in a single index transaction.

use redb::{ReadableTable as _, WriteTransaction};

use super::index::{Index, PARTS, StoredObject, StoredPart, UPLOADS, decode, encode};
use super::{DiskBackend, current_object, replace_object, require_bucket_in};
use crate::digest::{BodyDigest, multipart_etag};
use crate::error::{StorageError, StorageResult};
use crate::types::{
    BodyPromise, BodyStream, ChecksumAlgorithm, CompletedPart, MAX_PART_NUMBER, MIN_PART_SIZE,
    ObjectAttributes, ObjectInfo, PartInfo, Preconditions, UploadInfo, now_millis,
};
use crate::{PartPage, UploadPage, UploadQuery};

/// The upload, if it exists and belongs to `bucket`/`key`.
fn upload_for(
    txn: &redb::ReadTransaction,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> StorageResult<UploadInfo> {
    match Index::upload(txn, upload_id)? {
        Some(u) if u.bucket == bucket && u.key == key => Ok(u),
        _ => Err(StorageError::NoSuchUpload(upload_id.to_owned())),
    }
}

fn upload_in(
    txn: &WriteTransaction,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> StorageResult<UploadInfo> {
    let t = txn.open_table(UPLOADS)?;
    let found: Option<UploadInfo> = t.get(upload_id)?.map(|v| decode(v.value())).transpose()?;
    match found {
        Some(u) if u.bucket == bucket && u.key == key => Ok(u),
        _ => Err(StorageError::NoSuchUpload(upload_id.to_owned())),
    }
}

/// Inside a write transaction: forgets an upload and its parts; returns their data files.
fn remove_upload(txn: &WriteTransaction, upload_id: &str) -> StorageResult<Vec<String>> {
    let mut parts = txn.open_table(PARTS)?;
    let mut freed = Vec::new();
    let mut numbers = Vec::new();
    for item in parts.range((upload_id, i32::MIN)..=(upload_id, i32::MAX))? {
        let (k, v) = item?;
        numbers.push(k.value().1);
        freed.push(decode::<StoredPart>(v.value())?.data_id);
    }
    for n in numbers {
        parts.remove((upload_id, n))?;
    }
    txn.open_table(UPLOADS)?.remove(upload_id)?;
    Ok(freed)
}

/// Inside a write transaction: forgets every upload of a bucket being deleted.
pub fn remove_bucket_uploads(txn: &WriteTransaction, bucket: &str) -> StorageResult<Vec<String>> {
    let ids: Vec<String> = {
        let t = txn.open_table(UPLOADS)?;
        let mut ids = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            if decode::<UploadInfo>(v.value())?.bucket == bucket {
                ids.push(k.value().to_owned());
            }
        }
        ids
    };
    let mut freed = Vec::new();
    for id in ids {
        freed.extend(remove_upload(txn, &id)?);
    }
    Ok(freed)
}

/// Inside a write transaction: forgets uploads initiated before `cutoff`; returns their files.
pub fn remove_uploads_before(
    txn: &WriteTransaction,
    cutoff: i64,
) -> StorageResult<(usize, Vec<String>)> {
    let ids: Vec<String> = {
        let t = txn.open_table(UPLOADS)?;
        let mut ids = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            if decode::<UploadInfo>(v.value())?.initiated < cutoff {
                ids.push(k.value().to_owned());
            }
        }
        ids
    };
    let mut freed = Vec::new();
    for id in &ids {
        freed.extend(remove_upload(txn, id)?);
    }
    Ok((ids.len(), freed))
}

pub async fn create(
    backend: &DiskBackend,
    bucket: &str,
    key: &str,
    attributes: ObjectAttributes,
    checksum_algorithm: Option<ChecksumAlgorithm>,
) -> StorageResult<UploadInfo> {
    let info = UploadInfo {
        upload_id: uuid::Uuid::new_v4().simple().to_string(),
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        initiated: now_millis(),
        attributes,
        checksum_algorithm,
    };
    let record = info.clone();
    backend
        .index
        .write(move |txn| {
            require_bucket_in(txn, &record.bucket)?;
            txn.open_table(UPLOADS)?
                .insert(record.upload_id.as_str(), encode(&record)?.as_slice())?;
            Ok(())
        })
        .await?;
    Ok(info)
}

pub async fn upload_part(
    backend: &DiskBackend,
    bucket: &str,
    key: &str,
    upload_id: &str,
    part_number: i32,
    body: BodyStream,
    promise: BodyPromise,
) -> StorageResult<PartInfo> {
    if !(1..=MAX_PART_NUMBER).contains(&part_number) {
        return Err(StorageError::InvalidArgument(format!(
            "part number {part_number} is out of range: use 1 to {MAX_PART_NUMBER}"
        )));
    }
    let upload = {
        let txn = backend.index.read()?;
        if Index::bucket(&txn, bucket)?.is_none() {
            return Err(StorageError::NoSuchBucket(bucket.to_owned()));
        }
        upload_for(&txn, bucket, key, upload_id)?
    };
    let mut promise = promise;
    if let Some(a) = upload.checksum_algorithm {
        promise.checksums.entry(a).or_insert(None);
    }
    let digest = BodyDigest::new(promise.checksums.keys().copied());
    let written = backend.files.write(body, &promise, digest).await?;
    let part = StoredPart {
        info: PartInfo {
            part_number,
            size: written.summary.size,
            etag: written.summary.etag(),
            last_modified: now_millis(),
            checksums: written.summary.checksums.clone(),
        },
        data_id: written.id.clone(),
    };
    let info = part.info.clone();
    let (bucket, key, upload_id) = (bucket.to_owned(), key.to_owned(), upload_id.to_owned());
    let replaced = backend
        .index
        .write(move |txn| {
            upload_in(txn, &bucket, &key, &upload_id)?;
            let mut parts = txn.open_table(PARTS)?;
            let old = parts.insert((upload_id.as_str(), part_number), encode(&part)?.as_slice())?;
            old.map(|v| decode::<StoredPart>(v.value()).map(|p| p.data_id))
                .transpose()
        })
        .await?;
    written.keep();
    backend.files.remove(replaced.into_iter().collect()).await;
    Ok(info)
}

/// Checks the client's part list against the stored parts and returns the data files in order.
fn chosen_parts(
    stored: &std::collections::BTreeMap<i32, StoredPart>,
    parts: &[CompletedPart],
) -> StorageResult<Vec<StoredPart>> {
    if parts.is_empty() {
        return Err(StorageError::InvalidArgument(
            "CompleteMultipartUpload needs at least one part: list the parts you uploaded".into(),
        ));
    }
    let mut chosen = Vec::with_capacity(parts.len());
    let mut previous = 0;
    for (i, p) in parts.iter().enumerate() {
        if p.part_number <= previous {
            return Err(StorageError::InvalidPartOrder);
        }
        previous = p.part_number;
        let Some(s) = stored.get(&p.part_number) else {
            return Err(StorageError::InvalidPart(format!(
                "part {} was never uploaded (or was uploaded to another upload id)",
                p.part_number
            )));
        };
        let wanted = p.etag.trim().trim_matches('"');
        if wanted != s.info.etag {
            return Err(StorageError::InvalidPart(format!(
                "part {} has ETag \"{}\", not \"{}\": upload it again or name the right ETag",
                p.part_number, s.info.etag, wanted
            )));
        }
        let is_last = i + 1 == parts.len();
        if !is_last && s.info.size < MIN_PART_SIZE {
            return Err(StorageError::EntityTooSmall {
                part_number: p.part_number,
                size: s.info.size,
            });
        }
        chosen.push(s.clone());
    }
    Ok(chosen)
}

fn stored_parts(
    txn: &redb::ReadTransaction,
    upload_id: &str,
) -> StorageResult<std::collections::BTreeMap<i32, StoredPart>> {
    let t = txn.open_table(PARTS)?;
    let mut out = std::collections::BTreeMap::new();
    for item in t.range((upload_id, i32::MIN)..=(upload_id, i32::MAX))? {
        let (k, v) = item?;
        out.insert(k.value().1, decode(v.value())?);
    }
    Ok(out)
}

pub async fn complete(
    backend: &DiskBackend,
    bucket: &str,
    key: &str,
    upload_id: &str,
    parts: &[CompletedPart],
    preconditions: &Preconditions,
) -> StorageResult<ObjectInfo> {
    let (upload, chosen) = {
        let txn = backend.index.read()?;
        if Index::bucket(&txn, bucket)?.is_none() {
            return Err(StorageError::NoSuchBucket(bucket.to_owned()));
        }
        let upload = upload_for(&txn, bucket, key, upload_id)?;
        let stored = stored_parts(&txn, upload_id)?;
        (upload, chosen_parts(&stored, parts)?)
    };
    let etag = multipart_etag(
        &chosen
            .iter()
            .map(|p| p.info.etag.clone())
            .collect::<Vec<_>>(),
    );
    let written = backend
        .files
        .concatenate(
            chosen.iter().map(|p| p.data_id.clone()).collect(),
            BodyDigest::new([]),
        )
        .await?;
    let part_count = u32::try_from(chosen.len()).unwrap_or(u32::MAX);
    let stored = StoredObject {
        info: ObjectInfo {
            key: key.to_owned(),
            size: written.summary.size,
            etag,
            last_modified: now_millis(),
            attributes: upload.attributes.clone(),
            checksums: Default::default(),
            parts_count: Some(part_count),
        },
        data_id: written.id.clone(),
    };
    let info = stored.info.clone();
    let chosen_ids: Vec<(i32, String)> = chosen
        .iter()
        .map(|p| (p.info.part_number, p.data_id.clone()))
        .collect();
    let (bucket, key, upload_id, preconditions) = (
        bucket.to_owned(),
        key.to_owned(),
        upload_id.to_owned(),
        preconditions.clone(),
    );
    let freed = backend
        .index
        .write(move |txn| {
            require_bucket_in(txn, &bucket)?;
            upload_in(txn, &bucket, &key, &upload_id)?;
            // A part re-uploaded while we concatenated would make the object differ from the
            // part list the client named: refuse rather than publish the old bytes.
            {
                let t = txn.open_table(PARTS)?;
                for (n, id) in &chosen_ids {
                    let now: Option<StoredPart> = t.get((upload_id.as_str(), *n))?.map(|v| decode(v.value())).transpose()?;
                    if now.as_ref().map(|p| &p.data_id) != Some(id) {
                        return Err(StorageError::InvalidPart(format!(
                            "part {n} changed while the upload was being completed: complete it again"
                        )));
                    }
                }
            }
            if !preconditions.is_empty() {
                let current = current_object(txn, &bucket, &key)?;
                if !preconditions.allows_write(current.as_ref().map(|c| &c.info)) {
                    return Err(StorageError::PreconditionFailed);
                }
            }
            let mut freed = remove_upload(txn, &upload_id)?;
            freed.extend(replace_object(txn, &bucket, &stored, &[])?);
            Ok(freed)
        })
        .await?;
    written.keep();
    backend.files.remove(freed).await;
    Ok(info)
}

pub async fn abort(
    backend: &DiskBackend,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> StorageResult<()> {
    let (bucket, key, upload_id) = (bucket.to_owned(), key.to_owned(), upload_id.to_owned());
    let freed = backend
        .index
        .write(move |txn| {
            require_bucket_in(txn, &bucket)?;
            upload_in(txn, &bucket, &key, &upload_id)?;
            remove_upload(txn, &upload_id)
        })
        .await?;
    backend.files.remove(freed).await;
    Ok(())
}

pub fn list_parts(
    backend: &DiskBackend,
    bucket: &str,
    key: &str,
    upload_id: &str,
    after_part: Option<i32>,
    max_parts: usize,
) -> StorageResult<PartPage> {
    let txn = backend.index.read()?;
    if Index::bucket(&txn, bucket)?.is_none() {
        return Err(StorageError::NoSuchBucket(bucket.to_owned()));
    }
    let upload = upload_for(&txn, bucket, key, upload_id)?;
    let stored = stored_parts(&txn, upload_id)?;
    let after = after_part.unwrap_or(0);
    let mut parts: Vec<PartInfo> = stored
        .into_values()
        .map(|p| p.info)
        .filter(|p| p.part_number > after)
        .collect();
    let truncated = parts.len() > max_parts;
    parts.truncate(max_parts);
    Ok(PartPage {
        upload,
        parts,
        truncated,
    })
}

pub fn list_uploads(
    backend: &DiskBackend,
    bucket: &str,
    q: &UploadQuery<'_>,
) -> StorageResult<UploadPage> {
    let txn = backend.index.read()?;
    if Index::bucket(&txn, bucket)?.is_none() {
        return Err(StorageError::NoSuchBucket(bucket.to_owned()));
    }
    let t = txn.open_table(UPLOADS)?;
    let mut uploads = Vec::new();
    for item in t.iter()? {
        let (_, v) = item?;
        let u: UploadInfo = decode(v.value())?;
        if u.bucket == bucket && u.key.starts_with(q.prefix) {
            uploads.push(u);
        }
    }
    uploads.sort_by(|a, b| {
        (a.key.as_str(), a.initiated, a.upload_id.as_str()).cmp(&(
            b.key.as_str(),
            b.initiated,
            b.upload_id.as_str(),
        ))
    });
    if let Some(key_marker) = q.key_marker {
        // After an upload id: later uploads of the same key, then later keys.
        uploads.retain(|u| {
            u.key.as_str() > key_marker
                || (u.key == key_marker
                    && q.upload_id_marker
                        .is_some_and(|id| u.upload_id.as_str() > id))
        });
    }
    let delimiter = q.delimiter.filter(|d| !d.is_empty());
    let mut page = UploadPage::default();
    let mut count = 0;
    for u in uploads {
        let group = delimiter.and_then(|d| {
            u.key[q.prefix.len()..]
                .find(d)
                .map(|pos| u.key[..q.prefix.len() + pos + d.len()].to_owned())
        });
        if let Some(g) = &group
            && (page.common_prefixes.last() == Some(g)
                || q.key_marker.is_some_and(|m| m.starts_with(g.as_str())))
        {
            continue;
        }
        if count == q.max_uploads {
            page.truncated = true;
            break;
        }
        count += 1;
        match group {
            Some(g) => page.common_prefixes.push(g),
            None => page.uploads.push(u),
        }
    }
    Ok(page)
}
