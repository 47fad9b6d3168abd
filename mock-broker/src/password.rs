//! Password hashing with Argon2id, and the dummy hash that keeps L2's timing even.
//!
//! Each hash needs its Argon2 memory (7 MiB by default). Hashes run through a
//! gate (`HashGate`): as many at once as the machine has cores, each on a buffer the gate
//! keeps and reuses, with a bounded queue behind them; past the queue the answer is
//! [`Busy`]. So concurrent logins cost at most `cores × memory`, and no allocation
//! churn leaves the allocator holding freed buffers.

use argon2::password_hash::{rand_core::OsRng, Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Argon2id cost. The default (m = 7 MiB, t = 5, p = 1) is one of OWASP's recommended
/// settings, also Keycloak's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Argon2Settings {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl Default for Argon2Settings {
    fn default() -> Self {
        Argon2Settings {
            memory_kib: 7 * 1024,
            iterations: 5,
            parallelism: 1,
        }
    }
}

/// How many hashes run at once and how many may wait for a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashLimits {
    pub in_flight: usize,
    pub queue: usize,
}

impl Default for HashLimits {
    /// One hash per core; a queue deep enough for a burst of a hundred logins.
    fn default() -> Self {
        HashLimits {
            in_flight: std::thread::available_parallelism().map_or(2, usize::from),
            queue: 128,
        }
    }
}

/// Every hash slot is taken and the queue is full: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password hashing is at capacity")]
pub struct Busy;

pub struct Passwords {
    argon2: Argon2<'static>,
    params: Params,
    gate: HashGate,
    /// L2: an unknown username is checked against this, so it costs as much as a
    /// wrong password for a known one (and waits at the same gate).
    dummy_hash: String,
}

#[derive(Debug, thiserror::Error)]
#[error("Argon2 settings rejected: {0}")]
pub struct SettingsError(String);

impl Passwords {
    pub fn new(settings: Argon2Settings, limits: HashLimits) -> Result<Passwords, SettingsError> {
        let params = Params::new(
            settings.memory_kib,
            settings.iterations,
            settings.parallelism,
            None,
        )
        .map_err(|e| SettingsError(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let mut passwords = Passwords {
            argon2,
            gate: HashGate::new(limits, params.block_count()),
            params,
            dummy_hash: String::new(),
        };
        passwords.dummy_hash = passwords
            .hash("portcullis-no-such-user")
            .map_err(|Busy| SettingsError("no turn to hash at start".into()))?;
        Ok(passwords)
    }

    /// A PHC string (`$argon2id$v=19$m=…`), with a fresh random salt. `Busy` when
    /// the queue for a turn is full.
    pub fn hash(&self, password: &str) -> Result<String, Busy> {
        let mut slot = self.gate.take()?;
        Ok(self
            .hash_with(password, &mut slot.memory)
            // Hashing only fails for parameters `new` already checked.
            .unwrap_or_default())
    }

    fn hash_with(&self, password: &str, memory: &mut [Block]) -> Option<String> {
        let salt = SaltString::generate(&mut OsRng);
        let mut salt_bytes = [0u8; 64];
        let salt_raw = salt.as_salt().decode_b64(&mut salt_bytes).ok()?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        self.argon2
            .hash_password_into_with_memory(password.as_bytes(), salt_raw, &mut out, memory)
            .ok()?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&self.params).ok()?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).ok()?),
        };
        Some(phc.to_string())
    }

    /// Checks `password` against `stored`, or against the dummy hash when there is no
    /// stored hash; in that case the answer is always false. `Busy` when the queue for
    /// a turn is full.
    pub fn verify(&self, stored: Option<&str>, password: &str) -> Result<bool, Busy> {
        let phc = stored.unwrap_or(&self.dummy_hash);
        let mut slot = self.gate.take()?;
        let ok = PasswordHash::new(phc)
            .ok()
            .and_then(|h| verify_with(&h, password, &mut slot.memory))
            .unwrap_or(false);
        Ok(ok && stored.is_some())
    }
}

/// Recomputes `phc` for `password` on `memory` (or on a buffer of its own if `phc` was
/// made with more memory than today's settings) and compares in constant time.
fn verify_with(phc: &PasswordHash<'_>, password: &str, memory: &mut [Block]) -> Option<bool> {
    let params = Params::try_from(phc).ok()?;
    let algorithm = Algorithm::try_from(phc.algorithm).ok()?;
    let version = match phc.version {
        Some(v) => Version::try_from(v).ok()?,
        None => Version::default(),
    };
    let expected = phc.hash?;
    let mut salt_bytes = [0u8; 64];
    let salt = phc.salt?.decode_b64(&mut salt_bytes).ok()?;
    let mut out = vec![0u8; expected.len()];
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let needed = params.block_count();
    let result = if memory.len() >= needed {
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, memory)
    } else {
        let mut own = vec![Block::default(); needed];
        argon2.hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut own)
    };
    result.ok()?;
    // `Output`'s equality is constant-time.
    Some(Output::new(&out).ok()? == expected)
}

