//! What an operator sets for STS: the bounds of `DurationSeconds`
//! (`TESSERA_STS_DURATION_MIN|MAX`), MinIO's `MINIO_STS_DURATION` override, and the region a
//! signature must name when the server has one.

/// 15 minutes, AWS's and MinIO's shortest session.
pub const DEFAULT_MIN_SECS: i64 = 900;
/// 365 days, MinIO's longest session.
pub const DEFAULT_MAX_SECS: i64 = 365 * 86_400;
/// The lifetime of AssumeRole credentials when the request names none.
pub const DEFAULT_ASSUME_ROLE_SECS: i64 = 3600;

/// The allowed range of session lifetimes, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DurationBounds {
    pub min_secs: i64,
    pub max_secs: i64,
}

impl Default for DurationBounds {
    fn default() -> Self {
        Self {
            min_secs: DEFAULT_MIN_SECS,
            max_secs: DEFAULT_MAX_SECS,
        }
    }
}

/// STS settings of one server.
#[derive(Debug, Clone, Default)]
pub struct StsConfig {
    pub durations: DurationBounds,
    /// `MINIO_STS_DURATION`: replaces the requested AssumeRole lifetime.
    pub duration_override_secs: Option<i64>,
    /// The server's region; `None` accepts any region in a signature.
    pub region: Option<String>,
}
