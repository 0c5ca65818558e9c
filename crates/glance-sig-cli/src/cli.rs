//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use glance_sig_core::HashMethod;

/// Sign, verify and inspect OpenStack image signatures (the img_signature* properties),
/// exactly as Glance, Nova and cursive check them.
#[derive(Debug, Parser)]
#[command(name = "glance-sig", version, about, long_about = None, after_help = crate::exit::EXIT_CODES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign an image file; print the four img_signature* properties as JSON.
    #[command(after_help = crate::exit::EXIT_CODES)]
    Sign(SignArgs),
    /// Verify an image file against its properties and certificate, as Glance and Nova do;
    /// or, with --image-id, an image in Glance with its certificate from Barbican.
    #[command(after_help = crate::exit::EXIT_CODES)]
    Verify(VerifyArgs),
    /// Sign an image file and upload it to Glance, which verifies it (all four properties in
    /// the one create request; the image is deleted if anything fails).
    #[command(after_help = crate::exit::EXIT_CODES)]
    Upload(crate::cloud::args::UploadArgs),
    /// Check every image in scope: unsigned, partially signed, or signed with a certificate
    /// Glance and Nova can use; each finding with its fix.
    #[command(after_help = crate::exit::EXIT_CODES)]
    Audit(crate::cloud::args::AuditArgs),
    /// Say what a certificate, key or properties file is, and what a cloud would make of it.
    #[command(after_help = crate::exit::EXIT_CODES)]
    Inspect(InspectArgs),
    /// Hash zeros in memory and print the rate (bench/component.sh).
    #[command(hide = true)]
    BenchHash(BenchHashArgs),
}

/// Which implementation does the scheme work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineKind {
    /// The core, compiled into this binary.
    Native,
    /// The WebAssembly component (openstack:image-signature), run by wasmtime.
    #[value(alias = "wasmtime")]
    Component,
}

#[derive(Debug, Args)]
pub struct EngineArgs {
    /// Who does the work: the native core, or the WebAssembly component under wasmtime
    /// (same output and exit codes).
    #[arg(long, value_enum, default_value = "native", env = "GLANCE_SIG_ENGINE")]
    pub engine: EngineKind,
    /// The component for --engine component [default: target/component/glance_sig_component.wasm
    /// under the current directory, else next to this executable or in ../component/].
    #[arg(long, env = "GLANCE_SIG_COMPONENT")]
    pub component: Option<PathBuf>,
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
    #[command(flatten)]
    pub engine: EngineArgs,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("source").required(true).args(["image", "image_id"])))]
pub struct VerifyArgs {
    /// The image file (streamed; any size).
    #[arg(long)]
    pub image: Option<PathBuf>,
    /// An image in Glance: its data is downloaded (streamed), its properties come from Glance
    /// and its certificate from Barbican (unless --cert is given).
    #[arg(long, value_name = "ID")]
    pub image_id: Option<String>,
    /// The signing certificate, PEM or DER (what Barbican holds under the certificate id).
    #[arg(long, required_unless_present = "image_id")]
    pub cert: Option<PathBuf>,
    /// The image properties: a JSON object, or `openstack image show -f json` output
    /// (not with --image-id: Glance has them).
    #[arg(
        long,
        required_unless_present = "image_id",
        conflicts_with = "image_id"
    )]
    pub properties: Option<PathBuf>,
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
    #[command(flatten)]
    pub engine: EngineArgs,
    /// The cloud, for --image-id.
    #[command(flatten)]
    pub cloud: crate::cloud::args::CloudArgs,
}

#[derive(Debug, Args)]
pub struct BenchHashArgs {
    /// Mebibytes of zeros to hash.
    #[arg(long, default_value_t = 1024)]
    pub mib: u64,
    /// SHA-224, SHA-256, SHA-384 or SHA-512.
    #[arg(long, default_value = "SHA-256", value_parser = parse_hash)]
    pub hash_method: HashMethod,
    #[command(flatten)]
    pub engine: EngineArgs,
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
