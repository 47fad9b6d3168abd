//! The listener's accept loop: HTTP/1.1, a few connections at most (one visitor's
//! phone; past the cap new ones wait in the kernel's backlog), each request's head
//! within a few seconds (also the wait for the next request on a kept-alive
//! connection), so a silent client cannot hold a connection for ever. Anyone on the
//! booth's network can connect, so one address gets only a few of the slots, and a
//! connection lives at most a couple of minutes: one that sends requests but never
//! reads the answers lets its slot go then. The page's event stream reconnects by
//! itself (EventSource does), and the page re-reads its status every few seconds. It
//! runs on the app's runtime and stops with the app.

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// One phone's page, its event stream and a few requests at once.
pub const MAX_CONNECTIONS: usize = 16;
/// Connections one address may hold at once (a phone's browser opens a few).
pub const MAX_PER_ADDRESS: usize = 4;
/// A request's head must arrive within this.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection is closed after this long, whatever it is doing.
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);

/// Connections held, by peer address.
#[derive(Default)]
struct PerAddress(Mutex<HashMap<IpAddr, usize>>);

impl PerAddress {
    /// Takes a place for `peer`, or None when it holds its share already.
    fn take(self: &Arc<Self>, peer: IpAddr) -> Option<Place> {
        let mut held = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = held.entry(peer).or_default();
        if *count >= MAX_PER_ADDRESS {
            return None;
        }
        *count += 1;
        Some(Place {
            places: self.clone(),
            peer,
        })
    }
}

/// A connection's place in its address's share, given back when dropped.
struct Place {
    places: Arc<PerAddress>,
    peer: IpAddr,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut held = self.places.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = held.get_mut(&self.peer) {
            *count -= 1;
            if *count == 0 {
                held.remove(&self.peer);
            }
        }
    }
}

/// Serves `router` on `listener` until the runtime stops.
pub async fn serve(listener: TcpListener, router: Router) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let places = Arc::new(PerAddress::default());
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) => {
                tracing::warn!(%e, "phone listener: accept");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        // Past its share, the connection is closed at once (dropped).
        let Some(place) = places.take(peer.ip()) else {
            continue;
        };
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let connection = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, connection).await;
            drop(place);
            drop(slot);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_gets_its_share_and_gets_it_back() {
        let places = Arc::new(PerAddress::default());
        let peer: IpAddr = "192.168.1.30".parse().expect("an address");
        let other: IpAddr = "192.168.1.31".parse().expect("an address");
        let held: Vec<Place> = (0..MAX_PER_ADDRESS)
            .map(|_| places.take(peer).expect("within the share"))
            .collect();
        assert!(places.take(peer).is_none(), "past the share");
        assert!(places.take(other).is_some(), "another address has its own");
        drop(held);
        assert!(places.take(peer).is_some(), "the share comes back");
    }
}
