//! Where the codes a person reads come from: challenges (C1, K2's hidden one, K3),
//! index numbers (D7), SMS and activation codes (D3, K1), temporary passcodes (T1), an
//! online card's grid (T3), number matching's numbers, and the ids people see (`IBK-…`,
//! `OSC-…`, `TMP-…`, `SHR-…`, orders, withdrawals, deposits, a replacement's serial,
//! a new phone's id).
//!
//! Normally the OS's generator. With a seed (`mock-broker serve --seed N`, for tests
//! only: anyone who knows N knows every code), one ChaCha20 stream, so the same
//! requests in the same order get the same codes; the QA reset starts the stream again.
//! Secrets never come from here — session tokens, tickets, push ids, phone tokens,
//! activation ids and device keys stay the OS's (`random_hex`) — so a seeded broker
//! still hands out sessions nobody can guess.

use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use std::sync::{Mutex, MutexGuard};

/// The generator of user-visible codes, seeded or not.
#[derive(Default)]
pub struct Codes {
    seeded: Mutex<Option<Seeded>>,
}

struct Seeded {
    seed: u64,
    rng: ChaCha20Rng,
}

impl Codes {
    /// From now on, codes come from `seed`'s stream, from its start.
    pub fn seed(&self, seed: u64) {
        *self.lock() = Some(Seeded {
            seed,
            rng: ChaCha20Rng::seed_from_u64(seed),
        });
    }

    /// The seed's stream from its start again (the QA reset); nothing when unseeded.
    pub fn reseed(&self) {
        if let Some(seed) = self.seed_value() {
            self.seed(seed);
        }
    }

    pub fn seed_value(&self) -> Option<u64> {
        self.lock().as_ref().map(|s| s.seed)
    }

    /// A generator for codes. It takes the stream's lock for each draw only, so two
    /// alive at once (in one expression) cannot wait on each other.
    pub fn rng(&self) -> CodeRng<'_> {
        CodeRng(self)
    }

    /// `bytes` random bytes as hex, for an id a person reads (never a secret).
    pub fn hex(&self, bytes: usize) -> String {
        let mut buf = vec![0u8; bytes];
        self.rng().fill_bytes(&mut buf);
        hex::encode(buf)
    }

    fn lock(&self) -> MutexGuard<'_, Option<Seeded>> {
        // A generator's state is whole between calls; a panic elsewhere leaves it sound.
        self.seeded.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The seeded stream, or the OS's generator.
pub struct CodeRng<'a>(&'a Codes);

impl RngCore for CodeRng<'_> {
    fn next_u32(&mut self) -> u32 {
        match self.0.lock().as_mut() {
            Some(s) => s.rng.next_u32(),
            None => rand::thread_rng().next_u32(),
        }
    }

    fn next_u64(&mut self) -> u64 {
        match self.0.lock().as_mut() {
            Some(s) => s.rng.next_u64(),
            None => rand::thread_rng().next_u64(),
        }
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        match self.0.lock().as_mut() {
            Some(s) => s.rng.fill_bytes(dest),
            None => rand::thread_rng().fill_bytes(dest),
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::ChallengeCode;

    fn challenges(codes: &Codes, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| {
                ChallengeCode::generate(&mut codes.rng())
                    .as_str()
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn a_seed_repeats_and_a_reseed_starts_again() {
        let (a, b) = (Codes::default(), Codes::default());
        a.seed(7);
        b.seed(7);
        let first = challenges(&a, 5);
        assert_eq!(first, challenges(&b, 5), "the same seed, the same codes");
        a.reseed();
        assert_eq!(
            challenges(&a, 5),
            first,
            "the reset starts the stream again"
        );
        let c = Codes::default();
        c.seed(8);
        assert_ne!(challenges(&c, 5), first, "another seed, other codes");
        assert_eq!(Codes::default().seed_value(), None);
        // Two generators alive in one expression (a struct literal's fields) do not
        // wait on each other.
        let both = (a.rng().next_u32(), a.rng().next_u32(), a.hex(2));
        assert_eq!(both.2.len(), 4);
        Codes::default().reseed(); // unseeded: nothing to start again
    }
}
