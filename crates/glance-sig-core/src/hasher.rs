//! Streaming image hashing: the whole cost of signing and verifying a large image.

use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

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
}
