//! K2: the desktops waiting on a login's push (`/v1/login/wait`), each woken by what
//! moves its own login and by nothing else.
//!
//! A waiter watches its login's ticket (by hash). Once a transaction that moved a
//! login's push or ended the login has committed (answered, denied, withdrawn, replaced
//! by a new login, cancelled, the login dropped with its device), that ticket's waiters
//! are woken. The simulated clock moving and a reset wake every waiter: either may
//! expire any push. Time passing by itself is each waiter's own timer, set for its
//! push's expiry (the server's side): nothing polls. A wake only says "look again"; the
//! store holds the answer, so a wake that finds nothing new costs one read and is
//! never wrong, and a wake between the waiter's last look and its wait is not lost
//! (a watch remembers that it changed until it is seen).
//!
//! Waiting costs a map entry and two watch receivers per waiter, no thread and no
//! subscription to the broker's event broadcast, which phones' deliveries use.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use tokio::sync::watch;

pub struct Waiters {
    /// One watch per ticket hash that someone waits on; gone with its last waiter.
    by_ticket: Mutex<HashMap<String, watch::Sender<()>>>,
    /// Clock moves and resets.
    everyone: watch::Sender<()>,
    /// Wakes sent to waiters, one per waiter woken (for tests and benchmarks).
    wakes: AtomicU64,
}

impl Default for Waiters {
    fn default() -> Self {
        Waiters {
            by_ticket: Mutex::default(),
            everyone: watch::Sender::new(()),
            wakes: AtomicU64::new(0),
        }
    }
}

impl Waiters {
    /// Starts watching the login whose ticket hashes to `ticket_hash`: every wake from
    /// now on is seen by [`LoginWatch::changed`]. Watch first, then look at the push,
    /// then wait: a change in between is not missed.
    pub fn watch(&self, ticket_hash: String) -> LoginWatch<'_> {
        let ticket = self
            .lock()
            .entry(ticket_hash.clone())
            .or_insert_with(|| watch::Sender::new(()))
            .subscribe();
        LoginWatch {
            waiters: self,
            ticket_hash,
            ticket: Some(ticket),
            everyone: self.everyone.subscribe(),
        }
    }

    /// The login `ticket_hash` moved: its waiters look again.
    pub(super) fn wake(&self, ticket_hash: &str) {
        if let Some(ticket) = self.lock().get(ticket_hash) {
            self.count_wakes(ticket.receiver_count());
            ticket.send_replace(());
        }
    }

    /// Every waiter looks again (the clock moved, the broker reset).
    pub(super) fn wake_all(&self) {
        // Everyone's receivers are the waiters'.
        self.count_wakes(self.everyone.receiver_count());
        self.everyone.send_replace(());
    }

    fn count_wakes(&self, waiters: usize) {
        self.wakes.fetch_add(
            u64::try_from(waiters).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// How many desktops are waiting now.
    pub fn waiting(&self) -> usize {
        self.lock()
            .values()
            .map(watch::Sender::receiver_count)
            .sum()
    }

    /// How many times, in all, a waiter was woken to look again (counted when the wake
    /// is sent: each costs the waiter one look at the store).
    pub fn wakes(&self) -> u64 {
        self.wakes.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, watch::Sender<()>>> {
        // A map of channels: a panic elsewhere cannot leave it half-changed.
        self.by_ticket
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One desktop's watch on one login; leaves the registry when dropped (the answer went
/// out, or the desktop hung up).
pub struct LoginWatch<'a> {
    waiters: &'a Waiters,
    ticket_hash: String,
    /// Always `Some` until dropped.
    ticket: Option<watch::Receiver<()>>,
    everyone: watch::Receiver<()>,
}

impl LoginWatch<'_> {
    /// Resolves once the login may have moved since the watch began or since this last
    /// resolved.
    pub async fn changed(&mut self) {
        let Some(ticket) = self.ticket.as_mut() else {
            return std::future::pending().await;
        };
        tokio::select! {
            () = next(ticket) => {}
            () = next(&mut self.everyone) => {}
        }
        // Both are seen: the look that follows answers for either.
        ticket.borrow_and_update();
        self.everyone.borrow_and_update();
    }
}

/// The next change of `rx`. Its sender lives as long as the receiver (the registry
/// keeps a ticket's sender while anyone watches it), so this only ever waits.
async fn next(rx: &mut watch::Receiver<()>) {
    if rx.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

impl Drop for LoginWatch<'_> {
    fn drop(&mut self) {
        drop(self.ticket.take());
        let mut by_ticket = self.waiters.lock();
        // Watching subscribes under this lock too, so no one joins in between.
        if by_ticket
            .get(&self.ticket_hash)
            .is_some_and(|t| t.receiver_count() == 0)
        {
            by_ticket.remove(&self.ticket_hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    /// Whether `f` is ready on its first poll.
    fn ready(f: impl Future<Output = ()>) -> bool {
        let mut cx = Context::from_waker(Waker::noop());
        pin!(f).poll(&mut cx) == Poll::Ready(())
    }

    #[test]
    fn issue11_k2_a_waiter_wakes_for_its_own_login_only() {
        let waiters = Waiters::default();
        let mut mine = waiters.watch("mine".into());
        assert!(!ready(mine.changed()), "nothing moved yet");
        waiters.wake("theirs");
        assert!(
            !ready(mine.changed()),
            "another login moving does not wake this waiter"
        );
        waiters.wake("mine");
        assert!(ready(mine.changed()), "its own login moving does");
        assert!(!ready(mine.changed()), "a wake is seen once");
        waiters.wake_all();
        assert!(
            ready(mine.changed()),
            "a clock move or reset wakes everyone"
        );
        assert_eq!(waiters.wakes(), 2, "two wakes reached a waiter");
    }

    #[test]
    fn issue11_k2_a_wake_before_the_wait_is_not_lost() {
        let waiters = Waiters::default();
        let mut mine = waiters.watch("mine".into());
        // The approval commits while the waiter is still reading the store.
        waiters.wake("mine");
        assert!(ready(mine.changed()), "the waiter looks again");
    }

    #[test]
    fn issue11_waiters_leave_the_registry_when_they_go() {
        let waiters = Waiters::default();
        let one = waiters.watch("same".into());
        let two = waiters.watch("same".into());
        let other = waiters.watch("other".into());
        assert_eq!(waiters.waiting(), 3);
        drop(one);
        assert_eq!(waiters.waiting(), 2);
        assert_eq!(waiters.lock().len(), 2, "the ticket is still watched");
        drop(two);
        drop(other);
        assert_eq!(waiters.waiting(), 0);
        assert!(waiters.lock().is_empty(), "no entry outlives its waiters");
    }
}
