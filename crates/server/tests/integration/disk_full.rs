//! A full disk: the data directory on a small tmpfs (mounting it needs root, which CI has).
//! A write that runs out of space fails with XMinioStorageFull, stores nothing and leaves no
//! file behind; reads keep working, and writes work again once space is free.

use std::path::{Path, PathBuf};
use std::process::Command;

use aws_sdk_s3::primitives::ByteStream;

use crate::common::{TestServer, bytes, code, data_files};

/// A tmpfs mounted for the test, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
    _tmp: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Result<Self, String> {
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = tmp.path().join("disk");
        std::fs::create_dir(&path).map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&path)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).into_owned());
        }
        Ok(Self { path, _tmp: tmp })
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.path).status();
    }
}

#[tokio::test]
async fn enospc_fails_the_write_and_keeps_reads_working() {
    let disk = match SmallDisk::mount("12m") {
        Ok(d) => d,
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("disk_full: cannot mount a tmpfs here ({e}); CI runs this test as root");
            return;
        }
        Err(e) => panic!("CI must be able to mount a tmpfs for the full-disk test: {e}"),
    };
    let dir = disk.path().join("data");
    let server = TestServer::start_in(&dir, &[], None);
    let s3 = server.client();
    s3.create_bucket().bucket("full").send().await.unwrap();
    let small = bytes(100 * 1024, 1);
    s3.put_object()
        .bucket("full")
        .key("small")
        .body(ByteStream::from(small.clone()))
        .send()
        .await
        .unwrap();
    let files_before = data_files(&dir).len();

    let e = s3
        .put_object()
        .bucket("full")
        .key("huge")
        .body(ByteStream::from(bytes(16 * 1024 * 1024, 2)))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "XMinioStorageFull");
    assert_eq!(e.raw_response().map(|r| r.status().as_u16()), Some(507));
    assert!(
        s3.head_object()
            .bucket("full")
            .key("huge")
            .send()
            .await
            .is_err(),
        "nothing may be stored"
    );
    assert_eq!(
        data_files(&dir).len(),
        files_before,
        "the partial file must be removed"
    );

    let got = s3
        .get_object()
        .bucket("full")
        .key("small")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        small.as_slice()
    );
    s3.put_object()
        .bucket("full")
        .key("after")
        .body(ByteStream::from(bytes(1024, 3)))
        .send()
        .await
        .unwrap();
    drop(server);
}
