//! D7, T3: the Security Code Card and the online security code card — a grid of 100
//! three-digit codes numbered 00–99; a login shows two distinct indexes and the answer
//! is the two codes typed together, without spaces (L6).
//!
//! A grid is kept as 300 digits (index `i` at `3i..3i+3`). A scenario gives it
//! explicitly or as a seed, expanded with SHA-256 so the same seed gives the same card
//! on every build.

use super::challenge::responses_match;
use rand::seq::index::sample;
use rand::Rng;
use sha2::{Digest, Sha256};

/// D7 (decision): 100 entries, 00–99.
pub const GRID_SIZE: usize = 100;
/// D7 (decision): each code has 3 digits.
pub const CODE_DIGITS: usize = 3;

/// A card's 100 codes.
#[derive(Clone, PartialEq, Eq)]
pub struct Grid(String);

impl std::fmt::Debug for Grid {
    // The codes are the card's secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Grid(…)")
    }
}

/// Why a grid given in a scenario is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    #[error("a card has {GRID_SIZE} codes (got {0})")]
    Count(usize),
    #[error("every code is {CODE_DIGITS} digits (code {0} is not)")]
    Code(usize),
}

impl Grid {
    /// The grid a seed stands for (scenarios, demo users).
    pub fn from_seed(seed: u64) -> Grid {
        let mut digits = String::with_capacity(GRID_SIZE * CODE_DIGITS);
        for i in 0..GRID_SIZE {
            let h = Sha256::digest(format!("portcullis-card:{seed}:{i}").as_bytes());
            let n = u16::from_be_bytes([h[0], h[1]]) % 1000;
            digits.push_str(&format!("{n:03}"));
        }
        Grid(digits)
    }

    /// A fresh random grid (T3: the online card).
    pub fn generate(rng: &mut impl Rng) -> Grid {
        let digits = (0..GRID_SIZE)
            .map(|_| format!("{:03}", rng.gen_range(0..1000)))
            .collect();
        Grid(digits)
    }

    /// 100 codes, as a scenario lists them.
    pub fn from_codes<S: AsRef<str>>(codes: &[S]) -> Result<Grid, GridError> {
        if codes.len() != GRID_SIZE {
            return Err(GridError::Count(codes.len()));
        }
        let mut digits = String::with_capacity(GRID_SIZE * CODE_DIGITS);
        for (i, code) in codes.iter().enumerate() {
            let code = code.as_ref();
            if code.len() != CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(GridError::Code(i));
            }
            digits.push_str(code);
        }
        Ok(Grid(digits))
    }

    /// As stored (300 digits); `None` if it is not one.
    pub fn from_stored(digits: &str) -> Option<Grid> {
        (digits.len() == GRID_SIZE * CODE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Grid(digits.to_owned()))
    }

    pub fn stored(&self) -> &str {
        &self.0
    }

    /// The code at `index` (00–99).
    pub fn code(&self, index: u8) -> &str {
        let i = usize::from(index) % GRID_SIZE * CODE_DIGITS;
        &self.0[i..i + CODE_DIGITS]
    }

    pub fn codes(&self) -> Vec<String> {
        (0..GRID_SIZE as u8)
            .map(|i| self.code(i).to_owned())
            .collect()
    }

    /// D7: the answer to `indexes`, both codes together.
    pub fn answer(&self, indexes: [u8; 2]) -> String {
        format!("{}{}", self.code(indexes[0]), self.code(indexes[1]))
    }

    /// D7, L6: the typed answer, compared in constant time; spaces make it wrong.
    pub fn check(&self, indexes: [u8; 2], typed: &str) -> bool {
        responses_match(&self.answer(indexes), typed)
    }
}

/// D7 (decision): two distinct indexes, fresh for each login.
pub fn pick_indexes(rng: &mut impl Rng) -> [u8; 2] {
    let picked = sample(rng, GRID_SIZE, 2);
    // GRID_SIZE is 100: both fit a u8.
    [picked.index(0) as u8, picked.index(1) as u8]
}

/// The indexes as a pending login keeps them ("07,42").
pub fn indexes_stored(indexes: [u8; 2]) -> String {
    format!("{},{}", indexes[0], indexes[1])
}

pub fn indexes_from_stored(text: &str) -> Option<[u8; 2]> {
    let (a, b) = text.split_once(',')?;
    let (a, b) = (a.parse::<u8>().ok()?, b.parse::<u8>().ok()?);
    (a != b && usize::from(a) < GRID_SIZE && usize::from(b) < GRID_SIZE).then_some([a, b])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn d7_a_card_has_100_three_digit_codes_and_a_seed_is_stable() {
        let g = Grid::from_seed(7);
        assert_eq!(g.codes().len(), 100);
        assert!(g.codes().iter().all(|c| c.len() == 3));
        assert_eq!(Grid::from_seed(7), g, "the same seed, the same card");
        assert_ne!(Grid::from_seed(8), g);
        assert_eq!(Grid::from_stored(g.stored()), Some(g));
    }

    #[test]
    fn d7_the_answer_is_both_codes_together_without_spaces() {
        let codes: Vec<String> = (0..100).map(|i| format!("{:03}", i * 7 % 1000)).collect();
        let g = Grid::from_codes(&codes).unwrap();
        assert_eq!(g.answer([3, 10]), "021070");
        assert!(g.check([3, 10], "021070"));
        assert!(!g.check([3, 10], "021 070"), "L6: no spaces");
        assert!(!g.check([3, 10], "070021"), "the order is the indexes'");
        assert_eq!(
            Grid::from_codes(&codes[..99]).unwrap_err(),
            GridError::Count(99)
        );
    }

    #[test]
    fn d7_two_distinct_indexes_per_login() {
        let mut rng = rand::thread_rng();
        for _ in 0..500 {
            let [a, b] = pick_indexes(&mut rng);
            assert_ne!(a, b, "D7: two distinct indexes");
            assert!(a < 100 && b < 100);
            assert_eq!(indexes_from_stored(&indexes_stored([a, b])), Some([a, b]));
        }
    }
}
