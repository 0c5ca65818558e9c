//! Arguments of the cloud commands (`upload`, `audit`, and `verify --image-id`).

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use clap::{ArgGroup, Args, ValueEnum};
use glance_sig_core::SIGNATURE_PROPERTY_NAMES;
use openstack_proto::glance::Visibility;

use super::common::{EngineArgs, KeyArgs};
use crate::io::batch::ProgressMode;

/// Which cloud, and how to reach it. Without `--os-cloud` the cloud is chosen as
/// python-openstackclient does: `OS_CLOUD`, else `OS_*` variables, else the only cloud in
/// clouds.yaml (looked for in `OS_CLIENT_CONFIG_FILE`, `./`, `~/.config/openstack/`,
/// `/etc/openstack/`).
#[derive(Debug, Clone, Args)]
pub struct CloudArgs {
    /// The cloud in clouds.yaml [default: OS_CLOUD].
    #[arg(long, value_name = "NAME")]
    pub os_cloud: Option<String>,
    /// The region whose endpoints to use [default: the cloud's region_name, OS_REGION_NAME].
    #[arg(long, value_name = "REGION")]
    pub os_region_name: Option<String>,
    /// The catalog interface: public, internal or admin [default: the cloud's, OS_INTERFACE,
    /// else public].
    #[arg(long, value_name = "INTERFACE")]
    pub os_interface: Option<String>,
    /// Use this Glance URL instead of the catalog's.
    #[arg(long, env = "OS_IMAGE_ENDPOINT_OVERRIDE", value_name = "URL")]
    pub os_image_endpoint_override: Option<String>,
    /// Use this Barbican URL instead of the catalog's.
    #[arg(long, env = "OS_KEY_MANAGER_ENDPOINT_OVERRIDE", value_name = "URL")]
    pub os_key_manager_endpoint_override: Option<String>,
    /// A PEM file of CA certificates to trust for https, added to this machine's roots
    /// [default: the cloud's cacert].
    #[arg(long, env = "OS_CACERT", value_name = "PATH")]
    pub os_cacert: Option<PathBuf>,
    /// A PEM client certificate, for clouds that require mutual TLS [default: the cloud's cert].
    #[arg(long, env = "OS_CERT", value_name = "PATH")]
    pub os_cert: Option<PathBuf>,
    /// The client certificate's PEM private key [default: the cloud's key].
    #[arg(long, env = "OS_KEY", value_name = "PATH")]
    pub os_key: Option<PathBuf>,
    /// Do not check https servers' certificates (unsafe: anyone on the path can read the token
    /// and change the image); as `verify: false` in clouds.yaml.
    #[arg(long)]
    pub insecure: bool,
    /// Seconds a connection may stall (connect, or any one read or write) before the request
    /// is abandoned; also how long to wait for an image to become active.
    #[arg(long, value_name = "SECONDS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
}

impl CloudArgs {
    /// [`CloudArgs::timeout`] as a duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout)
    }
}

/// `glance-sig upload`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("certificate").required(true).args(["cert_uuid", "cert"])))]
// What the certificate flags mean when the cloud is at hand.
#[command(mut_arg("cert_uuid", |a| a.help("The Barbican secret that already holds the signing certificate")))]
#[command(mut_arg("cert", |a| a.help("The signing certificate (PEM or DER): stored in Barbican as castellan reads it, unless an identical certificate is stored already")))]
// Listed after the certificate flags, where upload has always listed it (the 6th flag; a tie
// in display order goes by name).
#[command(mut_arg("hash_method", |a| a.display_order(5)))]
pub struct UploadArgs {
    /// The image file (read twice, streamed: once to sign, once to upload).
    #[arg(long)]
    pub image: PathBuf,
    #[command(flatten)]
    pub keys: KeyArgs,
    /// The image name [default: the file name without its extension].
    #[arg(long)]
    pub name: Option<String>,
    /// raw, qcow2, vmdk, vhd, vhdx, vdi, iso, ... [default: detected from the file's first bytes].
    #[arg(long)]
    pub disk_format: Option<String>,
    /// bare, ovf, ova, ...
    #[arg(long, default_value = "bare")]
    pub container_format: String,
    /// Who may see the image [default: Glance's, shared].
    #[arg(long, value_enum)]
    pub visibility: Option<VisibilityArg>,
    /// An extra image property (repeatable).
    #[arg(long = "property", value_name = "KEY=VALUE", value_parser = parse_property)]
    pub properties: Vec<(String, String)>,
    /// Keep the image when the upload fails (it stays queued, with all four properties).
    #[arg(long)]
    pub keep: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub engine: EngineArgs,
    #[command(flatten)]
    pub cloud: CloudArgs,
}

