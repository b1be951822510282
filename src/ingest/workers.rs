//! Long-lived threads that encode Parquet files while reading goes on.
//! Threads that last the whole ingest keep their allocator heaps warm; a
//! thread per file would hand its memory back and fault it in again.

use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

type Job = Box<dyn FnOnce() + Send>;

pub struct Workers {
    jobs: Option<Sender<Job>>,
    threads: Vec<JoinHandle<()>>,
}

/// The result of a submitted job, to wait for.
pub struct Pending<T>(Receiver<T>);

impl<T> Pending<T> {
    /// The job's result; None when it panicked.
    pub fn wait(self) -> Option<T> {
        self.0.recv().ok()
    }
}

impl Workers {
    pub fn new(threads: usize) -> Workers {
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let threads = (0..threads)
            .map(|_| {
                let rx = Arc::clone(&rx);
                std::thread::spawn(move || {
                    loop {
                        // The lock is released before the job runs.
                        let job = match rx.lock() {
                            Ok(r) => r.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        Workers { jobs: Some(tx), threads }
    }

    pub fn submit<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Pending<T> {
        let (tx, rx): (SyncSender<T>, Receiver<T>) = sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        if let Some(jobs) = &self.jobs {
            // A send fails only when every worker is gone (each panicked);
            // the job is dropped and its `Pending` reports that.
            let _ = jobs.send(job);
        }
        Pending(rx)
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.jobs = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_and_a_panic_is_reported() {
        let w = Workers::new(2);
        let a = w.submit(|| 1 + 1);
        let b = w.submit(|| -> i32 { panic!("boom") });
        let c = w.submit(|| 3);
        assert_eq!(a.wait(), Some(2));
        assert_eq!(b.wait(), None);
        assert_eq!(c.wait(), Some(3));
    }
}
