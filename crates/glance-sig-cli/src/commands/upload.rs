//! `glance-sig upload`: sign an image file and upload it so that Glance verifies it.
//!
//! The signature must be in the image create request, before any data goes up, so the file is
//! read twice: once to sign (the hash needs every byte), once to upload. Each pass streams in
//! constant memory; the second read usually comes from the page cache. Reading once and
//! buffering the data instead would cost the image's size in memory or on disk.
//!
//! The steps, and what a failure leaves behind:
//! 1. local checks: key (a file, a token's key, or a signer command), certificate (a file or
//!    a token's), key matches certificate (nothing in the cloud yet);
//! 2. the certificate in Barbican: found (an identical castellan-readable secret) or stored;
//!    with `--cert-uuid`, read back and checked as castellan will read it;
//! 3. the signing pass, in the engine `--engine` names;
//! 4. `POST /v2/images` with all four `img_signature*` properties in that one request, so no
//!    image ever carries a partial set;
//! 5. `PUT .../file` with `Content-Length`, streamed; Glance verifies while storing;
//! 6. wait for `active`.
//!
//! After step 4 any failure (Glance's refusal, a broken connection, a timeout, Ctrl-C or
//! SIGTERM) deletes the image unless `--keep` is given. The image id is chosen here, before the
//! create request, so an image whose create answer was lost is still found and deleted; what
//! cannot be deleted is named, with the command that deletes it.

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::thread;
use std::time::SystemTime;

use glance_sig_core::{Certificate, PrivateKey, PublicKey};
use openstack_proto::diskformat;
use openstack_proto::glance::{self, Image, NewImage};
use openstack_proto::upload_plan::{Cause, Next, Step, UploadOutcome, UploadPlan};
use openstack_proto::Request;
use serde_json::json;

use super::sign;
use super::sign::PreparedOutside;
use crate::args::cloud::UploadArgs;
use crate::cloud::certstore;
use crate::cloud::cleanup;
use crate::cloud::error::{Cleanup, CloudError};
use crate::cloud::session::{unix_now, Session};
use crate::cloud::transport::TransportError;
use crate::engine::native::Native;
use crate::engine::{Engine, SignRequest, SigningKey};
use crate::error::CliError;
use crate::exit::Outcome;
use crate::io::image::ImageFile;
use crate::keys::{self, KeySource, Outside};
// `input::` as this file said before the move, so that its body stays as it was.
use crate::io::{self as input, Progress};
use crate::output::render;

/// Where the signing certificate lives, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CertificateSource {
    /// Stored by this run.
    Stored,
    /// An identical secret was already there.
    Found,
    /// Named with `--cert-uuid`.
    Given,
}

impl CertificateSource {
    fn describe(self) -> &'static str {
        match self {
            Self::Stored => "stored in Barbican by this upload",
            Self::Found => "an identical certificate secret was already in Barbican",
            Self::Given => "given with --cert-uuid",
        }
    }
}

/// Runs `glance-sig upload`.
///
/// # Errors
/// [`CliError`] for local problems (unreadable files, a key that does not match the
/// certificate); [`CliError::Cloud`] for everything the cloud refused or failed at.
pub fn run(args: &UploadArgs) -> Result<Outcome, CliError> {
    crate::with_engine!(args.engine, |engine| run_with(engine, args))
}

