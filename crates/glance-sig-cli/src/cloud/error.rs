//! [`CloudError`]: what ends a cloud command, with what was being done and how to fix it.

use openstack_proto::barbican::SecretProblem;
use openstack_proto::ApiError;

use super::tls::TlsSetupError;
use super::transport::TransportError;
use crate::exit::Outcome;

/// Why a cloud command stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CloudError {
    /// A clouds.yaml or secure.yaml file exists but cannot be read.
    #[error("cannot read {path}: {source}")]
    ConfigFile {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// clouds.yaml and the `OS_*` variables give no usable cloud.
    #[error("{origin}: {source}")]
    Config {
        /// Where the configuration came from (`clouds.yaml at ...`, `OS_* variables`).
        origin: String,
        /// openstack-proto's reading of it.
        source: ApiError,
    },
    /// Keystone refused the credentials, or gave a token that cannot be used.
    #[error("authentication at {auth_url} failed: {detail}")]
    Auth {
        /// The Keystone URL.
        auth_url: String,
        /// Keystone's answer, or what is wrong with the token.
        detail: String,
        /// Keystone's status, when it answered.
        status: Option<u16>,
    },
    /// A TLS setting (CA file, client certificate) cannot be used.
    #[error(transparent)]
    Tls(TlsSetupError),
    /// A request could not be sent, or its answer not received.
    #[error("{doing}: {source}")]
    Transport {
        /// What was being done.
        doing: String,
        /// The transport's error (boxed: TLS problems carry names and URLs).
        source: Box<TransportError>,
    },
    /// A service answered with an error, or with something that cannot be read.
    #[error("{doing}: {source}")]
    Api {
        /// What was being done.
        doing: String,
        /// openstack-proto's reading of the answer.
        source: ApiError,
    },
    /// The certificate secret is not in a form castellan (so Glance and Nova) can read.
    #[error("certificate secret {uuid} cannot be used: {}", join(.problems))]
    UnusableSecret {
        /// The secret.
        uuid: String,
        /// What is wrong, worst first.
        problems: Vec<SecretProblem>,
    },
    /// Barbican would not hand out the certificate secret (404: unknown, expired or in another
    /// project; 403: not readable by this user).
    #[error("certificate secret {uuid} cannot be read from Barbican: {source}")]
    CertificateUnavailable {
        /// The secret.
        uuid: String,
        /// Barbican's answer.
        source: ApiError,
    },
    /// The image data could not be downloaded to the end.
    #[error("downloading image {image_id} failed: {source}")]
    Download {
        /// The image.
        image_id: String,
        /// What broke.
        source: std::io::Error,
    },
    /// The certificate secret's payload is no certificate.
    #[error("certificate secret {uuid} holds no readable certificate: {detail}")]
    NotACertificate {
        /// The secret.
        uuid: String,
        /// The parser's message.
        detail: String,
    },
    /// The image file changed between the signing pass and the upload pass.
    #[error("{path} changed while it was being signed ({detail})")]
    ImageChanged {
        /// The file.
        path: String,
        /// What differs.
        detail: String,
    },
    /// An image record was created and then something failed: the record was deleted (or
    /// kept, or could not be deleted).
    #[error("uploading image {image_id} failed: {cause}\n  {cleanup}")]
    UploadFailed {
        /// The image created.
        image_id: String,
        /// What failed.
        cause: Box<CloudError>,
        /// What became of the image.
        cleanup: Cleanup,
    },
    /// Glance accepted the data, but the image did not become active.
    #[error("image {image_id} is {status} (waited {waited_secs} s for active)")]
    NotActive {
        /// The image.
        image_id: String,
        /// Its last status.
        status: String,
        /// How long was waited.
        waited_secs: u64,
    },
    /// Glance made the image active but did not keep the signature properties as sent.
    #[error("image {image_id} is active without {properties} as sent")]
    PropertiesLost {
        /// The image.
        image_id: String,
        /// The properties missing or changed.
        properties: String,
    },
    /// The image has no data to download.
    #[error("image {image_id} has no data (status {status})")]
    NoImageData {
        /// The image.
        image_id: String,
        /// Its status.
        status: String,
    },
    /// Options that do not go together.
    #[error("{0}")]
    Usage(String),
}

