//! How https connections are checked, and what a refused certificate means.
//!
//! The roots are the platform's CA bundle (as openssl reads it: `SSL_CERT_FILE`,
//! `SSL_CERT_DIR`, `/etc/ssl/certs`) plus the cloud's own CA file (clouds.yaml `cacert`,
//! `OS_CACERT`, `--os-cacert`): a private CA is added to the public ones, not put in their
//! place, so one machine reaches both a private Keystone and public mirrors. A client
//! certificate (`cert` and `key`) is sent to clouds that require mutual TLS. `verify: false`
//! and `--insecure` turn checking off, with a warning on every run.
//!
//! Every file is read and checked here, before any connection: a broken CA or client key is a
//! local mistake (exit 2), named with the setting it came from, never a panic inside the TLS
//! stack.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{AlertDescription, CertificateError};
use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, RootCerts, TlsConfig};

/// Largest CA bundle or client certificate file read (a full Mozilla bundle is about 250 KB).
const FILE_LIMIT: u64 = 16 * 1024 * 1024;

/// Where a TLS file came from, for messages: `--os-cacert`, `clouds.yaml cacert`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The path, as given.
    pub path: PathBuf,
    /// The option or key that named it.
    pub origin: String,
}

impl Setting {
    /// A path and the setting that named it.
    pub fn new(path: impl Into<PathBuf>, origin: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            origin: origin.into(),
        }
    }
}

impl fmt::Display for Setting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.path.display(), self.origin)
    }
}

/// The TLS settings of one cloud.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsOptions {
    /// Extra trusted CA certificates (PEM, one or many).
    pub cacert: Option<Setting>,
    /// The client certificate chain (PEM); may hold the key too.
    pub cert: Option<Setting>,
    /// The client certificate's private key (PEM: PKCS#8, PKCS#1 or SEC1).
    pub key: Option<Setting>,
    /// Server certificates are not checked at all.
    pub insecure: bool,
}

/// A TLS setting that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsSetupError {
    /// A file could not be read.
    #[error("cannot read {setting}: {source}")]
    Read {
        /// The file and its setting.
        setting: Setting,
        /// Why.
        source: std::io::Error,
    },
    /// The CA file holds no certificate.
    #[error("{setting} holds no usable PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCaCertificate {
        /// The file and its setting.
        setting: Setting,
    },
    /// The client certificate or key is unusable.
    #[error("client certificate {cert}: {detail}")]
    ClientCert {
        /// The certificate file and its setting.
        cert: Setting,
        /// What is wrong.
        detail: String,
    },
    /// A key without a certificate.
    #[error("{key} names a client key but no client certificate is given")]
    KeyWithoutCert {
        /// The key file and its setting.
        key: Setting,
    },
}

impl TlsSetupError {
    /// What to do about it.
    pub fn fix(&self) -> String {
        match self {
            Self::Read { setting, .. } | Self::NoCaCertificate { setting } => format!(
                "point {} at the cloud's CA certificate in PEM (ask its operators for it, or \
                 `openssl s_client -showcerts -connect HOST:PORT` shows the chain it sends)",
                setting.origin
            ),
            Self::ClientCert { .. } => "give the PEM client certificate with cert (OS_CERT, \
                 --os-cert) and its unencrypted PEM private key with key (OS_KEY, --os-key)"
                .to_owned(),
            Self::KeyWithoutCert { .. } => {
                "give the client certificate too: cert in clouds.yaml, OS_CERT or --os-cert"
                    .to_owned()
            }
        }
    }
}

impl TlsOptions {
    /// The ureq TLS configuration these settings give.
    ///
    /// # Errors
    /// [`TlsSetupError`] when a file is unreadable or holds nothing usable.
    pub fn config(&self) -> Result<TlsConfig, TlsSetupError> {
        let mut builder = TlsConfig::builder().disable_verification(self.insecure);
        builder = builder.root_certs(self.roots()?);
        if let Some(client) = self.client_cert()? {
            builder = builder.client_cert(Some(client));
        }
        Ok(builder.build())
    }

