//! Randomness for signing, straight from `wasi:random/random`.
//!
//! Not `rand_core::OsRng`: on wasm32-wasip2 it goes through getrandom 0.2, which calls WASI
//! preview 1's `random_get`, and that pulls in the whole preview-1 adapter (environment,
//! exit, stdio, filesystem imports). `get-random-bytes` is specified to be a CSPRNG.

use rand_core::{CryptoRng, RngCore};

use crate::bindings::wasi::random::random;

/// The host's cryptographically secure random source.
pub struct WasiRandom;

impl RngCore for WasiRandom {
    fn next_u32(&mut self) -> u32 {
        rand_core::impls::next_u32_via_fill(self)
    }

    fn next_u64(&mut self) -> u64 {
        random::get_random_u64()
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let mut filled = 0;
        while filled < dest.len() {
            let want = dest.len() - filled;
            let got = random::get_random_bytes(want as u64);
            // The interface returns exactly `len` bytes; a host returning none would make
            // this loop spin, so treat that as the broken host it is.
            assert!(
                !got.is_empty(),
                "wasi:random/random.get-random-bytes returned no bytes"
            );
            let n = got.len().min(want);
            dest[filled..filled + n].copy_from_slice(&got[..n]);
            filled += n;
        }
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

impl CryptoRng for WasiRandom {}
