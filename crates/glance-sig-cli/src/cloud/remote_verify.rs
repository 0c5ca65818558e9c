//! `glance-sig verify --image-id`: an image in Glance, verified as Nova verifies it before a
//! boot: the properties from Glance, the certificate from Barbican (as castellan reads it), the
//! data downloaded and streamed through the verifier. The output and exit codes are those of
//! `verify --image`.

use glance_sig_core::report::Report;
use glance_sig_core::{
    validate_chain_like_nova, Certificate, Explainer, PublicKey, SignatureProperties,
    SignatureVerdict, Verifier,
};
use openstack_proto::glance::{self, Image};

use super::certstore;
use super::error::CloudError;
use super::session::Session;
use crate::cli::{EngineKind, VerifyArgs};
use crate::engine::{Engine, Native};
use crate::exit::{CliError, Outcome};
use crate::{input, verify};

/// Runs `glance-sig verify --image-id ID`.
///
/// # Errors
/// [`CliError`] for unreadable local files and every cloud failure; a signature that does not
/// verify is a report and [`Outcome::Rejected`], not an error.
pub fn run(args: &VerifyArgs, image_id: &str) -> Result<Outcome, CliError> {
    if args.engine.engine != EngineKind::Native {
        return Err(CliError::Usage(
            "--engine component reads image files; with --image-id the native core verifies \
             the download (drop --engine, or download the image and use --image)"
                .to_owned(),
        ));
    }
    let mut native = Native;
    let local_cert = match &args.cert {
        Some(path) => Some(input::certificate(&mut native, path)?),
        None => None,
    };
    let trusted = input::trusted(&mut native, &args.trusted)?;
    let at = input::time(args.at.as_deref())?;

    let session = Session::connect(&args.cloud)?;
    let image = session.call(
        &format!("reading image {image_id}"),
        &session.glance().show_image(image_id),
        glance::parse_image,
    )?;
    let props = properties(&image)?;
    let cert = match (local_cert, &props.certificate_uuid) {
        (Some(cert), _) => Some(cert),
        (None, Some(uuid)) => Some(certstore::load_usable(&session, uuid, at)?),
        (None, None) => None,
    };
    eprintln!(
        "glance-sig: image {} ({}, {}); certificate {}",
        image.id,
        image.name.as_deref().unwrap_or("no name"),
        image.status,
        match (&args.cert, &props.certificate_uuid) {
            (Some(path), _) => format!("from {}", path.display()),
            (None, Some(uuid)) => format!("from Barbican secret {uuid}"),
            (None, None) => "id missing".to_owned(),
        }
    );

    let Some(cert) = cert else {
        let report = Report::new(verdict_without_certificate(&props), None, Vec::new());
        return Ok(verify::conclude(report, None, at, args));
    };
    let verdict = verify_data(&session, &image, &props, &cert)?;
    let explain = !args.no_explain && verdict.explainable();
    let diagnosis = match Explainer::new(&props, cert.public_key()).filter(|_| explain) {
        Some(mut explainer) => {
            download(&session, &image, "explaining", |chunk| {
                explainer.update(chunk)
            })?;
            explainer.finish()
        }
        None => Vec::new(),
    };
    let chain = (!trusted.is_empty()).then(|| validate_chain_like_nova(&cert, &trusted, at));
    let facts = native.facts(&cert)?;
    Ok(verify::conclude(
        Report::new(verdict, chain, diagnosis),
        Some(&facts),
        at,
        args,
    ))
}

/// The signature properties as Glance holds them.
///
/// # Errors
/// [`CliError::Malformed`] for a value longer than Glance can store.
pub fn properties(image: &Image) -> Result<SignatureProperties, CliError> {
    SignatureProperties::from_map(
        image
            .properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )
    .map_err(|e| CliError::Malformed {
        what: "image",
        path: image.id.clone(),
        detail: e.to_string(),
        fix: None,
    })
}

/// Checks the properties against the certificate and, unless cursive would refuse them before
/// reading data, downloads the image through the verifier.
///
/// # Errors
/// [`CloudError`] when the download fails or the image has no data.
pub fn verify_data(
    session: &Session,
    image: &Image,
    props: &SignatureProperties,
    cert: &Certificate,
) -> Result<SignatureVerdict, CloudError> {
    match Verifier::new(props, cert.public_key()) {
        Ok(mut verifier) => {
            download(session, image, "verifying", |chunk| verifier.update(chunk))?;
            Ok(verifier.finish())
        }
        // Refused before any data is read, as Glance answers at once.
        Err(rejection) => Ok(SignatureVerdict::rejected(props, rejection)),
    }
}

/// The verdict when the image names no certificate: cursive checks the certificate id first
/// and stops there.
fn verdict_without_certificate(props: &SignatureProperties) -> SignatureVerdict {
    // A key of no known algorithm fits no key type, so `Verifier::new` always refuses; with the
    // certificate id missing it refuses for that, first, in cursive's order.
    let no_key = PublicKey::Other {
        algorithm: "no certificate".to_owned(),
    };
    match Verifier::new(props, &no_key) {
        Err(rejection) => SignatureVerdict::rejected(props, rejection),
        // Not reached (see above); a verifier fed nothing is a mismatch anyway.
        Ok(verifier) => verifier.finish(),
    }
}

/// Streams the image's data through `feed`, with a progress line on a terminal. Returns the
/// bytes read.
///
/// # Errors
/// [`CloudError::Api`] for Glance's refusal, [`CloudError::NoImageData`] for an image without
/// data, [`CloudError::Download`] when the transfer breaks.
pub fn download(
    session: &Session,
    image: &Image,
    label: &str,
    feed: impl FnMut(&[u8]),
) -> Result<u64, CloudError> {
    let doing = format!("downloading image {}", image.id);
    let streamed = session.open(&doing, &session.glance().download(&image.id))?;
    let info = glance::parse_download(&streamed.head).map_err(|e| CloudError::api(&doing, e))?;
    let Some(mut body) = streamed.body.filter(|_| info.has_data) else {
        return Err(CloudError::NoImageData {
            image_id: image.id.clone(),
            status: image.status.clone(),
        });
    };
    let total = info.content_length.or(image.size).unwrap_or(0);
    input::stream_reader(&mut body, total, label, feed).map_err(|source| CloudError::Download {
        image_id: image.id.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_certificate_id_is_cursives_missing_property() {
        let props = SignatureProperties {
            signature: Some("AAAA".into()),
            hash_method: Some("SHA-256".into()),
            key_type: Some("RSA-PSS".into()),
            certificate_uuid: None,
        };
        let verdict = verdict_without_certificate(&props);
        assert!(!verdict.valid);
        let rejection = verdict.rejection.expect("rejected");
        assert_eq!(rejection.code(), "missing-property");
        assert!(rejection.cursive_message().contains("img_signature_uuid"));
        let unsigned = verdict_without_certificate(&SignatureProperties::default());
        assert_eq!(
            unsigned.rejection.map(|r| r.code()),
            Some("missing-property")
        );
    }
}
