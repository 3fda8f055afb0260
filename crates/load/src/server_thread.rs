//! A small server of the load tool's own (the hyper baseline, the OpenID issuer) running on a
//! thread and runtime of its own until it is stopped or dropped.

use std::future::Future;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::{Context as _, Result};
use tokio::sync::oneshot;

pub struct ServerThread {
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ServerThread {
    /// Runs `serve(listener)` on `runtime` in a thread named `name` until [`ServerThread::stop`].
    pub fn spawn<F, Fut>(
        name: &str,
        runtime: tokio::runtime::Runtime,
        listener: std::net::TcpListener,
        serve: F,
    ) -> Result<Self>
    where
        F: FnOnce(tokio::net::TcpListener) -> Fut + Send + 'static,
        Fut: Future<Output = ()>,
    {
        let (tx, rx) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                        return;
                    };
                    tokio::select! {
                        () = serve(listener) => {}
                        _ = rx => {}
                    }
                });
                // Dropping the runtime cancels the connection tasks.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .with_context(|| format!("spawning the {name} thread"))?;
        Ok(Self {
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// Stops the server and joins its thread (again: nothing).
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        self.stop();
    }
}
