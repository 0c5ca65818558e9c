//! `glance-sig verify --image-id`: an image in Glance, verified as Nova verifies it before a
//! boot: the properties from Glance, the certificate from Barbican (as castellan reads it), the
//! data downloaded and streamed through the engine `--engine` names. The output and exit codes
//! are those of `verify --image`.

use glance_sig_core::{Certificate, Report, SignatureProperties};
use openstack_proto::glance::{self, Image};

use crate::args::VerifyArgs;
use crate::cloud::certstore;
use crate::cloud::error::CloudError;
use crate::cloud::session::Session;
use crate::commands::{inputs, verify};
use crate::engine::{Engine, VerifyRequest};
use crate::error::CliError;
use crate::exit::Outcome;
use crate::io::batch::Meter;
use crate::io::image::{ImageData, ImageSource};
use crate::io::time::time;

/// Runs `glance-sig verify --image-id ID`.
///
/// # Errors
/// [`CliError`] for unreadable local files and every cloud failure; a signature that does not
/// verify is a report and [`Outcome::Rejected`], not an error.
pub fn run(args: &VerifyArgs, image_id: &str) -> Result<Outcome, CliError> {
    crate::with_engine!(args.engine, |engine| run_with(engine, args, image_id))
}

/// `verify --image-id` with the scheme work done by `engine`.
fn run_with<E: Engine>(
    engine: &mut E,
    args: &VerifyArgs,
    image_id: &str,
) -> Result<Outcome, CliError> {
    let local_cert = match &args.cert {
        Some(path) => Some(inputs::certificate(engine, path)?),
        None => None,
    };
    let at = time(args.at.as_deref())?;

    let session = Session::connect(&args.cloud)?;
    // Anchors given as Barbican secret ids are read as castellan reads them, like the image's
    // certificate, and handed to the engine as DER.
    let mut from_barbican = |uuid: &str| -> Result<Vec<u8>, CliError> {
        Ok(certstore::load_usable(&session, uuid, at)?.der().to_vec())
    };
    let anchors = inputs::trusted(engine, &args.trusted, Some(&mut from_barbican))?;
    let image = session.call(
        &format!("reading image {image_id}"),
        &session.glance().show_image(image_id),
        glance::parse_image,
    )?;
    let properties = properties(&image)?;
    let cert = match (local_cert, &properties.certificate_uuid) {
        (Some(cert), _) => Some(cert),
        (None, Some(uuid)) => {
            let stored = certstore::load_usable(&session, uuid, at)?;
            Some(engine.certificate(stored.der())?.map_err(|detail| {
                CliError::from(CloudError::NotACertificate {
                    uuid: uuid.clone(),
                    detail,
                })
            })?)
        }
        (None, None) => None,
    };
    crate::output::render::err_line(&format!(
        "glance-sig: image {} ({}, {}); certificate {}",
        image.id,
        image.name.as_deref().unwrap_or("no name"),
        image.status,
        match (&args.cert, &properties.certificate_uuid) {
            (Some(path), _) => format!("from {}", path.display()),
            (None, Some(uuid)) => format!("from Barbican secret {uuid}"),
            (None, None) => "id missing".to_owned(),
        }
    ));
    let request = VerifyRequest {
        properties,
        certificate: cert.as_ref(),
        anchors: &anchors,
        at,
        explain: !args.no_explain,
    };
    let report = engine.verify(request, &mut Download::new(&session, &image))?;
    Ok(verify::conclude(&report, args))
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

/// Verifies an image's data in Glance with `engine`, without anchors (for `audit --verify`:
/// whether the stored bytes still match the signature). A failure is explained, so the audit
/// names its cause: a second download, only then.
///
/// The downloaded bytes are counted by `meter` (a batch's progress line) when there is one.
///
/// # Errors
/// [`CliError::Cloud`] when the download fails or the image has no data.
pub fn verify_data<E: Engine>(
    engine: &mut E,
    session: &Session,
    image: &Image,
    properties: &SignatureProperties,
    cert: &Certificate,
    meter: Option<&Meter>,
) -> Result<Report, CliError> {
    let cert = engine
        .certificate(cert.der())?
        .map_err(|detail| CliError::Malformed {
            what: "certificate",
            path: format!("the certificate of image {}", image.id),
            detail,
            fix: None,
        })?;
    let request = VerifyRequest {
        properties: properties.clone(),
        certificate: Some(&cert),
        anchors: &[],
        at: 0,
        explain: true,
    };
    let mut download = Download::new(session, image);
    download.meter = meter;
    engine.verify(request, &mut download)
}

/// An image's data in Glance, downloaded (streamed) at each pass.
pub struct Download<'s> {
    session: &'s Session,
    image: &'s Image,
    /// Counts the bytes instead of the download's own progress line.
    meter: Option<&'s Meter>,
}

impl<'s> Download<'s> {
    /// The data of `image`, through `session`.
    pub fn new(session: &'s Session, image: &'s Image) -> Self {
        Self {
            session,
            image,
            meter: None,
        }
    }
}

impl ImageSource for Download<'_> {
    /// Starts the download.
    ///
    /// # Errors
    /// [`CloudError::Api`] for Glance's refusal, [`CloudError::NoImageData`] for an image
    /// without data; a transfer that breaks later is [`CloudError::Download`].
    fn open(&mut self, label: &'static str) -> Result<ImageData<'_>, CliError> {
        let (session, image) = (self.session, self.image);
        let doing = format!("downloading image {}", image.id);
        let streamed = session.open(&doing, &session.glance().download(&image.id))?;
        let info =
            glance::parse_download(&streamed.head).map_err(|e| CloudError::api(&doing, e))?;
        let Some(body) = streamed.body.filter(|_| info.has_data) else {
            return Err(CloudError::NoImageData {
                image_id: image.id.clone(),
                status: image.status.clone(),
            }
            .into());
        };
        let total = info.content_length.or(image.size).unwrap_or(0);
        let image_id = image.id.as_str();
        let read_error = move |source| {
            CloudError::Download {
                image_id: image_id.to_owned(),
                source,
            }
            .into()
        };
        Ok(match self.meter {
            Some(meter) => ImageData::new(meter.counting(body), total, label, read_error).quiet(),
            None => ImageData::new(body, total, label, read_error),
        })
    }
}
