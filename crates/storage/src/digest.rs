//! Hashing a body as it streams past, and checking it against what the writer promised
//! (length, Content-MD5, `x-amz-checksum-*`), so that a broken promise stores nothing.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use md5::Digest as _;

use crate::error::{StorageError, StorageResult};
use crate::types::{BodyPromise, ChecksumAlgorithm, Checksums};

/// Running hashes over a body: always MD5 (the ETag), plus each requested checksum.
pub struct BodyDigest {
    md5: md5::Md5,
    size: u64,
    crc32: Option<crc32fast::Hasher>,
    crc32c: Option<u32>,
    crc64: Option<crc64fast_nvme::Digest>,
    sha1: Option<sha1::Sha1>,
    sha256: Option<sha2::Sha256>,
}

/// The finished digest of a body.
#[derive(Debug, Clone)]
pub struct BodySummary {
    pub size: u64,
    pub md5: [u8; 16],
    pub checksums: Checksums,
}

impl BodySummary {
    /// The ETag of a single-part object: the hex MD5.
    #[must_use]
    pub fn etag(&self) -> String {
        hex::encode(self.md5)
    }
}

impl BodyDigest {
    #[must_use]
    pub fn new(algorithms: impl IntoIterator<Item = ChecksumAlgorithm>) -> Self {
        let mut d = Self {
            md5: md5::Md5::new(),
            size: 0,
            crc32: None,
            crc32c: None,
            crc64: None,
            sha1: None,
            sha256: None,
        };
        for a in algorithms {
            match a {
                ChecksumAlgorithm::Crc32 => d.crc32 = Some(crc32fast::Hasher::new()),
                ChecksumAlgorithm::Crc32c => d.crc32c = Some(0),
                ChecksumAlgorithm::Crc64Nvme => d.crc64 = Some(crc64fast_nvme::Digest::new()),
                ChecksumAlgorithm::Sha1 => d.sha1 = Some(sha1::Sha1::new()),
                ChecksumAlgorithm::Sha256 => d.sha256 = Some(sha2::Sha256::new()),
            }
        }
        d
    }

    pub fn update(&mut self, chunk: &[u8]) {
        self.md5.update(chunk);
        self.size += chunk.len() as u64;
        if let Some(h) = &mut self.crc32 {
            h.update(chunk);
        }
        if let Some(c) = &mut self.crc32c {
            *c = crc32c::crc32c_append(*c, chunk);
        }
        if let Some(h) = &mut self.crc64 {
            h.write(chunk);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(chunk);
        }
        if let Some(h) = &mut self.sha256 {
            h.update(chunk);
        }
    }

    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    #[must_use]
    pub fn finish(self) -> BodySummary {
        let mut checksums = Checksums::new();
        if let Some(h) = self.crc32 {
            checksums.insert(
                ChecksumAlgorithm::Crc32,
                BASE64.encode(h.finalize().to_be_bytes()),
            );
        }
        if let Some(c) = self.crc32c {
            checksums.insert(ChecksumAlgorithm::Crc32c, BASE64.encode(c.to_be_bytes()));
        }
        if let Some(h) = self.crc64 {
            checksums.insert(
                ChecksumAlgorithm::Crc64Nvme,
                BASE64.encode(h.sum64().to_be_bytes()),
            );
        }
        if let Some(h) = self.sha1 {
            checksums.insert(ChecksumAlgorithm::Sha1, BASE64.encode(h.finalize()));
        }
        if let Some(h) = self.sha256 {
            checksums.insert(ChecksumAlgorithm::Sha256, BASE64.encode(h.finalize()));
        }
        BodySummary {
            size: self.size,
            md5: self.md5.finalize().into(),
            checksums,
        }
    }
}

