//! [`CliError`]: what ends a command, how to fix it, and its exit code.

use thiserror::Error;

use crate::cloud::error::CloudError;
use crate::exit::Outcome;
use crate::io::batch::{MergeError, ShardError};

/// An error that ends a command.
#[derive(Debug, Error)]
pub enum CliError {
    /// A file could not be read.
    #[error("cannot read {what} {path}: {source}")]
    Read {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {what} {path}: {source}")]
    Write {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    /// A file is too large for what it should be.
    #[error("{what} {path} is {size} bytes; that is too large for {what} (limit {limit} bytes)")]
    TooLarge {
        what: &'static str,
        path: String,
        size: u64,
        limit: u64,
    },
    /// A file could not be understood.
    #[error("{what} {path}: {detail}")]
    Malformed {
        what: &'static str,
        path: String,
        detail: String,
        fix: Option<String>,
    },
    /// Bad flag values.
    #[error("{0}")]
    Usage(String),
    /// The key does not belong to the certificate.
    #[error("{key} and {cert}: {detail}")]
    KeyMismatch {
        key: String,
        cert: String,
        /// The core's words (which key, which certificate key).
        detail: String,
    },
    /// Signing failed (the engine's message).
    #[error("{0}")]
    Sign(String),
    /// A signer outside this process (a PKCS#11 token, an external command) failed, or what
    /// it returned is not a signature by the certificate's key.
    #[error("{signer}: {detail}")]
    Signer {
        /// The token's URI (without the PIN) or the command.
        signer: String,
        detail: String,
        fix: Option<String>,
    },
    /// `--engine component` and no component file.
    #[error("no WebAssembly component for --engine component (looked for {})", tried.join(", "))]
    ComponentMissing { tried: Vec<String> },
    /// The component beside this binary is not the one it was built with.
    #[error("the component {path} is not the one this glance-sig was built with (its sha256 is {found}, the pinned one {})", pinned.as_deref().unwrap_or("none: it was built before the component"))]
    ComponentNotPinned {
        path: String,
        found: String,
        pinned: Option<String>,
    },
    /// The component could not be loaded, or failed.
    #[error("{detail}")]
    Component { detail: String },
    /// `--shard` names no shard.
    #[error(transparent)]
    Shard(#[from] ShardError),
    /// Reports to merge that are not the shards of one run.
    #[error(transparent)]
    Merge(#[from] MergeError),
    /// A cloud command failed (configuration, Keystone, Barbican, Glance).
    #[error(transparent)]
    Cloud(Box<CloudError>),
}

impl From<CloudError> for CliError {
    fn from(e: CloudError) -> Self {
        CliError::Cloud(Box::new(e))
    }
}

impl CliError {
    /// How to fix it, when there is more to say.
    pub fn fix(&self) -> Option<String> {
        match self {
            CliError::Malformed { fix, .. } | CliError::Signer { fix, .. } => fix.clone(),
            CliError::KeyMismatch { .. } => Some("pass the certificate that holds this key's public half (openssl x509 -noout -pubkey shows it), or the key the certificate was made for".to_owned()),
            CliError::ComponentMissing { .. } => Some("build it with scripts/component/build.sh, or give its path with --component or GLANCE_SIG_COMPONENT".to_owned()),
            CliError::ComponentNotPinned { .. } => Some("rebuild both, component first (scripts/component/build.sh --wasm, then cargo build --release), or choose a component yourself with --component".to_owned()),
            CliError::Cloud(e) => e.fix(),
            CliError::Shard(e) => Some(e.fix()),
            CliError::Merge(e) => Some(e.fix()),
            _ => None,
        }
    }
}

impl From<&CliError> for Outcome {
    fn from(e: &CliError) -> Self {
        match e {
            CliError::KeyMismatch { .. } => Outcome::Rejected,
            CliError::Sign(_) => Outcome::Rejected,
            CliError::Cloud(e) => e.outcome(),
            _ => Outcome::BadInput,
        }
    }
}
