//! Turns at password hashing, taken before a request that checks a password gets a
//! blocking thread.
//!
//! The broker's own gate (`password::HashGate`) bounds hashes in flight and queued, but
//! its queue is threads parked on a condition variable. With the blocking pool bounded
//! (a thread per core plus a few, `main.rs`), a flood of logins parked there would fill
//! the pool and leave store calls (a push's approval, a waiting desktop's look)
//! queued behind hashes. Here the queue is of futures: a turn per hash in flight, at
//! most `queue` requests waiting for one, and past that `busy` at once, as before.

use super::ApiError;
use crate::error::BrokerError;
use crate::password::HashLimits;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub(super) struct HashTurns {
    turns: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

impl HashTurns {
    pub(super) fn new(limits: HashLimits) -> HashTurns {
        HashTurns {
            turns: Arc::new(Semaphore::new(limits.in_flight.max(1))),
            waiting: AtomicUsize::new(0),
            queue: limits.queue,
        }
    }

    /// A turn now, or a place in the queue if there is room in it; `busy` otherwise.
    pub(super) async fn take(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        if let Ok(turn) = self.turns.clone().try_acquire_owned() {
            return Ok(turn);
        }
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(BrokerError::Busy.into());
        }
        // Leaves the queue however the wait ends, the client hanging up included.
        let _in_queue = InQueue(&self.waiting);
        self.turns
            .clone()
            .acquire_owned()
            .await
            // The semaphore is never closed.
            .map_err(|_closed| BrokerError::Busy.into())
    }
}

struct InQueue<'a>(&'a AtomicUsize);

impl Drop for InQueue<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    fn poll<F: Future>(f: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        f.poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn issue11_busy_past_the_queue_without_a_thread_waiting() {
        let turns = HashTurns::new(HashLimits {
            in_flight: 1,
            queue: 1,
        });
        let first = pin!(turns.take());
        let Poll::Ready(Ok(held)) = poll(first) else {
            panic!("a free turn is taken at once");
        };
        let mut queued = pin!(turns.take());
        assert!(
            poll(queued.as_mut()).is_pending(),
            "the second waits its turn"
        );
        let refused = pin!(turns.take());
        let Poll::Ready(Err(busy)) = poll(refused) else {
            panic!("the third finds the queue full");
        };
        assert_eq!(
            busy.into_response().status(),
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "busy"
        );
        drop(held);
        assert!(
            matches!(poll(queued.as_mut()), Poll::Ready(Ok(_))),
            "the queued one gets the turn given back"
        );
        assert_eq!(
            turns.waiting.load(Ordering::SeqCst),
            0,
            "the queue is empty"
        );
    }

    #[test]
    fn issue11_a_request_that_hangs_up_leaves_the_queue() {
        let turns = HashTurns::new(HashLimits {
            in_flight: 1,
            queue: 1,
        });
        let mut first = Box::pin(turns.take());
        let Poll::Ready(Ok(_held)) = poll(first.as_mut()) else {
            panic!("a free turn");
        };
        let mut gone = Box::pin(turns.take());
        assert!(poll(gone.as_mut()).is_pending());
        drop(gone);
        let mut next = Box::pin(turns.take());
        assert!(
            poll(next.as_mut()).is_pending(),
            "its place in the queue went with it: the next one queues, not busy"
        );
    }
}
