//! Exit codes, the same for every command, documented in the README and in `--help`
//! ([`EXIT_CODES`]); which error ends with which code is in `error.rs`: 0 valid/done, 1 not valid (or refused by Glance, or key and certificate
//! differ), 2 usage errors and unreadable or malformed local input, 3 could not check (network,
//! TLS, authentication, a cloud error): a pipeline retries on 3 and stops on 1.

use std::process::ExitCode;

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
  0  ok: signed, uploaded and verified by Glance, signature valid, audit clean. A valid
     signature without trusted certificates exits 0 too (as Glance, and Nova without
     certificate validation, accept it); the report then says authenticity is NOT established
  1  not valid: the signature or chain does not verify, Glance refused the data, the key does
     not match the certificate, audit found images that would not verify or boot, or (with
     verify --require-trust) no trusted certificate vouches for the signer
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