    fn roots(&self) -> Result<RootCerts, TlsSetupError> {
        let platform = rustls_native_certs::load_native_certs();
        let mut roots: Vec<Certificate<'static>> = platform
            .certs
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect();
        if let Some(setting) = &self.cacert {
            let pem = read(setting)?;
            let found: Vec<Certificate<'static>> = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(PemItem::Certificate(cert)) => Some(cert),
                    _ => None,
                })
                .collect();
            // rustls drops what it cannot parse without a word: count what it keeps.
            let (usable, _) = rustls::RootCertStore::empty().add_parsable_certificates(
                found.iter().map(|c| CertificateDer::from(c.der().to_vec())),
            );
            if usable == 0 {
                return Err(TlsSetupError::NoCaCertificate {
                    setting: setting.clone(),
                });
            }
            roots.extend(found);
        }
        // A machine without a CA bundle (no ca-certificates package) still knows the public
        // roots.
        if roots.is_empty() {
            return Ok(RootCerts::WebPki);
        }
        Ok(RootCerts::Specific(Arc::new(roots)))
    }

    fn client_cert(&self) -> Result<Option<ClientCert>, TlsSetupError> {
        let cert_setting = match (&self.cert, &self.key) {
            (None, None) => return Ok(None),
            (None, Some(key)) => return Err(TlsSetupError::KeyWithoutCert { key: key.clone() }),
            (Some(cert), _) => cert,
        };
        let bad = |detail: String| TlsSetupError::ClientCert {
            cert: cert_setting.clone(),
            detail,
        };
        let cert_pem = read(cert_setting)?;
        let mut chain = Vec::new();
        let mut key_in_cert_file = None;
        for item in ureq::tls::parse_pem(&cert_pem) {
            match item {
                Ok(PemItem::Certificate(cert)) => chain.push(cert),
                Ok(PemItem::PrivateKey(key)) => key_in_cert_file = Some(key),
                Ok(_) => {}
                Err(e) => return Err(bad(format!("not readable PEM ({e})"))),
            }
        }
        if chain.is_empty() {
            return Err(bad(
                "holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned(),
            ));
        }
        let key = match &self.key {
            Some(setting) => {
                let pem = read(setting)?;
                let found = ureq::tls::parse_pem(&pem).find_map(|item| match item {
                    Ok(PemItem::PrivateKey(key)) => Some(key),
                    _ => None,
                });
                found.ok_or_else(|| {
                    bad(format!(
                        "the key file {setting} holds no unencrypted PEM private key (BEGIN \
                         PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)"
                    ))
                })?
            }
            None => key_in_cert_file.ok_or_else(|| {
                bad(
                    "no private key: give it with key (OS_KEY, --os-key), or put it in the \
                     certificate file"
                        .to_owned(),
                )
            })?,
        };
        check_pair(&chain, &key).map_err(bad)?;
        Ok(Some(ClientCert::new_with_certs(&chain, key)))
    }
}

/// ureq hands the pair to rustls and panics when rustls refuses it: ask rustls first.
fn check_pair(chain: &[Certificate<'static>], key: &PrivateKey<'static>) -> Result<(), String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let der = PrivateKeyDer::try_from(key.der().to_vec())
        .map_err(|e| format!("the private key is not usable: {e}"))?;
    let signing = provider.key_provider.load_private_key(der).map_err(|e| {
        format!(
            "the private key is not usable for TLS ({e}); client keys can be RSA, EC P-256 \
                 or P-384, or Ed25519"
        )
    })?;
    let certs: Vec<CertificateDer<'static>> = chain
        .iter()
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    let certified = rustls::sign::CertifiedKey::new(certs, signing);
    match certified.keys_match() {
        Ok(()) => Ok(()),
        // The key's public half could not be computed (not every key type can): rustls
        // checks again in the handshake.
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(()),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err("the private key is not the certificate's".to_owned())
        }
        Err(e) => Err(format!("the private key is not usable: {e}")),
    }
}

fn read(setting: &Setting) -> Result<Vec<u8>, TlsSetupError> {
    use std::io::Read;
    let error = |source| TlsSetupError::Read {
        setting: setting.clone(),
        source,
    };
    let file = std::fs::File::open(&setting.path).map_err(error)?;
    let mut bytes = Vec::new();
    file.take(FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(error)?;
    // A truncated bundle would parse as fewer certificates, silently: refuse it whole.
    if bytes.len() as u64 > FILE_LIMIT {
        return Err(error(std::io::Error::other(format!(
            "larger than {} MiB: not a CA bundle or client certificate",
            FILE_LIMIT >> 20
        ))));
    }
    Ok(bytes)
}

/// Expands a leading `~/` (clouds.yaml files written for keystoneauth often use it).
pub fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(path),
    }
}