/// `upload` with the signing pass done by `engine`. The local checks and the Barbican step
/// read the key and the certificate natively (they are this door's own work: matching,
/// finding, storing); the engine reads them again for its signing session.
fn run_with<E: Engine>(engine: &mut E, args: &UploadArgs) -> Result<Outcome, CliError> {
    cleanup::install();
    // 1. Local checks, before anything happens in the cloud.
    let keys = &args.keys;
    let source = KeySource::of(keys)?;
    let key_name = source.describe();
    let outside = Outside::open(&source, keys)?;
    let (native_key, signing_key) = match &source {
        KeySource::File(key_path) => {
            let (key_bytes, passphrase) =
                input::private_key_material(key_path, keys.passphrase_file.as_deref())?;
            let key = Native
                .private_key(&key_bytes, passphrase.as_deref().map(Vec::as_slice))?
                .map_err(|e| input::malformed("private key", key_path, e, None))?;
            let signing_key = engine
                .private_key(&key_bytes, passphrase.as_deref().map(Vec::as_slice))?
                .map_err(|e| input::malformed("private key", key_path, e, None))?;
            (Some(key), Some(signing_key))
        }
        _ => (None, None),
    };
    // The key's public half for the checks before the cloud: a token tells it, a signer
    // command does not (its signature is verified under the certificate instead).
    let public = native_key
        .as_ref()
        .map(PrivateKey::public_key)
        .or_else(|| outside.as_ref().and_then(|o| o.public_key().cloned()));
    let stamp = FileStamp::of(&args.image)?;
    let disk_format = match &args.disk_format {
        Some(format) => format.clone(),
        None => sniff_disk_format(&args.image)
            .map_err(|e| read_error(&args.image, e))?
            .to_owned(),
    };
    let name = match &args.name {
        Some(name) => name.clone(),
        None => default_name(&args.image),
    };
    let local_cert = match &keys.cert {
        Some(path) => {
            let (bytes, place) = keys::certificate_bytes(path, keys)?;
            let cert = Certificate::from_pem_or_der(&bytes)
                .map_err(|e| input::malformed("certificate", Path::new(&place), e, None))?;
            keys::check_key(public.as_ref(), &cert, &key_name, &place)?;
            Some(cert)
        }
        None => None,
    };
    // Opened now, so that an unreadable file fails before the image exists.
    let upload_file = File::open(&args.image).map_err(|e| read_error(&args.image, e))?;

    // 2. The certificate in Barbican.
    let now = unix_now();
    let mut session = Session::connect(&args.cloud)?;
    let (uuid, certificate, source) =
        certificate_in_barbican(&session, args, public.as_ref(), &key_name, local_cert, now)?;

    // The create request is checked now (property names), not after a long signing pass.
    let mut new_image = NewImage::new(&name, &disk_format, &args.container_format);
    new_image.visibility = args.visibility.map(Into::into);
    for (key, value) in &args.properties {
        new_image = new_image.with_property(key, value);
    }
    session
        .glance()
        .create_image(&new_image)
        .map_err(|e| CliError::Usage(format!("--property: {e}")))?;

    // 3. The signing pass: the core's signing session (the key against the certificate, its
    //    dates as Nova judges them, then the signature).
    let signing_certificate =
        engine
            .certificate(certificate.der())?
            .map_err(|e| CliError::Malformed {
                what: "certificate",
                path: format!("Barbican secret {uuid}"),
                detail: e,
                fix: None,
            })?;
    let outside = outside.map(|signer| PreparedOutside::new(signer, certificate.clone()));
    let mut sign_digest =
        |digest: &[u8]| sign::outside_sign(outside.as_ref(), digest, keys.hash_method);
    let key = match &signing_key {
        Some(key) => SigningKey::Parsed(key),
        None => SigningKey::Outside(&mut sign_digest),
    };
    let request = SignRequest {
        key,
        certificate: Some(&signing_certificate),
        hash: args.keys.hash_method,
        certificate_uuid: &uuid,
        at: now,
    };
    let signed = engine
        .sign(
            request,
            &mut |note| render::err_line(&format!("glance-sig: warning: {}", note.message)),
            &mut ImageFile::new(&args.image),
        )?
        .map_err(|refusal| {
            sign::refused(refusal, &key_name, Some(&format!("Barbican secret {uuid}")))
        })?;
    sign::told(&signed, outside.is_some().then_some(key_name.as_str()));
    stamp.check_unchanged(&args.image)?;
    // The plan refuses a set without all four: no image is ever created half-signed.
    let signature = signed.properties;

    // 4-6. The plan: the image record with all four properties in its one create request,
    //    under an id chosen here (from now on, whatever happens, this id is what gets cleaned
    //    up), the data, the confirmation; a delete on any failure.
    session.refresh_if_expiring()?;
    let image_id = new_image_id()?;
    let size = upload_file
        .metadata()
        .map_err(|e| read_error(&args.image, e))?
        .len();
    let (plan, create) = UploadPlan::new(
        session.glance(),
        new_image,
        &signature,
        image_id.clone(),
        size,
    )
    .map_err(|e| CloudError::Usage(e.to_string()))?;
    let plan = plan
        .keep_on_failure(args.keep)
        .confirm_timeout(args.cloud.timeout())
        .delete_timeout(args.cloud.timeout());
    let guard = cleanup::protect(session.transport(), session.glance(), &image_id, args.keep);
    let outcome = drive(&session, plan, create, upload_file, size);
    drop(guard);
    match outcome {
        UploadOutcome::Active(active) => {
            print_result(
                args.json,
                &args.properties,
                &active,
                &certificate,
                &uuid,
                source,
            );
            Ok(Outcome::Success)
        }
        UploadOutcome::Refused { error, cleanup, .. } => Err(CloudError::UploadFailed {
            image_id,
            cause: Box::new(CloudError::api(Step::Upload.doing(), error)),
            cleanup,
        }
        .into()),
        // Glance refused the create request itself: no image exists.
        UploadOutcome::Failed {
            step,
            cause,
            cleanup: Cleanup::NothingCreated,
            ..
        } => Err(cloud_error(&image_id, step, cause).into()),
        UploadOutcome::Failed {
            step,
            cause,
            cleanup,
            ..
        } => Err(CloudError::UploadFailed {
            image_id: image_id.clone(),
            cause: Box::new(cloud_error(&image_id, step, cause)),
            cleanup,
        }
        .into()),
    }
}

