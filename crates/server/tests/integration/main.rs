//! The integration-test binary: every module starts the real `tessera` binary on 127.0.0.1 (a
//! port the server picks, a temporary data directory) and drives it with aws-sdk-s3, or with
//! hand-made HTTP where a test needs requests no SDK would send.

mod admin_cli;
mod buckets;
mod common;
mod crash;
mod disk_full;
mod iam;
mod listing;
mod multipart;
mod objects;
mod sts;
mod tls;
