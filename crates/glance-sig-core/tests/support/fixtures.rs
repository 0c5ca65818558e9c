//! The fixtures of tests/data (made by tests/data/make.py), shared by the test files.

use glance_sig_core::{Certificate, PrivateKey};

pub fn data(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR")))
        .expect("fixture exists")
}

pub fn key(name: &str) -> PrivateKey {
    PrivateKey::from_bytes(&data(name), None).expect("fixture key parses")
}

pub fn cert(name: &str) -> Certificate {
    Certificate::from_pem_or_der(&data(name)).expect("fixture certificate parses")
}