/// Sends what the plan asks for until it ends; the data request streams `file`.
fn drive(
    session: &Session,
    mut plan: UploadPlan<TransportError>,
    create: Request,
    file: File,
    size: u64,
) -> UploadOutcome<TransportError> {
    let mut file = Some(file);
    let mut next = Next::Send(create);
    loop {
        let sent = match next {
            Next::Done(outcome) => return outcome,
            Next::Send(request) => session.transport().send(&request),
            Next::SendAfter(pause, request) => {
                thread::sleep(pause);
                session.transport().send(&request)
            }
            Next::SendData(request) => match file.take() {
                Some(file) => {
                    let mut reader = ProgressReader::new(file, size, "uploading");
                    let sent = session.transport().send_stream(&request, &mut reader);
                    reader.progress.finish();
                    sent
                }
                // The plan sends the data once; a second ask is a bug, cleaned up as a failure.
                None => Err(TransportError::InvalidRequest {
                    method: request.method,
                    url: request.url.clone(),
                    detail: "the image data was already sent".to_owned(),
                }),
            },
        };
        next = match sent {
            Ok(response) => plan.answer(&response),
            Err(error) => plan.not_sent(error),
        };
    }
}

/// The plan's failure in the CLI's terms (exit code, fix).
fn cloud_error(image_id: &str, step: Step, cause: Cause<TransportError>) -> CloudError {
    match cause {
        Cause::Api(error) => CloudError::api(step.doing(), error),
        Cause::NotSent(error) => CloudError::transport(step.doing(), error),
        Cause::NotActive { status, waited } => CloudError::NotActive {
            image_id: image_id.to_owned(),
            status,
            waited_secs: waited.as_secs(),
        },
        Cause::PropertiesLost { properties } => CloudError::PropertiesLost {
            image_id: image_id.to_owned(),
            properties: properties.join(", "),
        },
        cause @ Cause::OutOfOrder => CloudError::Usage(cause.to_string()),
    }
}

/// Glance's `disk_format` for the file, from its first bytes.
fn sniff_disk_format(path: &Path) -> std::io::Result<&'static str> {
    let mut head = Vec::with_capacity(diskformat::SNIFF_LEN);
    File::open(path)?
        .take(diskformat::SNIFF_LEN as u64)
        .read_to_end(&mut head)?;
    Ok(diskformat::sniff(&head).as_str())
}

/// A fresh random (version 4) uuid for the new image.
fn new_image_id() -> Result<String, CliError> {
    let mut random = [0u8; 16];
    rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut random)
        .map_err(|e| CliError::Sign(format!("no randomness for the image id: {e}")))?;
    Ok(glance::image_id_from_random(random))
}

/// The certificate's secret id: `--cert-uuid` read back and checked as castellan reads it, or
/// the `--cert` file found in (or stored into) Barbican. The key must match it.
fn certificate_in_barbican(
    session: &Session,
    args: &UploadArgs,
    key: Option<&PublicKey>,
    key_name: &str,
    local_cert: Option<Certificate>,
    now: i64,
) -> Result<(String, Certificate, CertificateSource), CliError> {
    match (&args.keys.cert_uuid, local_cert) {
        (Some(uuid), _) => {
            let uuid = uuid.trim().to_owned();
            let cert = certstore::load_usable(session, &uuid, now)?;
            let place = format!("in Barbican secret {uuid}");
            keys::check_key(key, &cert, key_name, &place)?;
            Ok((uuid, cert, CertificateSource::Given))
        }
        (None, Some(cert)) => {
            let placement = certstore::find_or_store(session, &cert, now)?;
            let source = if placement.stored {
                CertificateSource::Stored
            } else {
                CertificateSource::Found
            };
            Ok((placement.uuid, cert, source))
        }
        (None, None) => Err(CliError::Usage(
            "give the certificate: --cert PATH or --cert-uuid ID".to_owned(),
        )),
    }
}