/// Turns at hashing: `in_flight` buffers, handed out one per hash and returned after,
/// and at most `queue` callers waiting for one.
struct HashGate {
    state: Mutex<GateState>,
    returned: Condvar,
    blocks: usize,
    queue: usize,
}

struct GateState {
    /// Buffers not in use, each `blocks` long once allocated (they are made lazily).
    free: Vec<Option<Vec<Block>>>,
    waiting: usize,
}

/// A turn at hashing, with its buffer; handed back on drop.
struct HashSlot<'a> {
    gate: &'a HashGate,
    memory: Vec<Block>,
}

impl HashGate {
    fn new(limits: HashLimits, blocks: usize) -> HashGate {
        HashGate {
            state: Mutex::new(GateState {
                free: (0..limits.in_flight.max(1)).map(|_| None).collect(),
                waiting: 0,
            }),
            returned: Condvar::new(),
            blocks,
            queue: limits.queue,
        }
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // The state is two counters' worth; a panic elsewhere cannot leave it torn.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A turn: a free buffer now, or a place in the queue if there is room in it.
    fn take(&self) -> Result<HashSlot<'_>, Busy> {
        let mut state = self.lock();
        if state.free.is_empty() {
            if state.waiting >= self.queue {
                return Err(Busy);
            }
            state.waiting += 1;
            while state.free.is_empty() {
                state = self
                    .returned
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            state.waiting -= 1;
        }
        let memory = state.free.pop().flatten();
        drop(state);
        Ok(HashSlot {
            gate: self,
            // Allocated on first use, then kept: the allocator sees no churn.
            memory: memory.unwrap_or_else(|| vec![Block::default(); self.blocks]),
        })
    }
}

impl Drop for HashSlot<'_> {
    fn drop(&mut self) {
        let memory = std::mem::take(&mut self.memory);
        self.gate.lock().free.push(Some(memory));
        self.gate.returned.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    fn cheap_settings(memory_kib: u32) -> Argon2Settings {
        Argon2Settings {
            memory_kib,
            iterations: 1,
            parallelism: 1,
        }
    }

    fn cheap() -> Passwords {
        Passwords::new(cheap_settings(64), HashLimits::default()).unwrap()
    }

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let p = cheap();
        let h = p.hash("Trade2026").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{h}");
        assert_eq!(p.verify(Some(&h), "Trade2026"), Ok(true));
        assert_eq!(p.verify(Some(&h), "trade2026"), Ok(false));
    }

    #[test]
    fn hashes_agree_with_the_argon2_crate_both_ways() {
        let p = cheap();
        let ours = p.hash("Trade2026").unwrap();
        let theirs_check = Argon2::default();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(theirs_check.verify_password(b"Trade2026", &parsed).is_ok());
        // A hash stored before (made by the crate, with more memory than today's
        // settings) still verifies, on a buffer of its own.
        let salt = SaltString::generate(&mut OsRng);
        let bigger = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(256, 2, 1, None).unwrap(),
        )
        .hash_password(b"Trade2026", &salt)
        .unwrap()
        .to_string();
        assert_eq!(p.verify(Some(&bigger), "Trade2026"), Ok(true));
        assert_eq!(p.verify(Some(&bigger), "Trade2027"), Ok(false));
    }

    #[test]
    fn l2_unknown_user_never_verifies() {
        let p = cheap();
        assert_eq!(
            p.verify(None, "portcullis-no-such-user"),
            Ok(false),
            "the dummy password must not log anyone in"
        );
    }

    #[test]
    fn hardening_past_the_queue_a_check_is_busy() {
        let p = Passwords::new(
            cheap_settings(64),
            HashLimits {
                in_flight: 1,
                queue: 0,
            },
        )
        .unwrap();
        let h = p.hash("Trade2026").unwrap();
        let turn = p.gate.take().unwrap();
        assert_eq!(p.verify(Some(&h), "Trade2026"), Err(Busy));
        assert_eq!(
            p.verify(None, "x"),
            Err(Busy),
            "L2: the dummy hash waits at the same gate"
        );
        drop(turn);
        assert_eq!(p.verify(Some(&h), "Trade2026"), Ok(true));
    }

    #[test]
    fn hardening_the_queue_waits_for_a_turn() {
        let p = std::sync::Arc::new(
            Passwords::new(
                cheap_settings(64),
                HashLimits {
                    in_flight: 1,
                    queue: 1,
                },
            )
            .unwrap(),
        );
        let h = p.hash("Trade2026").unwrap();
        let turn = p.gate.take().unwrap();
        let waiter = {
            let (p, h) = (p.clone(), h.clone());
            std::thread::spawn(move || p.verify(Some(&h), "Trade2026"))
        };
        // Once the waiter is queued, a third caller finds the queue full.
        while p.gate.lock().waiting == 0 {
            std::thread::yield_now();
        }
        assert_eq!(p.verify(Some(&h), "Trade2026"), Err(Busy));
        drop(turn);
        assert_eq!(waiter.join().unwrap(), Ok(true), "the queued check ran");
    }

    #[test]
    fn default_cost_is_owasp_m7_t5_p1() {
        let s = Argon2Settings::default();
        assert_eq!((s.memory_kib, s.iterations, s.parallelism), (7168, 5, 1));
    }
}
