//! Streaming image hashing: the whole cost of signing and verifying a large image.

use sha2::{Digest, Sha224, Sha256};
#[cfg(not(feature = "openssl"))]
use sha2::{Sha384, Sha512};

#[cfg(feature = "openssl")]
use self::libcrypto::{Sha384, Sha512};
use crate::properties::HashMethod;

/// A hash over image data fed in chunks of any size; constant memory.
#[derive(Clone)]
pub enum ImageHasher {
    /// SHA-224
    Sha224(Sha224),
    /// SHA-256
    Sha256(Sha256),
    /// SHA-384
    Sha384(Sha384),
    /// SHA-512
    Sha512(Sha512),
}

impl ImageHasher {
    /// A fresh hasher for the method.
    pub fn new(method: HashMethod) -> Self {
        match method {
            HashMethod::Sha224 => ImageHasher::Sha224(Sha224::new()),
            HashMethod::Sha256 => ImageHasher::Sha256(Sha256::new()),
            HashMethod::Sha384 => ImageHasher::Sha384(Sha384::new()),
            HashMethod::Sha512 => ImageHasher::Sha512(Sha512::new()),
        }
    }

    /// The method this hasher computes.
    pub fn method(&self) -> HashMethod {
        match self {
            ImageHasher::Sha224(_) => HashMethod::Sha224,
            ImageHasher::Sha256(_) => HashMethod::Sha256,
            ImageHasher::Sha384(_) => HashMethod::Sha384,
            ImageHasher::Sha512(_) => HashMethod::Sha512,
        }
    }

    /// Feeds the next chunk.
    pub fn update(&mut self, chunk: &[u8]) {
        match self {
            ImageHasher::Sha224(h) => h.update(chunk),
            ImageHasher::Sha256(h) => h.update(chunk),
            ImageHasher::Sha384(h) => h.update(chunk),
            ImageHasher::Sha512(h) => h.update(chunk),
        }
    }

    /// The digest of everything fed.
    pub fn finalize(self) -> ImageDigest {
        let method = self.method();
        let bytes = match self {
            ImageHasher::Sha224(h) => h.finalize().to_vec(),
            ImageHasher::Sha256(h) => h.finalize().to_vec(),
            ImageHasher::Sha384(h) => h.finalize().to_vec(),
            ImageHasher::Sha512(h) => h.finalize().to_vec(),
        };
        ImageDigest { method, bytes }
    }
}

/// A finished digest and the method that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageDigest {
    method: HashMethod,
    bytes: Vec<u8>,
}

impl ImageDigest {
    /// The method.
    pub fn method(&self) -> HashMethod {
        self.method
    }
    /// The digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        self.bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// All four digests at once, for explaining a failed verification (second pass only: it
/// costs about three times a single hash).
#[derive(Clone)]
pub struct AllDigestsHasher {
    hashers: [ImageHasher; 4],
}

impl Default for AllDigestsHasher {
    fn default() -> Self {
        Self {
            hashers: HashMethod::ALL.map(ImageHasher::new),
        }
    }
}

impl AllDigestsHasher {
    /// Feeds the next chunk to all four.
    pub fn update(&mut self, chunk: &[u8]) {
        for h in &mut self.hashers {
            h.update(chunk);
        }
    }
    /// The four digests, in [`HashMethod::ALL`] order.
    pub fn finalize(self) -> Vec<ImageDigest> {
        self.hashers
            .into_iter()
            .map(ImageHasher::finalize)
            .collect()
    }
}

/// SHA-384 and SHA-512 from the system's libcrypto, as RustCrypto `Digest`s, so that the
/// hasher's shape does not change. Measured in memory on this project's machine (AMD EPYC,
/// AVX2, SHA-NI), 1 GiB: SHA-512 sha2 3.63 s, ring 2.96 s, aws-lc-rs 3.15 s, libcrypto 2.61 s;
/// SHA-384 sha2 3.74 s, aws-lc-rs 2.96 s, libcrypto 2.42 s. SHA-256 is sha2's already (SHA-NI,
/// 0.87 s, the same as libcrypto), so only these two come from here. Native builds only (the
/// feature `openssl`): the component and the portal keep sha2.
#[cfg(feature = "openssl")]
mod libcrypto {
    use digest::consts::{U48, U64};
    use digest::{FixedOutput, HashMarker, Output, OutputSizeUser, Update};

    macro_rules! libcrypto_digest {
        ($name:ident, $inner:ty, $size:ty) => {
            #[derive(Clone)]
            pub struct $name(pub(super) $inner);

            impl Default for $name {
                fn default() -> Self {
                    Self(<$inner>::new())
                }
            }
            impl HashMarker for $name {}
            impl OutputSizeUser for $name {
                type OutputSize = $size;
            }
            impl Update for $name {
                fn update(&mut self, data: &[u8]) {
                    self.0.update(data);
                }
            }
            impl FixedOutput for $name {
                fn finalize_into(self, out: &mut Output<Self>) {
                    out.copy_from_slice(&self.0.finish());
                }
            }
        };
    }

    libcrypto_digest!(Sha384, openssl::sha::Sha384, U48);
    libcrypto_digest!(Sha512, openssl::sha::Sha512, U64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunking_does_not_change_the_digest() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        for method in HashMethod::ALL {
            let mut whole = ImageHasher::new(method);
            whole.update(&data);
            let mut pieces = ImageHasher::new(method);
            for chunk in data.chunks(997) {
                pieces.update(chunk);
            }
            let (a, b) = (whole.finalize(), pieces.finalize());
            assert_eq!(a, b);
            assert_eq!(a.as_bytes().len(), method.output_len());
        }
        let mut h = ImageHasher::new(HashMethod::Sha256);
        h.update(b"abc");
        assert_eq!(
            h.finalize().to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    /// The libcrypto backend gives sha2's digests, at every length around the block and
    /// padding boundaries, fed whole and in odd pieces.
    #[cfg(feature = "openssl")]
    #[test]
    fn libcrypto_agrees_with_sha2() {
        let data: Vec<u8> = (0..5_000u32).map(|i| (i * 7 % 256) as u8).collect();
        for len in [0, 1, 55, 56, 111, 112, 127, 128, 129, 255, 256, 1000, 5000] {
            let data = &data[..len];
            for (method, expected) in [
                (HashMethod::Sha384, sha2::Sha384::digest(data).to_vec()),
                (HashMethod::Sha512, sha2::Sha512::digest(data).to_vec()),
            ] {
                let mut h = ImageHasher::new(method);
                for piece in data.chunks(61) {
                    h.update(piece);
                }
                assert_eq!(
                    h.finalize().as_bytes(),
                    expected,
                    "{method:?} of {len} bytes"
                );
            }
        }
    }
}