fn print_result(
    json: bool,
    extra: &[(String, String)],
    image: &Image,
    certificate: &Certificate,
    uuid: &str,
    source: CertificateSource,
) {
    if json {
        render::json(&json!({
            "id": image.id,
            "name": image.name,
            "status": image.status,
            "size": image.size,
            "disk_format": image.disk_format,
            "container_format": image.container_format,
            "visibility": image.visibility,
            "os_hash_algo": image.os_hash_algo,
            "os_hash_value": image.os_hash_value,
            "properties": image.properties,
            "certificate": {
                "uuid": uuid,
                "subject": certificate.subject(),
                "stored": source == CertificateSource::Stored,
                "source": source.describe(),
            },
        }));
        return;
    }
    let mut text = format!(
        "✔ Image {} is active: Glance verified the signature on upload\n",
        image.id
    );
    let field = |label: &str, value: &str| format!("  {label:<31} {value}\n");
    text += &field("name", image.name.as_deref().unwrap_or(""));
    text += &field(
        "format",
        &format!(
            "{} / {}",
            image.disk_format.as_deref().unwrap_or("?"),
            image.container_format.as_deref().unwrap_or("?")
        ),
    );
    if let Some(size) = image.size {
        text += &field(
            "size",
            &format!("{} ({size} bytes)", input::human_bytes(size)),
        );
    }
    text += &field("visibility", &image.visibility);
    for name in glance_sig_core::SIGNATURE_PROPERTY_NAMES {
        text += &field(name, image.properties.get(name).map_or("", String::as_str));
    }
    for (name, _) in extra {
        if let Some(value) = image.properties.get(name) {
            text += &field(name, value);
        }
    }
    text += &field(
        "certificate",
        &format!("{} ({})", certificate.subject(), source.describe()),
    );
    render::out(&text);
}

/// The file name without its last extension (`cirros-0.6.3.qcow2` gives `cirros-0.6.3`).
fn default_name(path: &Path) -> String {
    path.file_stem()
        .or_else(|| path.file_name())
        .map_or_else(|| "image".to_owned(), |s| s.to_string_lossy().into_owned())
}

fn read_error(path: &Path, source: std::io::Error) -> CliError {
    CliError::Read {
        what: "image",
        path: path.display().to_string(),
        source,
    }
}

/// Size and modification time: a file that changes between the two passes would be refused by
/// Glance with a puzzling "signature verification failed".
#[derive(Debug, PartialEq, Eq)]
struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
}

impl FileStamp {
    fn of(path: &Path) -> Result<Self, CliError> {
        let meta = std::fs::metadata(path).map_err(|e| read_error(path, e))?;
        if !meta.is_file() {
            return Err(read_error(
                path,
                std::io::Error::other("not a regular file"),
            ));
        }
        Ok(Self {
            len: meta.len(),
            modified: meta.modified().ok(),
        })
    }

    fn check_unchanged(&self, path: &Path) -> Result<(), CliError> {
        let now = Self::of(path)?;
        if now == *self {
            return Ok(());
        }
        Err(CloudError::ImageChanged {
            path: path.display().to_string(),
            detail: format!(
                "{} bytes before, {} bytes now, or a new modification time",
                self.len, now.len
            ),
        }
        .into())
    }
}

/// Counts the bytes read, for the progress line.
struct ProgressReader<R> {
    inner: R,
    progress: Progress,
    done: u64,
}

impl<R: Read> ProgressReader<R> {
    fn new(inner: R, total: u64, label: &str) -> Self {
        Self {
            inner,
            progress: Progress::new(label, total),
            done: 0,
        }
    }
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        self.progress.show(self.done);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_files() {
        assert_eq!(
            default_name(Path::new("/x/cirros-0.6.3.qcow2")),
            "cirros-0.6.3"
        );
        assert_eq!(default_name(Path::new("disk")), "disk");
    }
}
