//! Where the server's log lines go: one buffer shared by every thread, written out by a thread
//! of its own. Access-log lines (one per request, appended by `access_log` with
//! [`BatchedLog::append_waiting`], or any event of target `tessera::access` at level info) wait in
//! the buffer until [`FLUSH_EVERY`] has passed or [`FLUSH_AT`] bytes are pending, so logging a
//! request costs neither a system call nor a thread wake-up; any other line (start-up
//! messages, warnings, errors) wakes the writer at once and is out as soon as it has written.
//! Order is kept: every line goes through the same buffer. A sink that does not keep up makes
//! loggers wait once [`MAX_PENDING`] bytes are pending: nothing is dropped and memory stays
//! bounded, and the request threads never write to the sink themselves. Dropping the
//! [`LogGuard`] writes what is pending and stops the writer thread.

use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing::{Level, Metadata};
use tracing_subscriber::fmt::MakeWriter;

/// The target of the per-request access-log lines, which may wait in the buffer.
pub const ACCESS_LOG_TARGET: &str = "tessera::access";
/// The longest an access-log line waits before it is written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// Pending bytes that make the writer write before `FLUSH_EVERY` has passed.
pub const FLUSH_AT: usize = 64 * 1024;
/// Pending bytes at which loggers wait for the writer (a stalled sink).
pub const MAX_PENDING: usize = 8 * 1024 * 1024;

/// The `MakeWriter` given to the tracing subscriber.
#[derive(Clone)]
pub struct BatchedLog {
    shared: Arc<Shared>,
}

/// Writes what is pending and stops the writer thread when dropped.
pub struct LogGuard {
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
}

struct Shared {
    state: Mutex<State>,
    /// The writer thread waits on it for an urgent line, a full buffer or the end.
    wake: Condvar,
    /// Loggers wait on it while `MAX_PENDING` bytes are pending.
    drained: Condvar,
}

#[derive(Default)]
struct State {
    pending: Vec<u8>,
    /// A line is pending that should not wait for the next tick.
    urgent: bool,
    /// The guard was dropped: write what is pending and stop.
    closed: bool,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A logger that panicked mid-append leaves at worst a partial line: keep logging.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Starts the writer thread for `sink` (stderr in the server).
pub fn batched(sink: impl Write + Send + 'static) -> io::Result<(BatchedLog, LogGuard)> {
    let shared = Arc::new(Shared {
        state: Mutex::new(State::default()),
        wake: Condvar::new(),
        drained: Condvar::new(),
    });
    let writer = {
        let shared = shared.clone();
        std::thread::Builder::new()
            .name("tessera-log".to_owned())
            .spawn(move || write_out(&shared, sink))?
    };
    Ok((
        BatchedLog {
            shared: shared.clone(),
        },
        LogGuard {
            shared,
            writer: Some(writer),
        },
    ))
}

/// The writer thread: every `FLUSH_EVERY`, or sooner when woken, takes what is pending and
/// writes it to `sink` outside the lock.
fn write_out(shared: &Shared, mut sink: impl Write) {
    let mut batch = Vec::new();
    loop {
        let closed = {
            let mut state = shared.lock();
            if !state.urgent && !state.closed {
                state = shared
                    .wake
                    .wait_timeout(state, FLUSH_EVERY)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            std::mem::swap(&mut batch, &mut state.pending);
            state.urgent = false;
            state.closed
        };
        if !batch.is_empty() {
            shared.drained.notify_all();
            // Nowhere to report a failing log sink but the sink itself: the lines are lost.
            let _ = sink.write_all(&batch).and_then(|()| sink.flush());
            batch.clear();
        }
        if closed && shared.lock().pending.is_empty() {
            return;
        }
    }
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.wake.notify_one();
        self.shared.drained.notify_all();
        if let Some(writer) = self.writer.take() {
            let _ = writer.join();
        }
    }
}

impl BatchedLog {
    /// Appends whole lines that may wait for the next tick, as access-log lines do.
    pub fn append_waiting(&self, lines: &[u8]) {
        let _ = LineWriter {
            shared: &self.shared,
            urgent: false,
        }
        .write_all(lines);
    }
}

/// One log line's writer: appends to the shared buffer.
pub struct LineWriter<'a> {
    shared: &'a Shared,
    urgent: bool,
}