/// `glance-sig audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Also download each signed image and verify its data.
    #[arg(long)]
    pub verify: bool,
    /// Who verifies the data with --verify.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Only the images of the token's project (not public or shared ones of others).
    #[arg(long)]
    pub mine: bool,
    /// Warn about certificates and secrets that expire within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 30)]
    pub expiry_warning_days: u32,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
    /// Also write the JSON report to FILE (a shard's report, for `glance-sig audit-merge`).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Images downloaded and verified at once with --verify.
    #[arg(long, value_name = "N", default_value = "4", env = "GLANCE_SIG_JOBS")]
    pub jobs: NonZeroUsize,
    /// Audit only shard I of N of the catalog (counting from 1; an image's shard is fixed by
    /// its id); `auto/N` takes I from JOB_COMPLETION_INDEX + 1 (a Kubernetes Indexed Job).
    /// `glance-sig audit-merge` joins the shards' reports.
    #[arg(long, value_name = "I/N", env = "GLANCE_SIG_SHARD")]
    pub shard: Option<String>,
    /// The progress line on stderr (images, bytes, MB/s) with --verify: when stderr is a
    /// terminal, always, or never. Never on stdout.
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub progress: ProgressMode,
    #[command(flatten)]
    pub cloud: CloudArgs,
}

/// `glance-sig audit-merge`.
#[derive(Debug, Args)]
pub struct AuditMergeArgs {
    /// The shards' JSON reports (`audit --shard I/N --output FILE`), every shard once.
    #[arg(required = true, value_name = "REPORT")]
    pub reports: Vec<PathBuf>,
    /// Machine-readable output: the report a single `audit --json` gives.
    #[arg(long)]
    pub json: bool,
    /// Also write the merged JSON report to FILE.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `--visibility`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VisibilityArg {
    /// The owner project only.
    Private,
    /// The owner and member projects.
    Shared,
    /// Everyone, without listing it by default.
    Community,
    /// Everyone.
    Public,
}

impl From<VisibilityArg> for Visibility {
    fn from(v: VisibilityArg) -> Self {
        match v {
            VisibilityArg::Private => Visibility::Private,
            VisibilityArg::Shared => Visibility::Shared,
            VisibilityArg::Community => Visibility::Community,
            VisibilityArg::Public => Visibility::Public,
        }
    }
}

fn parse_property(s: &str) -> Result<(String, String), String> {
    let Some((key, value)) = s.split_once('=') else {
        return Err(format!("{s:?} is not KEY=VALUE"));
    };
    if key.is_empty() {
        return Err(format!("{s:?} has an empty key"));
    }
    if SIGNATURE_PROPERTY_NAMES.contains(&key) {
        return Err(format!(
            "{key} is set by glance-sig itself, from the signature it makes"
        ));
    }
    Ok((key.to_owned(), value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_parse_and_refuse_signature_names() {
        assert_eq!(
            parse_property("os_distro=cirros=1"),
            Ok(("os_distro".into(), "cirros=1".into()))
        );
        assert_eq!(
            parse_property("empty="),
            Ok(("empty".into(), String::new()))
        );
        assert!(parse_property("novalue").is_err());
        assert!(parse_property("=v").is_err());
        assert!(parse_property("img_signature=abc").is_err());
        assert!(parse_property("img_signature_key_type=DSA").is_err());
    }
}
