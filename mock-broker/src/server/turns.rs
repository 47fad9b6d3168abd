//! Turns at password hashing, taken before a request that checks a password gets a
//! blocking thread.
//!
//! The broker's own gate (`password::HashGate`) bounds hashes in flight and queued, but
//! its queue is threads parked on a condition variable. With the blocking pool bounded
//! (a thread per core plus a few, `main.rs`), a flood of logins parked there would fill
//! the pool and leave store calls (a push's approval, a waiting desktop's look)
//! queued behind hashes. Here the queue is of futures: [`TURNS_PER_HASH`] turns per
//! hash in flight, at most `queue` requests waiting for one, and past that `busy` at
//! once, as before.

use super::ApiError;
use crate::error::BrokerError;
use crate::password::HashLimits;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A turn covers the whole broker call, not only its hash: with one turn per hash, a
/// login's store transaction (its fsync) would keep the next login from hashing:
/// password steps fell to about 650/s at 8 connections with cheap hashes, from
/// 1,000–1,200/s with none (bench/waiters.py, 2 cores).
/// Two per hash keep the hashing busy while transactions commit; at most one thread per
/// core then waits in the gate itself.
pub(super) const TURNS_PER_HASH: usize = 2;

pub(super) struct HashTurns {
    turns: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
}

impl HashTurns {
    pub(super) fn new(limits: HashLimits) -> HashTurns {
        HashTurns {
            turns: Arc::new(Semaphore::new(limits.in_flight.max(1) * TURNS_PER_HASH)),
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

    const ONE_HASH_ONE_WAITING: HashLimits = HashLimits {
        in_flight: 1,
        queue: 1,
    };

    /// Every turn there is, each taken at once.
    fn every_turn(turns: &HashTurns) -> Vec<OwnedSemaphorePermit> {
        (0..TURNS_PER_HASH)
            .map(|_| match poll(pin!(turns.take())) {
                Poll::Ready(Ok(turn)) => turn,
                Poll::Ready(Err(_)) | Poll::Pending => panic!("a free turn is taken at once"),
            })
            .collect()
    }

    #[test]
    fn issue11_busy_past_the_queue_without_a_thread_waiting() {
        let turns = HashTurns::new(ONE_HASH_ONE_WAITING);
        let mut held = every_turn(&turns);
        let mut queued = pin!(turns.take());
        assert!(
            poll(queued.as_mut()).is_pending(),
            "the next one waits its turn"
        );
        let refused = pin!(turns.take());
        let Poll::Ready(Err(busy)) = poll(refused) else {
            panic!("the one after finds the queue full");
        };
        assert_eq!(
            busy.into_response().status(),
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "busy"
        );
        held.pop();
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
        let turns = HashTurns::new(ONE_HASH_ONE_WAITING);
        let _held = every_turn(&turns);
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
