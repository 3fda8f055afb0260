//! The connection threads: one tokio runtime of one worker thread per core, each serving the
//! connections dealt to it in turn. An accepted socket is registered with its runtime's own
//! reactor, so the readiness of a request and the task that answers it stay on one thread;
//! with one runtime shared by all cores, a request read by one worker was often answered by
//! another after a futex wake-up, and a core idled while work waited in the other's queue
//! (BENCHMARKS.md, web-identity). Everything else (start-up, discovery, store followers, the
//! periodic cleanup) stays on the main runtime.
//!
//! A connection stays on its runtime for its whole life; work it spawns (an upstream request's
//! connection, a blocking file read) runs on that runtime and its blocking pool. The runtimes
//! are of the multi-threaded kind with one worker, not current-thread ones, so that a request
//! that must block (a write to the etcd store) can still move off the worker
//! (`block_in_place`) and leave the thread's other connections served.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::runtime::Runtime;

/// The runtimes, one per connection thread.
pub struct ConnectionThreads {
    runtimes: Vec<Runtime>,
    next: AtomicUsize,
}

impl ConnectionThreads {
    /// Starts `count` runtimes (at least one) of one worker each; they stop when this value is
    /// dropped.
    pub fn start(count: usize) -> std::io::Result<Self> {
        let runtimes = (0..count.max(1))
            .map(|i| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .thread_name(format!("tessera-conn-{i}"))
                    .enable_all()
                    .build()
            })
            .collect::<std::io::Result<Vec<_>>>()?;
        Ok(Self {
            runtimes,
            next: AtomicUsize::new(0),
        })
    }

    /// Runs `serve` on the next thread in turn, with `stream` registered with that thread's
    /// reactor. A socket that cannot be moved is closed and logged.
    pub fn serve<F, Fut>(&self, stream: tokio::net::TcpStream, serve: F)
    where
        F: FnOnce(tokio::net::TcpStream) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let socket = match stream.into_std() {
            Ok(socket) => socket,
            Err(e) => {
                tracing::warn!(error = %e, "an accepted connection could not be handed to a connection thread");
                return;
            }
        };
        let turn = self.next.fetch_add(1, Ordering::Relaxed) % self.runtimes.len();
        self.runtimes[turn].spawn(async move {
            match tokio::net::TcpStream::from_std(socket) {
                Ok(stream) => serve(stream).await,
                Err(e) => {
                    tracing::warn!(error = %e, "a connection thread could not take an accepted connection");
                }
            }
        });
    }
}

impl Drop for ConnectionThreads {
    /// Stops the runtimes without waiting for them (the listener drains the connections first;
    /// a blocking wait is not allowed inside the async context that drops this).
    fn drop(&mut self) {
        for runtime in self.runtimes.drain(..) {
            runtime.shutdown_background();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn connections_are_dealt_in_turn_and_served_on_their_threads_which_may_block() {
        let threads = ConnectionThreads::start(2).unwrap_or_else(|e| panic!("{e}"));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let mut names = Vec::new();
        for _ in 0..4 {
            let mut client = tokio::net::TcpStream::connect(addr)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let (accepted, _) = listener.accept().await.unwrap_or_else(|e| panic!("{e}"));
            threads.serve(accepted, |mut stream| async move {
                let name = std::thread::current().name().unwrap_or("?").to_owned();
                // A request that must block may (this panics on a current-thread runtime).
                tokio::task::block_in_place(|| std::thread::sleep(Duration::from_millis(1)));
                let _ = stream.write_all(name.as_bytes()).await;
            });
            let mut name = String::new();
            client
                .read_to_string(&mut name)
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            names.push(name);
        }
        assert_eq!(
            names,
            [
                "tessera-conn-0",
                "tessera-conn-1",
                "tessera-conn-0",
                "tessera-conn-1"
            ]
        );
    }
}
