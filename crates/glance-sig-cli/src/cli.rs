//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use glance_sig_core::HashMethod;

/// Sign, verify and inspect OpenStack image signatures (the img_signature* properties),
/// exactly as Glance, Nova and cursive check them.
#[derive(Debug, Parser)]
#[command(name = "glance-sig", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign an image file; print the four img_signature* properties as JSON.
    Sign(SignArgs),
    /// Verify an image file against its properties and certificate, as Glance and Nova do.
    Verify(VerifyArgs),
    /// Say what a certificate, key or properties file is, and what a cloud would make of it.
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The image file (streamed; any size).
    #[arg(long)]
    pub image: PathBuf,
    /// The private key: PEM or DER; PKCS#8 (optionally encrypted), PKCS#1, SEC1 or OpenSSL DSA.
    #[arg(long)]
    pub key: PathBuf,
    /// A file whose first line is the key's passphrase (else a prompt on a terminal).
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
    /// SHA-224, SHA-256, SHA-384 or SHA-512.
    #[arg(long, default_value = "SHA-256", value_parser = parse_hash)]
    pub hash_method: HashMethod,
    /// The Barbican secret id of the signing certificate (img_signature_certificate_uuid).
    #[arg(long)]
    pub cert_uuid: String,
    /// The certificate: refuse to sign when the key does not match it.
    #[arg(long)]
    pub cert: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The image file (streamed; any size).
    #[arg(long)]
    pub image: PathBuf,
    /// The signing certificate, PEM or DER (what Barbican holds under the certificate id).
    #[arg(long)]
    pub cert: PathBuf,
    /// The image properties: a JSON object, or `openstack image show -f json` output.
    #[arg(long)]
    pub properties: PathBuf,
    /// A trusted certificate (repeatable; PEM bundles allowed): validate the chain as Nova does.
    #[arg(long)]
    pub trusted: Vec<PathBuf>,
    /// The time for certificate checks, RFC 3339 (default: now).
    #[arg(long)]
    pub at: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Do not re-read the image to explain a failure.
    #[arg(long)]
    pub no_explain: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A certificate, private or public key, or properties JSON.
    pub path: PathBuf,
    /// Passphrase file for an encrypted private key.
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
    /// The time for validity checks, RFC 3339 (default: now).
    #[arg(long)]
    pub at: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

fn parse_hash(s: &str) -> Result<HashMethod, String> {
    HashMethod::parse(s).map_err(|e| e.to_string())
}