/// Why a TLS connection failed, in terms a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsProblem {
    /// The server's chain ends at a CA not among the roots.
    UnknownIssuer,
    /// The certificate does not name the host.
    NameMismatch {
        /// The host connected to.
        host: String,
        /// The names the certificate holds.
        presented: Vec<String>,
    },
    /// The server certificate's notAfter has passed.
    Expired {
        /// When it expired (seconds since the epoch), when known.
        not_after: Option<u64>,
    },
    /// The server certificate's notBefore is still ahead.
    NotYetValid,
    /// The certificate is not meant for TLS servers (extended key usage).
    WrongPurpose,
    /// The server wants a client certificate and none was sent.
    ClientCertRequired,
    /// The server refused the client certificate that was sent.
    ClientCertRefused {
        /// The alert it sent.
        alert: String,
    },
    /// Anything else rustls refused.
    Other(String),
}

impl fmt::Display for TlsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownIssuer => {
                f.write_str("the server's certificate is not signed by any CA this machine trusts")
            }
            Self::NameMismatch { host, presented } => {
                if presented.is_empty() {
                    write!(f, "the server's certificate does not name {host}")
                } else {
                    write!(
                        f,
                        "the server's certificate is for {}, not for {host}",
                        presented.join(", ")
                    )
                }
            }
            Self::Expired { not_after: Some(t) } => write!(
                f,
                "the server's certificate expired at {}",
                humantime::format_rfc3339_seconds(
                    std::time::UNIX_EPOCH + std::time::Duration::from_secs(*t)
                )
            ),
            Self::Expired { not_after: None } => {
                f.write_str("the server's certificate has expired")
            }
            Self::NotYetValid => f.write_str(
                "the server's certificate is not valid yet (check this machine's clock)",
            ),
            Self::WrongPurpose => {
                f.write_str("the server's certificate is not meant for TLS servers")
            }
            Self::ClientCertRequired => {
                f.write_str("the server requires a client certificate, and none was sent")
            }
            Self::ClientCertRefused { alert } => {
                write!(f, "the server refused the client certificate ({alert})")
            }
            Self::Other(detail) => f.write_str(detail),
        }
    }
}

impl TlsProblem {
    /// What to do about it.
    pub fn fix(&self, host: &str) -> String {
        match self {
            Self::UnknownIssuer => format!(
                "give the CA that signed {host}'s certificate: cacert in clouds.yaml, OS_CACERT \
                 or --os-cacert (a PEM file; it is added to this machine's roots)"
            ),
            Self::NameMismatch { presented, .. } if !presented.is_empty() => format!(
                "reach the cloud by a name its certificate holds ({}) in clouds.yaml auth_url \
                 and the catalog, or have the certificate reissued with {host} in its \
                 subjectAltName",
                presented.join(", ")
            ),
            Self::NameMismatch { .. } => format!(
                "have the certificate reissued with {host} in its subjectAltName, or use the \
                 name it was issued for"
            ),
            Self::Expired { .. } | Self::NotYetValid | Self::WrongPurpose => format!(
                "the cloud's operators must renew {host}'s certificate; until then nothing \
                 can check it is the real service"
            ),
            Self::ClientCertRequired => "give the client certificate and key: cert and key in \
                 clouds.yaml, OS_CERT and OS_KEY, or --os-cert and --os-key"
                .to_owned(),
            Self::ClientCertRefused { .. } => "the client certificate is not one this cloud \
                 accepts (another CA, expired, or revoked): ask the cloud's operators which to use"
                .to_owned(),
            Self::Other(_) => "check the cloud's TLS settings (openssl s_client -connect \
                 HOST:PORT shows what the server sends)"
                .to_owned(),
        }
    }

    /// The problem behind a ureq error, when it is a TLS one.
    pub fn of(error: &ureq::Error, host: &str) -> Option<Self> {
        let rustls_error = match error {
            ureq::Error::Rustls(e) => e,
            ureq::Error::Io(io) => io.get_ref()?.downcast_ref::<rustls::Error>()?,
            ureq::Error::Tls(detail) => return Some(Self::Other((*detail).to_owned())),
            _ => return None,
        };
        Some(Self::from_rustls(rustls_error, host))
    }

