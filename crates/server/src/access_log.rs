//! The access log: one line per request, target `tessera::access` at level info. The line is
//! formatted here, straight into the batched log, in the text the tracing formatter gives any
//! other line (`<RFC 3339 UTC, microseconds>  INFO tessera::access: key=value …`), because a
//! tracing event per request (its dispatch, field visitors and formatter layers) was about 4% of
//! the server's CPU on a small STS request (BENCHMARKS.md). `RUST_LOG` still decides whether the
//! lines are written. Lines are plain text, also on a terminal.

use std::cell::RefCell;
use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

use crate::log_writer::{ACCESS_LOG_TARGET, BatchedLog};

/// Where the server writes its access-log lines.
#[derive(Clone)]
pub struct AccessLog {
    log: BatchedLog,
}

/// What one request's line says.
pub struct AccessRecord<'a> {
    pub request_id: &'a str,
    pub remote: SocketAddr,
    pub method: &'a str,
    pub path: &'a str,
    /// The S3 or STS operation, `-` when none was recognised.
    pub operation: &'a str,
    pub status: u16,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub duration: Duration,
}

thread_local! {
    /// The line being formatted, reused by every request of the thread.
    static LINE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl AccessLog {
    #[must_use]
    pub fn new(log: BatchedLog) -> Self {
        Self { log }
    }

    /// Writes `record`'s line unless the log filter leaves the access log out.
    pub fn record(&self, record: &AccessRecord<'_>) {
        if !tracing::enabled!(target: ACCESS_LOG_TARGET, tracing::Level::INFO) {
            return;
        }
        LINE.with_borrow_mut(|line| {
            line.clear();
            format_line(line, SystemTime::now(), record);
            self.log.append_waiting(line);
        });
    }
}

/// Appends the line of `record`, logged at `at`, to `out`.
fn format_line(out: &mut Vec<u8>, at: SystemTime, record: &AccessRecord<'_>) {
    write_timestamp(out, at);
    // Writing to a Vec cannot fail.
    let _ = writeln!(
        out,
        "  INFO {ACCESS_LOG_TARGET}: request_id={} remote={} method={} path={} operation={:?} \
         status={} bytes_in={} bytes_out={} duration_ms={:?}",
        record.request_id,
        record.remote,
        record.method,
        record.path,
        record.operation,
        record.status,
        record.bytes_in,
        record.bytes_out,
        record.duration.as_secs_f64() * 1000.0,
    );
}

/// `2026-11-29T17:04:16.384277Z`: UTC, to the microsecond.
fn write_timestamp(out: &mut Vec<u8>, at: SystemTime) {
    let t = time::OffsetDateTime::from(at);
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(operation: &str) -> AccessRecord<'_> {
        AccessRecord {
            request_id: "BAE68B580000000001",
            remote: "127.0.0.1:57480".parse().unwrap_or_else(|e| panic!("{e}")),
            method: "POST",
            path: "/bucket/a%20key",
            operation,
            status: 400,
            bytes_in: 12,
            bytes_out: 345,
            duration: Duration::from_micros(763_293),
        }
    }

    #[test]
    fn the_line_reads_as_the_tracing_formatter_writes_it() {
        let at = SystemTime::UNIX_EPOCH + Duration::from_micros(1_796_058_256_384_277);
        let mut out = Vec::new();
        format_line(&mut out, at, &record("-"));
        assert_eq!(
            String::from_utf8_lossy(&out),
            "2026-11-30T17:04:16.384277Z  INFO tessera::access: request_id=BAE68B580000000001 \
             remote=127.0.0.1:57480 method=POST path=/bucket/a%20key operation=\"-\" status=400 \
             bytes_in=12 bytes_out=345 duration_ms=763.293\n"
        );
    }

    #[test]
    fn the_operation_is_quoted_and_escaped_so_a_line_stays_one_line() {
        let mut out = Vec::new();
        format_line(&mut out, SystemTime::UNIX_EPOCH, &record("Put\"Object\n"));
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.starts_with("1970-01-01T00:00:00.000000Z  INFO "),
            "{text}"
        );
        assert!(text.contains(r#"operation="Put\"Object\n" "#), "{text}");
        assert_eq!(text.matches('\n').count(), 1, "{text}");
    }

    #[test]
    fn the_same_record_through_a_tracing_event_gives_the_same_fields() {
        use std::sync::{Arc, Mutex};

        #[derive(Clone, Default)]
        struct Captured(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Captured {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(buf);
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .finish();
        let r = record("PutObject");
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(
                target: ACCESS_LOG_TARGET,
                request_id = %r.request_id,
                remote = %r.remote,
                method = %r.method,
                path = %r.path,
                operation = r.operation,
                status = r.status,
                bytes_in = r.bytes_in,
                bytes_out = r.bytes_out,
                duration_ms = r.duration.as_secs_f64() * 1000.0,
            );
        });
        let traced = String::from_utf8_lossy(
            &captured
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_owned();
        let mut ours = Vec::new();
        format_line(&mut ours, SystemTime::now(), &r);
        let ours = String::from_utf8_lossy(&ours).into_owned();
        // Everything after the timestamp is the same text.
        let after_time = |s: &str| s.split_once("Z  ").map(|(_, rest)| rest.to_owned());
        assert_eq!(after_time(&traced), after_time(&ours), "{traced}{ours}");
        assert!(after_time(&ours).is_some(), "{ours}");
    }
}