impl BodyPromise {
    /// Fails as soon as a body grows past its announced or allowed length.
    pub fn check_growing(&self, size: u64) -> StorageResult<()> {
        if let Some(limit) = self.max_length
            && size > limit
        {
            return Err(StorageError::EntityTooLarge { size, limit });
        }
        if let Some(declared) = self.length
            && size > declared
        {
            return Err(StorageError::IncompleteBody {
                declared,
                received: size,
            });
        }
        Ok(())
    }

    /// Checks every promise against the finished body.
    pub fn check_finished(&self, summary: &BodySummary) -> StorageResult<()> {
        if let Some(declared) = self.length
            && declared != summary.size
        {
            return Err(StorageError::IncompleteBody {
                declared,
                received: summary.size,
            });
        }
        if let Some(md5) = self.md5
            && md5 != summary.md5
        {
            return Err(StorageError::BadDigest);
        }
        let late = self
            .late_checksums
            .as_ref()
            .map(|l| (l.0)())
            .unwrap_or_default();
        let expected = self
            .checksums
            .iter()
            .filter_map(|(a, v)| v.as_ref().map(|v| (*a, v)))
            .chain(late.iter().map(|(a, v)| (*a, v)));
        for (algorithm, expected) in expected {
            // A trailer naming an algorithm that was not announced cannot be checked: refuse it.
            if summary.checksums.get(&algorithm) != Some(expected) {
                return Err(StorageError::ChecksumMismatch {
                    algorithm: algorithm.name(),
                });
            }
        }
        Ok(())
    }
}

/// The ETag of a multipart object: MD5 over the concatenated binary MD5s of its parts, then `-N`.
#[must_use]
pub fn multipart_etag(part_etags: &[String]) -> String {
    let mut h = md5::Md5::new();
    for e in part_etags {
        if let Ok(raw) = hex::decode(e) {
            h.update(raw);
        }
    }
    format!("{}-{}", hex::encode(h.finalize()), part_etags.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_vectors() {
        let mut d = BodyDigest::new(ChecksumAlgorithm::ALL);
        d.update(b"hello ");
        d.update(b"world");
        let s = d.finish();
        assert_eq!(s.etag(), "5eb63bbbe01eeed093cb22bb8f5acdc3");
        assert_eq!(s.checksums[&ChecksumAlgorithm::Crc32], "DUoRhQ==");
        assert_eq!(s.checksums[&ChecksumAlgorithm::Crc32c], "yZRlqg==");
        assert_eq!(
            s.checksums[&ChecksumAlgorithm::Sha1],
            "Kq5sNclPz7QV2+lfQIuc6R7oRu0="
        );
        assert_eq!(
            s.checksums[&ChecksumAlgorithm::Sha256],
            "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek="
        );
    }

    #[test]
    fn broken_promises_are_reported() {
        let mut d = BodyDigest::new([ChecksumAlgorithm::Crc32]);
        d.update(b"abc");
        let s = d.finish();
        let p = BodyPromise {
            length: Some(4),
            ..Default::default()
        };
        assert!(matches!(
            p.check_finished(&s),
            Err(StorageError::IncompleteBody {
                declared: 4,
                received: 3
            })
        ));
        let p = BodyPromise {
            md5: Some([0; 16]),
            ..Default::default()
        };
        assert!(matches!(p.check_finished(&s), Err(StorageError::BadDigest)));
        let mut p = BodyPromise::default();
        p.checksums
            .insert(ChecksumAlgorithm::Crc32, Some("AAAAAA==".into()));
        assert!(matches!(
            p.check_finished(&s),
            Err(StorageError::ChecksumMismatch { .. })
        ));
        assert!(BodyPromise::default().check_finished(&s).is_ok());
    }

    #[test]
    fn multipart_etag_has_part_count() {
        let e = multipart_etag(&[
            "5eb63bbbe01eeed093cb22bb8f5acdc3".into(),
            "5eb63bbbe01eeed093cb22bb8f5acdc3".into(),
        ]);
        assert!(e.ends_with("-2"));
        assert_eq!(e.len(), 32 + 2);
    }
}
