//! Exit codes, the same for every command, documented in the README and in `--help`
//! ([`EXIT_CODES`]): 0 valid/done, 1 not valid (or refused by Glance, or key and certificate
//! differ), 2 usage errors and unreadable or malformed local input, 3 could not check (network,
//! TLS, authentication, a cloud error): a pipeline retries on 3 and stops on 1.

use std::process::ExitCode;

use thiserror::Error;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Valid, or done.
    Success,
    /// Verification failed, or the key does not match the certificate.
    Rejected,
    /// Usage error, unreadable or malformed input.
    BadInput,
    /// Nothing was decided: the cloud could not be reached, authenticated with, or it failed.
    Unchecked,
}

/// The exit codes, as `--help` prints them.
pub const EXIT_CODES: &str = "\
Exit codes (every command):
  0  ok: signed, uploaded and verified by Glance, signature valid, audit clean
  1  not valid: the signature or chain does not verify, Glance refused the data, the key does
     not match the certificate, or audit found images that would not verify or boot
  2  usage, or unreadable or malformed local input (files, clouds.yaml, CA or client
     certificate files)
  3  could not check: network, TLS, authentication or a cloud error; nothing was decided
  130  interrupted (Ctrl-C, SIGTERM); an upload first deletes the image it created";

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> Self {
        ExitCode::from(match o {
            Outcome::Success => 0,
            Outcome::Rejected => 1,
            Outcome::BadInput => 2,
            Outcome::Unchecked => 3,
        })
    }
}

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
    #[error("the private key {key} does not match the certificate {cert} ({cert_key}): a cloud would refuse every signature it makes")]
    KeyMismatch {
        key: String,
        cert: String,
        cert_key: String,
    },
    /// Signing failed (the engine's message).
    #[error("{0}")]
    Sign(String),
    /// `--engine component` and no component file.
    #[error("no WebAssembly component for --engine component (looked for {})", tried.join(", "))]
    ComponentMissing { tried: Vec<String> },
    /// The component could not be loaded, or failed.
    #[error("{detail}")]
    Component { detail: String },
    /// A cloud command failed (configuration, Keystone, Barbican, Glance).
    #[error(transparent)]
    Cloud(Box<crate::cloud::CloudError>),
}

impl From<crate::cloud::CloudError> for CliError {
    fn from(e: crate::cloud::CloudError) -> Self {
        CliError::Cloud(Box::new(e))
    }
}

impl CliError {
    /// How to fix it, when there is more to say.
    pub fn fix(&self) -> Option<String> {
        match self {
            CliError::Malformed { fix, .. } => fix.clone(),
            CliError::KeyMismatch { .. } => Some("pass the certificate that holds this key's public half (openssl x509 -noout -pubkey shows it), or the key the certificate was made for".to_owned()),
            CliError::ComponentMissing { .. } => Some("build it with scripts/component/build.sh, or give its path with --component or GLANCE_SIG_COMPONENT".to_owned()),
            CliError::Cloud(e) => e.fix(),
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
