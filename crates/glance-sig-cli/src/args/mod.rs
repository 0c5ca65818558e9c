//! Command-line arguments: the commands here, the flags they share in [`common`], those of the
//! cloud commands in [`cloud`].

pub mod cloud;
pub mod common;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use self::cloud::{AuditArgs, AuditMergeArgs, CloudArgs, UploadArgs};
use self::common::{EngineArgs, KeyArgs};

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
    Upload(UploadArgs),
    /// Check every image in scope: unsigned, partially signed, or signed with a certificate
    /// Glance and Nova can use; each finding with its fix.
    #[command(after_help = crate::exit::EXIT_CODES)]
    Audit(AuditArgs),
    /// Join the JSON reports of `audit --shard I/N` (every shard once, the same audit) into the
    /// report one `audit` of the whole catalog gives.
    #[command(after_help = crate::exit::EXIT_CODES)]
    AuditMerge(AuditMergeArgs),
    /// Say what a certificate, key or properties file is, and what a cloud would make of it.
    #[command(after_help = crate::exit::EXIT_CODES)]
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
// `sign` talks to no cloud: the certificate id is required, the file only checks the key.
#[command(mut_arg("cert_uuid", |a| a.required(true).value_name("CERT_UUID")))]
#[command(mut_arg("cert", |a| a.value_name("CERT").help("The certificate: refuse to sign when the key does not match it")))]
pub struct SignArgs {
    /// The image file (streamed; any size).
    #[arg(long)]
    pub image: PathBuf,
    #[command(flatten)]
    pub keys: KeyArgs,
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
    /// A trust anchor (repeatable): a PEM or DER file (bundles allowed) or, with --image-id,
    /// a Barbican secret id, like Nova's trusted_image_certificates. The certificate is
    /// validated against the anchors as Nova does; without any, the report says that
    /// authenticity was not established. Default: GLANCE_SIG_TRUSTED (comma-separated), the
    /// configured anchors, like Nova's default_trusted_certificate_ids.
    #[arg(
        long,
        value_name = "FILE|ID",
        env = "GLANCE_SIG_TRUSTED",
        value_delimiter = ','
    )]
    pub trusted: Vec<String>,
    /// Fail (exit 1) unless a trust anchor vouches for the signer, not only when the
    /// signature is invalid.
    #[arg(long)]
    pub require_trust: bool,
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
    pub cloud: CloudArgs,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A certificate, private or public key, or properties JSON; or a key on a PKCS#11 token
    /// ('pkcs11:token=…;object=…?pin-source=file:…').
    pub path: PathBuf,
    /// The PKCS#11 module for a pkcs11: URI without module-path=.
    #[arg(long, value_name = "PATH", env = "GLANCE_SIG_PKCS11_MODULE")]
    pub pkcs11_module: Option<PathBuf>,
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

#[cfg(test)]
mod tests {
    use clap::error::ErrorKind;
    use clap::CommandFactory;
    use glance_sig_core::HashMethod;

    use super::common::EngineKind;
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, clap::Error> {
        Cli::try_parse_from(std::iter::once("glance-sig").chain(args.iter().copied()))
            .map(|cli| cli.command)
    }

    const KEY_FLAGS: [&str; 8] = [
        "--key",
        "k.pem",
        "--passphrase-file",
        "p.txt",
        "--hash-method",
        "SHA-384",
        "--cert",
        "c.pem",
    ];

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sign_and_upload_read_the_same_key_flags() {
        let sign = parse(
            &[
                &["sign", "--image", "i", "--cert-uuid", "u"],
                &KEY_FLAGS[..],
            ]
            .concat(),
        );
        let upload = parse(&[&["upload", "--image", "i"], &KEY_FLAGS[..]].concat());
        let (Ok(Command::Sign(sign)), Ok(Command::Upload(upload))) = (sign, upload) else {
            panic!("both parse");
        };
        for keys in [&sign.keys, &upload.keys] {
            assert_eq!(keys.key, Some(PathBuf::from("k.pem")));
            assert_eq!(keys.passphrase_file, Some(PathBuf::from("p.txt")));
            assert_eq!(keys.hash_method, HashMethod::Sha384);
            assert_eq!(keys.cert, Some(PathBuf::from("c.pem")));
        }
        assert_eq!(sign.keys.cert_uuid.as_deref(), Some("u"));
        assert_eq!(upload.keys.cert_uuid, None);
    }

    #[test]
    fn sign_needs_the_certificate_id_and_upload_a_certificate() {
        let missing = |args: &[&str]| parse(args).map(|_| ()).map_err(|e| e.kind());
        assert_eq!(
            missing(&["sign", "--image", "i", "--key", "k", "--cert", "c"]),
            Err(ErrorKind::MissingRequiredArgument)
        );
        assert_eq!(
            missing(&["upload", "--image", "i", "--key", "k"]),
            Err(ErrorKind::MissingRequiredArgument)
        );
        assert_eq!(
            missing(&["upload", "--image", "i", "--key", "k", "--cert-uuid", "u"]),
            Ok(())
        );
    }

    #[test]
    fn a_key_or_a_signer_command_signs_never_both() {
        let kind = |args: &[&str]| parse(args).map(|_| ()).map_err(|e| e.kind());
        let base = ["sign", "--image", "i", "--cert-uuid", "u", "--cert", "c"];
        assert_eq!(kind(&base), Err(ErrorKind::MissingRequiredArgument));
        assert_eq!(
            kind(&[&base[..], &["--key", "k", "--signer-command", "kms"]].concat()),
            Err(ErrorKind::ArgumentConflict)
        );
        assert_eq!(
            kind(&[&base[..], &["--signer-command", "kms"]].concat()),
            Ok(())
        );
        assert_eq!(
            kind(&[&base[..], &["--key", "pkcs11:token=t;object=k"]].concat()),
            Ok(())
        );
    }

    #[test]
    fn verify_of_an_image_in_glance_takes_either_engine() {
        let Ok(Command::Verify(args)) =
            parse(&["verify", "--image-id", "x", "--engine", "component"])
        else {
            panic!("parses");
        };
        assert_eq!(args.engine.engine, EngineKind::Component);
    }
}