impl Write for LineWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut state = self.shared.lock();
        while state.pending.len() >= MAX_PENDING && !state.closed {
            state = self
                .shared
                .drained
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
        state.pending.extend_from_slice(buf);
        if self.urgent || state.pending.len() >= FLUSH_AT {
            let already = state.urgent;
            state.urgent = true;
            drop(state);
            if !already {
                self.shared.wake.notify_one();
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BatchedLog {
    type Writer = LineWriter<'a>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
            urgent: true,
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        LineWriter {
            shared: &self.shared,
            urgent: !(meta.target() == ACCESS_LOG_TARGET && *meta.level() == Level::INFO),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Instant;

    /// A sink that hands every write to the test.
    struct Channel(mpsc::Sender<Vec<u8>>);

    impl Write for Channel {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let _ = self.0.send(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// What the sink was given until `needle` appears (the bound only keeps a broken writer
    /// from hanging the test).
    fn read_until(rx: &mpsc::Receiver<Vec<u8>>, needle: &str) -> String {
        let mut all = Vec::new();
        while !String::from_utf8_lossy(&all).contains(needle) {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(more) => all.extend(more),
                Err(e) => panic!("`{needle}` not written: {e}"),
            }
        }
        String::from_utf8_lossy(&all).into_owned()
    }

    fn line(log: &BatchedLog, urgent: bool, text: &str) {
        let mut w = LineWriter {
            shared: &log.shared,
            urgent,
        };
        w.write_all(text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn an_urgent_line_takes_the_waiting_access_lines_with_it_in_order() {
        let (tx, rx) = mpsc::channel();
        let (log, guard) = batched(Channel(tx)).unwrap_or_else(|e| panic!("{e}"));
        line(&log, false, "access 1\n");
        line(&log, false, "access 2\n");
        line(&log, true, "warning\n");
        // Out without the guard being dropped (a tick may have taken the access lines first).
        assert_eq!(read_until(&rx, "warning"), "access 1\naccess 2\nwarning\n");
        drop(guard);
    }

    #[test]
    fn access_lines_are_written_in_batches_and_all_of_them_at_the_end() {
        let (tx, rx) = mpsc::channel();
        let (log, guard) = batched(Channel(tx)).unwrap_or_else(|e| panic!("{e}"));
        let started = Instant::now();
        for i in 0..1000 {
            line(&log, false, &format!("access {i}\n"));
        }
        let appended_in = started.elapsed();
        drop(guard);
        let writes: Vec<Vec<u8>> = rx.try_iter().collect();
        let text = String::from_utf8(writes.concat()).unwrap_or_else(|e| panic!("{e}"));
        let expected: String = (0..1000).map(|i| format!("access {i}\n")).collect();
        assert_eq!(text, expected);
        // Far fewer writes than lines: one per tick of FLUSH_EVERY, plus the last one.
        let ticks = (appended_in.as_millis() / FLUSH_EVERY.as_millis()) as usize;
        assert!(writes.len() <= ticks + 2, "{} writes", writes.len());
    }

    #[test]
    fn a_full_buffer_wakes_the_writer_and_the_make_writer_tells_lines_apart() {
        let (tx, rx) = mpsc::channel();
        let (log, guard) = batched(Channel(tx)).unwrap_or_else(|e| panic!("{e}"));
        let big = "x".repeat(FLUSH_AT);
        line(&log, false, &big);
        let written = rx
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(written.len(), FLUSH_AT);

        // Through a real subscriber: the access line only waits, the warning wakes the writer.
        let subscriber = tracing_subscriber::fmt()
            .with_writer(log.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(target: ACCESS_LOG_TARGET, status = 200, "request");
            assert!(!log.shared.lock().urgent);
            tracing::warn!("something to see now");
        });
        let text = read_until(&rx, "something to see now");
        let (access, warning) = (text.find("status=200"), text.find("something to see now"));
        assert!(
            matches!((access, warning), (Some(a), Some(w)) if a < w),
            "{text}"
        );
        drop(guard);
    }
}
