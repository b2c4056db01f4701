//! One small tokio runtime for all remote I/O. Readers are synchronous (the
//! merge runs on plain threads), so each request is spawned here and waited
//! for over a channel — which works from any thread, also from one that
//! belongs to another runtime, where `Runtime::block_on` would panic.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::Runtime;

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("remote-io")
            .enable_all()
            .build()
            // Without threads and timers nothing remote can work; this only
            // fails when the OS refuses to start threads.
            .expect("cannot start the I/O runtime")
    })
}

/// Runs `future` on the remote I/O runtime and waits for its result.
pub fn block_on<F>(future: F) -> F::Output
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime().spawn(async move {
        let _ = tx.send(future.await);
    });
    // The task sends exactly once unless it panicked, which is a bug.
    rx.recv().expect("remote I/O task panicked")
}