/// What became of an image record after a failed upload (the upload plan's answer).
pub use openstack_proto::upload_plan::Cleanup;

fn join(problems: &[SecretProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl CloudError {
    /// A service's error answer, with what was being done.
    pub fn api(doing: impl Into<String>, source: ApiError) -> Self {
        Self::Api {
            doing: doing.into(),
            source,
        }
    }

    /// A transport failure, with what was being done.
    pub fn transport(doing: impl Into<String>, source: TransportError) -> Self {
        Self::Transport {
            doing: doing.into(),
            source: Box::new(source),
        }
    }

    /// The error a service returned, if this is one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Self::Api { source, .. } | Self::CertificateUnavailable { source, .. } => Some(source),
            Self::UploadFailed { cause, .. } => cause.api_error(),
            _ => None,
        }
    }

    /// How to fix it, when there is more to say than the message.
    pub fn fix(&self) -> Option<String> {
        match self {
            Self::Config { .. } => Some(
                "name a cloud with --os-cloud (or OS_CLOUD) from a clouds.yaml \
                 (OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/clouds.yaml, \
                 /etc/openstack/clouds.yaml), or source an openrc file"
                    .to_owned(),
            ),
            Self::Auth {
                status: Some(401), ..
            } => Some(
                "check the user, password (or application credential) and project of the cloud"
                    .to_owned(),
            ),
            Self::Auth { .. } => None,
            Self::Tls(e) => Some(e.fix()),
            Self::Transport { source, .. } => source.fix(),
            Self::Api { source, .. } => api_fix(source),
            Self::UnusableSecret { problems, .. } => problems
                .iter()
                .find(|p| p.is_fatal())
                .or(problems.first())
                .map(|p| p.fix().to_owned()),
            Self::CertificateUnavailable { source, .. } => Some(
                match source.status() {
                    Some(403) => {
                        "the secret belongs to another project: its owner must grant read access \
                         with a Barbican ACL (PUT /v1/secrets/ID/acl), or store the certificate \
                         in this project and point img_signature_certificate_uuid at it"
                    }
                    _ => {
                        "the secret was deleted, its Barbican expiration passed, or it belongs \
                         to another project: store the certificate again (glance-sig upload \
                         --cert, or a castellan-form secret) and point \
                         img_signature_certificate_uuid at it; --cert verifies with a local copy"
                    }
                }
                .to_owned(),
            ),
            Self::Download { .. } => {
                Some("the connection broke during the download: run the command again".to_owned())
            }
            Self::NotACertificate { .. } => Some(
                "store the signing certificate (PEM) with glance-sig upload --cert, or point \
                 --cert-uuid at the right secret"
                    .to_owned(),
            ),
            Self::ImageChanged { .. } => Some(
                "upload a file that nothing writes to (copy it first if it is in use)".to_owned(),
            ),
            Self::UploadFailed { cause, .. } => upload_fix(cause),
            Self::NotActive { .. } => Some(
                "look at the image (openstack image show ID) and Glance's log; raise --timeout if \
                 Glance is only slow"
                    .to_owned(),
            ),
            Self::NoImageData { .. } => Some("upload the image data first".to_owned()),
            Self::PropertiesLost { .. } => Some(
                "Glance (or a plugin or policy) changed the image's properties: Nova would \
                 refuse to boot it; look at Glance's property protections"
                    .to_owned(),
            ),
            Self::ConfigFile { .. } | Self::Usage(_) => None,
        }
    }

    /// The exit code: local configuration and usage problems are bad input (2); a signature,
    /// certificate or image data that Glance or Nova would refuse is a rejection (1); not
    /// reaching, authenticating with, or being failed by the cloud is "could not check" (3).
    pub fn outcome(&self) -> Outcome {
        match self {
            Self::ConfigFile { .. }
            | Self::Config { .. }
            | Self::Usage(_)
            | Self::Tls(_)
            | Self::ImageChanged { .. } => Outcome::BadInput,
            Self::UnusableSecret { .. }
            | Self::NotACertificate { .. }
            | Self::PropertiesLost { .. } => Outcome::Rejected,
            // Gone from Barbican: nothing can verify the image any more. Not readable by this
            // user (403) says nothing about the image.
            Self::CertificateUnavailable { source, .. } if source.is_not_found() => {
                Outcome::Rejected
            }
            Self::Api { source, .. } if source.signature_refusal().is_some() => Outcome::Rejected,
            Self::UploadFailed { cause, .. } => match cause.outcome() {
                Outcome::Rejected => Outcome::Rejected,
                _ => Outcome::Unchecked,
            },
            // Glance killed the image after taking its data: the data was refused.
            Self::NotActive { status, .. } if status == "killed" => Outcome::Rejected,
            Self::Auth { .. }
            | Self::Transport { .. }
            | Self::Api { .. }
            | Self::CertificateUnavailable { .. }
            | Self::Download { .. }
            | Self::NotActive { .. }
            | Self::NoImageData { .. } => Outcome::Unchecked,
        }
    }
}