    fn from_rustls(error: &rustls::Error, host: &str) -> Self {
        match error {
            rustls::Error::InvalidCertificate(cert) => match cert {
                CertificateError::UnknownIssuer => Self::UnknownIssuer,
                CertificateError::NotValidForName => Self::NameMismatch {
                    host: host.to_owned(),
                    presented: Vec::new(),
                },
                CertificateError::NotValidForNameContext {
                    expected,
                    presented,
                } => Self::NameMismatch {
                    host: server_name(expected).unwrap_or_else(|| host.to_owned()),
                    presented: presented.iter().map(|n| plain_name(n)).collect(),
                },
                CertificateError::Expired => Self::Expired { not_after: None },
                CertificateError::ExpiredContext { not_after, .. } => Self::Expired {
                    not_after: Some(seconds(*not_after)),
                },
                CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => {
                    Self::NotYetValid
                }
                CertificateError::InvalidPurpose
                | CertificateError::InvalidPurposeContext { .. } => Self::WrongPurpose,
                other => Self::Other(format!("the server's certificate is refused: {other:?}")),
            },
            rustls::Error::AlertReceived(alert) => match alert {
                AlertDescription::CertificateRequired => Self::ClientCertRequired,
                AlertDescription::BadCertificate
                | AlertDescription::UnknownCA
                | AlertDescription::CertificateExpired
                | AlertDescription::CertificateRevoked
                | AlertDescription::CertificateUnknown
                | AlertDescription::UnsupportedCertificate
                | AlertDescription::AccessDenied => Self::ClientCertRefused {
                    alert: format!("{alert:?}"),
                },
                other => Self::Other(format!("the server ended the TLS handshake: {other:?}")),
            },
            other => Self::Other(other.to_string()),
        }
    }
}

fn server_name(name: &ServerName<'_>) -> Option<String> {
    match name {
        ServerName::DnsName(dns) => Some(dns.as_ref().to_owned()),
        ServerName::IpAddress(ip) => Some(std::net::IpAddr::from(*ip).to_string()),
        _ => None,
    }
}

/// webpki writes the names it saw as `DnsName("a.example")` and `IpAddress(10.0.0.1)`.
fn plain_name(debug: &str) -> String {
    for (prefix, suffix) in [("DnsName(\"", "\")"), ("IpAddress(", ")")] {
        if let Some(inner) = debug
            .strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(suffix))
        {
            return inner.to_owned();
        }
    }
    debug.to_owned()
}

fn seconds(t: UnixTime) -> u64 {
    t.as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_ca_files_name_their_setting() {
        let options = TlsOptions {
            cacert: Some(Setting::new("/nonexistent/ca.pem", "--os-cacert")),
            ..TlsOptions::default()
        };
        let error = options.config().expect_err("missing");
        assert!(error
            .to_string()
            .contains("/nonexistent/ca.pem (--os-cacert)"));
        assert!(error.fix().contains("--os-cacert"));

        let dir = std::env::temp_dir().join(format!("glance-sig-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").expect("write");
        let setting = || Some(Setting::new(&empty, "a setting"));
        let cases = [
            (
                TlsOptions {
                    cacert: setting(),
                    ..TlsOptions::default()
                },
                "NoCaCertificate",
            ),
            (
                TlsOptions {
                    key: setting(),
                    ..TlsOptions::default()
                },
                "KeyWithoutCert",
            ),
            (
                TlsOptions {
                    cert: setting(),
                    ..TlsOptions::default()
                },
                "ClientCert",
            ),
        ];
        for (options, want) in cases {
            let error = options.config().expect_err(want);
            assert!(format!("{error:?}").starts_with(want), "{want}: {error:?}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn problems_read_from_rustls_errors() {
        let unknown = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        assert_eq!(
            TlsProblem::from_rustls(&unknown, "h"),
            TlsProblem::UnknownIssuer
        );
        assert!(TlsProblem::UnknownIssuer.fix("h").contains("OS_CACERT"));
        let name = rustls::Error::InvalidCertificate(CertificateError::NotValidForNameContext {
            expected: ServerName::try_from("127.0.0.1").expect("ip").to_owned(),
            presented: vec!["DnsName(\"cloud.example\")".into()],
        });
        let problem = TlsProblem::from_rustls(&name, "x");
        assert_eq!(
            problem.to_string(),
            "the server's certificate is for cloud.example, not for 127.0.0.1"
        );
        assert!(problem.fix("127.0.0.1").contains("(cloud.example)"));
        let required = rustls::Error::AlertReceived(AlertDescription::CertificateRequired);
        assert_eq!(
            TlsProblem::from_rustls(&required, "h"),
            TlsProblem::ClientCertRequired
        );
        assert!(TlsProblem::ClientCertRequired.fix("h").contains("OS_CERT"));
        let io = ureq::Error::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(CertificateError::Expired),
        ));
        assert_eq!(
            TlsProblem::of(&io, "h"),
            Some(TlsProblem::Expired { not_after: None })
        );
        assert_eq!(TlsProblem::of(&ureq::Error::ConnectionFailed, "h"), None);
    }
}