/// Advice for a service's error answer.
fn api_fix(error: &ApiError) -> Option<String> {
    if let Some(refusal) = error.signature_refusal() {
        return Some(refusal.hint().to_owned());
    }
    match error.status()? {
        401 => Some("the token expired or was revoked: run the command again".to_owned()),
        403 => Some(
            "the user lacks a role for this (Barbican needs creator to store secrets; Glance \
             policy may restrict publicizing images)"
                .to_owned(),
        ),
        409 => Some("the image is in a state that does not allow this: look at it with `openstack image show ID`".to_owned()),
        413 => Some("the image exceeds Glance's size limit or the project's quota".to_owned()),
        _ => None,
    }
}

/// Advice for a failed signed upload.
fn upload_fix(cause: &CloudError) -> Option<String> {
    match cause {
        CloudError::Api { source, .. } if source.status() == Some(500) => Some(
            "Glance failed while verifying the signature: check that the certificate secret is \
             in the form castellan reads (secret_type certificate, payload_content_type \
             application/octet-stream, a PEM payload): `glance-sig audit` shows what is wrong"
                .to_owned(),
        ),
        CloudError::Transport { .. } => Some(
            "the connection broke during the upload: check the network, any proxy's body size \
             and time limits, then run the command again"
                .to_owned(),
        ),
        other => other.fix(),
    }
}

#[cfg(test)]
mod tests {
    use openstack_proto::{Response, Service};

    use super::*;

    fn glance_error(status: u16, message: &str) -> ApiError {
        let body = serde_json::json!({ "message": message }).to_string();
        ApiError::from_response(
            Service::Image,
            &Response::new(status, Vec::new(), body.into_bytes()),
        )
    }

    #[test]
    fn refusal_hints_and_500_advice() {
        let refused = CloudError::UploadFailed {
            image_id: "i".into(),
            cause: Box::new(CloudError::api(
                "uploading",
                glance_error(
                    400,
                    "Signature verification failed for image i: Signature verification failed",
                ),
            )),
            cleanup: Cleanup::Deleted,
        };
        assert!(refused
            .fix()
            .is_some_and(|f| f.contains("sign exactly the bytes you upload")));
        assert_eq!(refused.outcome(), Outcome::Rejected);
        assert!(refused.to_string().contains("nothing is left behind"));

        let crashed = CloudError::UploadFailed {
            image_id: "i".into(),
            cause: Box::new(CloudError::api("uploading", glance_error(500, "boom"))),
            cleanup: Cleanup::Kept {
                image_id: "i1".into(),
            },
        };
        assert!(crashed
            .fix()
            .is_some_and(|f| f.contains("certificate secret")));
    }

    #[test]
    fn configuration_is_bad_input_and_the_cloud_failing_is_unchecked() {
        let error = CloudError::Usage("x".into());
        assert_eq!(error.outcome(), Outcome::BadInput);
        let error = CloudError::Auth {
            auth_url: "http://k/v3".into(),
            detail: "no".into(),
            status: Some(401),
        };
        assert_eq!(error.outcome(), Outcome::Unchecked);
        assert!(error.fix().is_some());
        let unknown_image = CloudError::api("reading image x", glance_error(404, "No image found"));
        assert_eq!(unknown_image.outcome(), Outcome::Unchecked);
        let crashed = CloudError::UploadFailed {
            image_id: "i".into(),
            cause: Box::new(CloudError::api("uploading", glance_error(503, "busy"))),
            cleanup: Cleanup::Deleted,
        };
        assert_eq!(crashed.outcome(), Outcome::Unchecked);
    }
}
