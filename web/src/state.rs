//! The portal's state: [`State`], the [`Action`]s that change it, and [`State::reduce`], the
//! only place it changes (as in yew's `function_todomvc`). Components read the state and
//! dispatch actions; the flows in [`crate::flows`] do the I/O and dispatch what happened.
//!
//! Nothing here touches the browser, so `cargo test -p glance-sig-portal` runs it natively.
//! The token lives here, in memory only: never in `localStorage`, `sessionStorage` or a cookie.

use std::cell::Cell;
use std::rc::Rc;

use glance_sig_core::policy::{self, Finding};
use glance_sig_core::{Note, Report, SignatureProperties, SigningState};
use openstack_proto::glance::Image;
use openstack_proto::keystone::{EndpointFilter, Interface, Project, Token};
use openstack_proto::Secret;
use yew::Reducible;

use crate::config::{DebugFlags, PortalConfig};

/// The screens of the signed-in portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Screen {
    /// Sign an image file and upload it.
    #[default]
    Sign,
    /// Verify an image already in Glance.
    Verify,
    /// Every image, classified.
    Catalog,
}

/// A project-scoped session: the token and the endpoints from its catalog.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Scoped {
    /// The token (kept in memory only).
    pub token: Secret,
    /// The user's name.
    pub user: String,
    /// The user's id (a renewed token must be the same user's).
    pub user_id: String,
    /// The project's name.
    pub project: String,
    /// The project's id.
    pub project_id: String,
    /// When the token expires, as Keystone wrote it.
    pub expires_at: String,
    /// The image (Glance) endpoint.
    pub glance: String,
    /// The key-manager (Barbican) endpoint.
    pub barbican: String,
}

impl Scoped {
    /// Why a token handed over as a renewal is not taken; `Ok` when it may replace the session's.
    ///
    /// # Errors
    /// In words: not scoped to the session's project, another user, or no later expiry.
    pub fn admits(&self, fresh: &Token) -> Result<(), String> {
        let current = self;
        let Some(project) = &fresh.project else {
            return Err(
                "the host page's new token is not scoped to a project: kept the current one".into(),
            );
        };
        if project.id != current.project_id {
            return Err(format!(
                "the host page's new token is for project {} ({}), not {} ({}): kept the current one",
                project.name, project.id, current.project, current.project_id
            ));
        }
        if fresh.user.id != current.user_id {
            return Err(format!(
                "the host page's new token belongs to {}, not {}: kept the current one",
                fresh.user.name, current.user
            ));
        }
        let later = match (
            fresh.expires_at_unix(),
            openstack_proto::time::unix_seconds(&current.expires_at),
        ) {
            (Some(new), Some(old)) => new > old,
            (Some(_), None) => true,
            _ => false,
        };
        if !later {
            return Err(format!(
                "the host page has no fresher token (its token expires at {}): sign in to the dashboard again to get one",
                fresh.expires_at
            ));
        }
        Ok(())
    }

    /// The session for a project-scoped token, with its endpoints found in the catalog by the
    /// configured interface and region.
    ///
    /// # Errors
    /// In words, when the token is not project-scoped or its catalog lacks Glance or Barbican.
    pub fn from_token(token: &Token, config: &PortalConfig) -> Result<Self, String> {
        let project = token
            .project
            .as_ref()
            .ok_or("the token is not scoped to a project: choose a project")?;
        let interface = config
            .interface
            .as_deref()
            .map(str::parse::<Interface>)
            .transpose()
            .map_err(|error| error.to_string())?
            .unwrap_or_default();
        let find = |filter: EndpointFilter| {
            token
                .endpoint(&filter.interface(interface).region(config.region.as_deref()))
                .map(str::to_owned)
                .map_err(|error| error.to_string())
        };
        let glance = find(EndpointFilter::image())?;
        let barbican = find(EndpointFilter::key_manager())?;
        for (service, url) in [("image", &glance), ("key-manager", &barbican)] {
            if let Some(reason) = config.blocked(service, url) {
                return Err(reason);
            }
        }
        Ok(Self {
            token: token.value.clone(),
            user: token.user.name.clone(),
            user_id: token.user.id.clone(),
            project: project.name.clone(),
            project_id: project.id.clone(),
            expires_at: token.expires_at.clone(),
            glance,
            barbican,
        })
    }
}

/// Renewing the session's token before an upload outlives it (see [`crate::renewal`]).
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum RenewalNotice {
    /// The token expires before the upload is expected to end: the host page was asked.
    Asked {
        /// When the token expires (Keystone's text).
        expires_at: String,
        /// Until when it must last (RFC 3339).
        needed_until: String,
    },
    /// A fresh token replaced the session's.
    Renewed {
        /// When the new token expires.
        expires_at: String,
    },
    /// The token was not renewed: why, and what to do.
    NotRenewed {
        /// In words.
        reason: String,
    },
    /// Signed in with typed credentials: there is no host page to ask.
    NoHost {
        /// When the token expires.
        expires_at: String,
        /// Until when it must last.
        needed_until: String,
    },
}

/// Whether `id` can be an image id in the page's `?verify=` (a uuid's characters; anything else
/// is ignored rather than sent to Glance).
pub fn is_image_id_shaped(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Where sign-in stands.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Session {
    /// Not signed in.
    SignedOut,
    /// Signed in without a project: choose one.
    ChoosingProject {
        /// The unscoped token.
        token: Secret,
        /// The user's name.
        user: String,
        /// The projects the user may scope to.
        projects: Vec<Project>,
    },
    /// Signed in to a project.
    Ready(Box<Scoped>),
}

/// What the worker said about the loaded private key.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct KeyInfo {
    /// "an EC P-384 key".
    pub summary: String,
    /// `ECC_SECP384R1`, ...
    pub key_type: String,
    /// `file` or `generated`.
    pub origin: String,
    /// The file's name, for a key from a file.
    pub file_name: Option<String>,
}

/// The private key slot (the key itself stays in the worker).
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub enum KeySlot {
    /// No key.
    #[default]
    Empty,
    /// Being read or generated.
    Loading,
    /// The key file is encrypted: ask for the passphrase.
    NeedsPassphrase {
        /// The file's name.
        file_name: String,
        /// Set when a passphrase was tried and refused.
        error: Option<String>,
    },
    /// Loaded.
    Loaded(KeyInfo),
    /// Could not be used.
    Failed(String),
}

/// A certificate, as the worker summarized it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CertSummary {
    /// Subject, RFC 4514.
    pub subject: String,
    /// "an EC P-384 key".
    pub key: String,
    /// Validity now: `valid`, `expired`, `not-yet-valid`.
    pub validity: String,
    /// SHA-256 fingerprint, hex.
    pub fingerprint: String,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// The PEM text (public).
    pub pem: String,
}

/// The signing certificate slot.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub enum CertSlot {
    /// None chosen.
    #[default]
    Empty,
    /// Being fetched, parsed or stored.
    Loading,
    /// Chosen and parsed.
    Loaded {
        /// The Barbican secret id (`None` for a generated certificate not stored yet).
        uuid: Option<String>,
        /// What it says.
        summary: CertSummary,
    },
    /// Could not be used.
    Failed(String),
}

/// A certificate secret listed from Barbican.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CertEntry {
    /// The secret's uuid.
    pub uuid: String,
    /// Its name.
    pub name: String,
    /// When it was created.
    pub created: String,
    /// Its Barbican expiration, if any (after which Glance reports "Certificate not found").
    pub expiration: Option<String>,
    /// Its stored content type (castellan needs `application/octet-stream`).
    pub content_type: Option<String>,
}

/// The image file chosen for signing (metadata; the `File` handle is in [`FileRef`]).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ImageMeta {
    /// The file's name.
    pub file_name: String,
    /// Its size in bytes.
    pub size: u64,
    /// The disk format detected from its magic bytes.
    pub detected_format: String,
}

/// A handle to a browser `File` (compared by identity). Holds no bytes.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct FileRef(pub web_sys::File);

/// The form for the image to create.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ImageForm {
    /// Image name.
    pub name: String,
    /// `disk_format`.
    pub disk_format: String,
    /// `visibility`.
    pub visibility: String,
    /// `img_signature_hash_method`.
    pub hash_method: String,
}

impl Default for ImageForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            disk_format: "raw".to_owned(),
            visibility: "private".to_owned(),
            hash_method: "SHA-256".to_owned(),
        }
    }
}

/// A form field change.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum FormField {
    /// Image name.
    Name(String),
    /// Disk format.
    DiskFormat(String),
    /// Visibility.
    Visibility(String),
    /// Hash method.
    HashMethod(String),
}

/// Bytes done of a total, and the time taken so far.
#[derive(Clone, Copy, PartialEq, Debug, Default)]
pub struct Progress {
    /// Bytes done.
    pub done: u64,
    /// Bytes in all.
    pub total: u64,
    /// Milliseconds since the start.
    pub elapsed_ms: f64,
}

/// The four properties as signed: the `properties` of the worker's answer to `sign` (an absent
/// one empty).
#[derive(Clone, PartialEq, Eq, Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Signed {
    /// `img_signature`.
    pub signature: String,
    /// `img_signature_hash_method`.
    pub hash_method: String,
    /// `img_signature_key_type`.
    pub key_type: String,
    /// `img_signature_certificate_uuid`.
    pub certificate_uuid: String,
}

/// How a sign-and-upload run ended.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Outcome {
    /// Glance verified the signature while storing the data (204, status `active`).
    Verified {
        /// The image id.
        image_id: String,
        /// Its name.
        name: String,
        /// Its status (`active`).
        status: String,
        /// The four properties.
        properties: Signed,
    },
    /// Glance refused the data (400), and the image was deleted (or not: `deleted`).
    Refused {
        /// The image id it had.
        image_id: String,
        /// Glance's words.
        message: String,
        /// What to do about it.
        hint: String,
        /// Whether the portal deleted the image.
        deleted: bool,
        /// Why, from verifying what was sent here: the report's diagnosis (its causes and
        /// fixes), else its error; empty when that could not run.
        causes: Vec<String>,
    },
    /// Something else failed.
    Failed {
        /// Which step.
        stage: String,
        /// What happened.
        message: String,
        /// The image created before the failure, and whether it was deleted.
        image: Option<(String, bool)>,
    },
}

/// How long the last run's steps took, and how much they moved.
#[derive(Clone, Copy, PartialEq, Debug, Default)]
pub struct Timings {
    /// Hashing and signing.
    pub sign: Option<Progress>,
    /// The upload.
    pub upload: Option<Progress>,
}

/// The sign-and-upload job.
#[derive(Clone, PartialEq, Debug, Default)]
pub enum Job {
    /// Nothing running.
    #[default]
    Idle,
    /// Hashing and signing in the worker.
    Signing(Progress),
    /// `POST /v2/images` with the four properties.
    Creating,
    /// `PUT /v2/images/{id}/file`.
    Uploading {
        /// The image id.
        image_id: String,
        /// Upload progress.
        progress: Progress,
    },
    /// Upload refused or failed: deleting the image.
    CleaningUp {
        /// The image id.
        image_id: String,
    },
    /// Finished.
    Done(Outcome),
}

impl Job {
    /// Whether a run is in progress.
    pub fn is_running(&self) -> bool {
        !matches!(self, Self::Idle | Self::Done(_))
    }
}

/// An image in the catalog view.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CatalogRow {
    /// The image.
    pub image: Image,
    /// `signed`, `unsigned` or `partially signed`.
    pub class: SignClass,
    /// The missing properties, for a partial set.
    pub missing: Vec<String>,
    /// What to do about it (the same words for every image of its kind).
    pub advice: String,
    /// What verifying its data here found, once it was verified.
    pub checked: Option<Checked>,
}

/// What verifying an image's data in this page found.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum Checked {
    /// The verification session's verdict.
    Report {
        /// When (the report's time).
        at: String,
        /// The signature verifies (and the chain, with trusted certificates).
        valid: bool,
        /// Who signed, when the report names a certificate.
        signer: Option<Signer>,
        /// Why it fails and how to fix it (the report's diagnosis, else its error and fix);
        /// for a valid signature, why the signer is not established, if it is not.
        advice: Vec<String>,
    },
    /// The verification could not run.
    Failed(String),
}

/// The certificate of a verified image, as a catalog column.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Signer {
    /// Its subject's common name (or the whole subject when it has none).
    pub name: String,
    /// The end of its validity.
    pub not_after: String,
    /// Whether a trusted certificate vouches for it; `None` until a verification here said.
    pub trusted: Option<bool>,
}

impl Signer {
    /// The certificate an image names, read from Barbican before any verification.
    pub fn of_certificate(summary: &CertSummary) -> Self {
        Self {
            name: common_name(&summary.subject).to_owned(),
            not_after: glance_sig_core::time::rfc3339(summary.not_after),
            trusted: None,
        }
    }
}

impl Checked {
    /// The catalog's summary of a report.
    pub fn of(report: &Report) -> Self {
        let signer = report.certificate.as_ref().map(|c| Signer {
            name: common_name(&c.subject).to_owned(),
            not_after: c.not_after.clone(),
            trusted: Some(report.trust.established),
        });
        let mut advice: Vec<String> = report
            .diagnosis
            .iter()
            .map(|note| capitalized(&note.message))
            .collect();
        if advice.is_empty() {
            if let Some(error) = &report.error {
                advice.push(format!(
                    "{}. Fix: {}.",
                    capitalized(&error.message),
                    error.fix
                ));
            }
        }
        if let Some(error) = report.chain.as_ref().and_then(|c| c.error.as_ref()) {
            advice.push(capitalized(&error.message));
        }
        if report.valid && !report.trust.established {
            advice.push(capitalized(&report.trust.message));
        }
        Self::Report {
            at: report.at.clone(),
            valid: report.valid,
            signer,
            advice,
        }
    }
}

/// The `CN=` of a subject as the core writes it (`CN=a, O=b`), else the whole subject.
fn common_name(subject: &str) -> &str {
    subject
        .split(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .unwrap_or(subject)
}

/// Where an image stands, as the catalog tells it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum RowState {
    /// No signature properties.
    Unsigned,
    /// Some of the four.
    Partial,
    /// All four; the data was not verified here.
    NotChecked,
    /// Verified here.
    Verified,
    /// Verified here, and the signature (or chain) fails.
    Fails,
    /// The verification could not run.
    CouldNotCheck,
}

impl RowState {
    /// For CSS classes and the tests.
    pub fn code(self) -> &'static str {
        match self {
            Self::Unsigned => "unsigned",
            Self::Partial => "partial",
            Self::NotChecked => "not-checked",
            Self::Verified => "verified",
            Self::Fails => "fails",
            Self::CouldNotCheck => "could-not-check",
        }
    }
}

impl CatalogRow {
    /// Who signed: the verification's signer, else the certificate read for the signer column
    /// (`Err`: why it could not be read).
    pub fn signer<'a>(&'a self, signers: &'a Signers) -> Option<Result<&'a Signer, &'a str>> {
        if let Some(Checked::Report {
            signer: Some(signer),
            ..
        }) = &self.checked
        {
            return Some(Ok(signer));
        }
        let uuid = self.certificate_uuid()?;
        signers
            .get(uuid)
            .map(|read| read.as_ref().map_err(String::as_str))
    }

    /// The Barbican id of the certificate the image names, for a signed image.
    pub fn certificate_uuid(&self) -> Option<&str> {
        (self.class == SignClass::Signed)
            .then(|| {
                self.image
                    .properties
                    .get(glance_sig_core::IMG_SIGNATURE_CERTIFICATE_UUID)
            })
            .flatten()
            .map(String::as_str)
    }

    /// Where the image stands.
    pub fn state(&self) -> RowState {
        match (self.class, &self.checked) {
            (SignClass::Unsigned, _) => RowState::Unsigned,
            (SignClass::Partial, _) => RowState::Partial,
            (SignClass::Signed, None) => RowState::NotChecked,
            (SignClass::Signed, Some(Checked::Report { valid: true, .. })) => RowState::Verified,
            (SignClass::Signed, Some(Checked::Report { valid: false, .. })) => RowState::Fails,
            (SignClass::Signed, Some(Checked::Failed(_))) => RowState::CouldNotCheck,
        }
    }

    /// The state in words: "verified here at TIME" names the report's time.
    pub fn state_label(&self) -> String {
        match (self.state(), &self.checked) {
            (RowState::Verified, Some(Checked::Report { at, .. })) => {
                format!("verified here at {at}")
            }
            (RowState::Unsigned, _) => "unsigned".to_owned(),
            (RowState::Partial, _) => "partially signed".to_owned(),
            (RowState::NotChecked, _) => "signed, data not checked here".to_owned(),
            (RowState::Fails, _) => "signature fails".to_owned(),
            _ => "signed, could not be verified here".to_owned(),
        }
    }

    /// What to do about this image: its verification's advice once it was verified, else its
    /// signing state's.
    pub fn advice(&self) -> Vec<String> {
        match &self.checked {
            Some(Checked::Report { advice, .. }) if self.class == SignClass::Signed => {
                advice.clone()
            }
            Some(Checked::Failed(message)) if self.class == SignClass::Signed => {
                vec![capitalized(message)]
            }
            _ if self.state() == RowState::NotChecked && self.image.status == "active" => vec![format!(
                "{} Its data has not been verified here: Verify all (or Verify in browser) downloads and checks it.",
                self.advice
            )],
            _ => vec![self.advice.clone()],
        }
    }
}

/// The certificates read for the catalog's signer column, by Barbican id.
pub type Signers = std::collections::BTreeMap<String, Result<Signer, String>>;

/// One piece of advice and the images it is for: the catalog says each once.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AdviceKind {
    /// The state of the images it is for.
    pub state: RowState,
    /// The advice.
    pub text: String,
    /// The images' names (or ids).
    pub images: Vec<String>,
}

/// The rows' advice, each distinct text once, in the order of the rows.
pub fn advice_kinds(rows: &[CatalogRow]) -> Vec<AdviceKind> {
    let mut kinds: Vec<AdviceKind> = Vec::new();
    for row in rows {
        let name = row
            .image
            .name
            .clone()
            .unwrap_or_else(|| row.image.id.clone());
        for text in row.advice() {
            match kinds.iter_mut().find(|kind| kind.text == text) {
                Some(kind) => kind.images.push(name.clone()),
                None => kinds.push(AdviceKind {
                    state: row.state(),
                    text,
                    images: vec![name.clone()],
                }),
            }
        }
    }
    kinds
}

/// Stops a run between two steps; shared by the state (which sets it) and the flow that
/// checks it.
#[derive(Clone, Default, Debug)]
pub struct Cancel(Rc<Cell<bool>>);

impl Cancel {
    /// Whether the run was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.0.get()
    }
}

impl PartialEq for Cancel {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// "Verify all": the catalog's signed images verified one after another.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct VerifyAll {
    /// Images to verify.
    pub total: usize,
    /// Verified so far.
    pub done: usize,
    /// The image being verified now.
    pub current: Option<String>,
    /// Stops the run after the current image.
    pub cancel: Cancel,
    /// The run is over (all done, or cancelled).
    pub ended: bool,
}

impl VerifyAll {
    /// Whether images are still being verified.
    pub fn is_running(&self) -> bool {
        !self.ended
    }
}

/// How signed an image is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum SignClass {
    /// All four properties.
    Signed,
    /// Some.
    Partial,
    /// None.
    Unsigned,
}

impl SignClass {
    /// For people and for CSS classes.
    pub fn label(self) -> &'static str {
        match self {
            Self::Signed => "signed",
            Self::Partial => "partially signed",
            Self::Unsigned => "unsigned",
        }
    }
}

impl CatalogRow {
    /// Classifies an image and says what to do about it, in the core's words (the advice every
    /// door prints: `glance_sig_core::policy::signing_state`).
    pub fn of(image: Image) -> Self {
        let has_data = image.status == "active";
        let properties = SignatureProperties::from_map(
            image
                .properties
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let (class, missing, advice) = match properties {
            Ok(properties) => {
                let state = properties.signing_state();
                let Finding { message, fix, .. } = policy::signing_state(&state, has_data);
                let mut advice = capitalized(&message);
                if !fix.is_empty() {
                    advice = format!("{advice}. Fix: {fix}.");
                }
                let (class, missing) = match state {
                    SigningState::Signed => (SignClass::Signed, Vec::new()),
                    SigningState::PartiallySigned { missing } => (
                        SignClass::Partial,
                        missing.into_iter().map(str::to_owned).collect(),
                    ),
                    SigningState::Unsigned => (SignClass::Unsigned, Vec::new()),
                };
                if class == SignClass::Signed && !has_data {
                    advice = format!(
                        "{advice}. The image is {} and holds no data yet: upload the signed data, or delete it.",
                        image.status
                    );
                } else if class == SignClass::Signed {
                    advice = format!("{advice}.");
                }
                (class, missing, advice)
            }
            // Longer than Glance stores: not something Glance handed over, but said plainly.
            Err(error) => (
                SignClass::Partial,
                Vec::new(),
                capitalized(&error.to_string()),
            ),
        };
        Self {
            image,
            class,
            missing,
            advice,
            checked: None,
        }
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The catalog view.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub enum Catalog {
    /// Not loaded.
    #[default]
    NotLoaded,
    /// Loading.
    Loading,
    /// Loaded.
    Loaded(Vec<CatalogRow>),
    /// Could not be loaded.
    Failed(String),
}

/// The verify view.
#[derive(Clone, PartialEq, Debug, Default)]
pub enum Verify {
    /// Nothing yet.
    #[default]
    Idle,
    /// Fetching the certificates and streaming the image through the worker's session.
    Running {
        /// The image id.
        image_id: String,
        /// Download progress.
        progress: Progress,
        /// The second download, to explain a failure.
        explaining: bool,
    },
    /// The verification session's report, the one `glance-sig verify` prints.
    Done {
        /// The image id.
        image_id: String,
        /// The image name.
        name: String,
        /// The report.
        report: Box<Report>,
    },
    /// Could not verify.
    Failed {
        /// The image id.
        image_id: String,
        /// Why.
        message: String,
    },
}

/// The whole portal state.
#[derive(Clone, PartialEq, Debug, Default)]
pub struct State {
    /// `config.json` (with URL overrides), once loaded.
    pub config: Option<PortalConfig>,
    /// A problem loading the configuration.
    pub config_error: Option<String>,
    /// Test hooks from the URL.
    pub debug: DebugFlags,
    /// Whether the worker (with the component) is ready; `Err` when it failed to load.
    pub worker: Option<Result<(), String>>,
    /// Sign-in.
    pub session: Option<Session>,
    /// The Keystone URL signed in to (the configured one, or one the host page named).
    pub auth_url: Option<String>,
    /// A sign-in request is in flight.
    pub auth_busy: bool,
    /// The last sign-in problem.
    pub auth_error: Option<String>,
    /// The session came from a host page or a link (a token handed over), and the user has
    /// not yet confirmed that the account and project shown are theirs: nothing is uploaded
    /// until they do (a login-CSRF defence).
    pub handover_unconfirmed: bool,
    /// Why a token handed over was ignored (a `#token=` link the configuration refuses, or
    /// a session the user said was not theirs).
    pub handover_notice: Option<String>,
    /// The user refused a handed-over session: no further hand-over is listened for.
    pub handover_rejected: bool,
    /// The session's token came from the host page (so the host can be asked for a fresh
    /// one before an upload outlives it).
    pub handed_over: bool,
    /// Where renewing the token stands, when an upload needed it.
    pub renewal: Option<RenewalNotice>,
    /// `?verify=<image id>` (a dashboard's "Verify signature" action): verify that image once
    /// the session is ready and confirmed.
    pub landing: Option<String>,
    /// The current screen.
    pub screen: Screen,
    /// The private key slot.
    pub key: KeySlot,
    /// The signing certificate slot.
    pub certificate: CertSlot,
    /// Whether the key matches the certificate (`None` until both are there).
    pub key_matches: Option<bool>,
    /// The project's certificate secrets.
    pub certificates: Option<Result<Vec<CertEntry>, String>>,
    /// The chosen image file.
    pub image: Option<ImageMeta>,
    /// Its handle.
    pub image_file: Option<FileRef>,
    /// The image form.
    pub form: ImageForm,
    /// The sign-and-upload job.
    pub job: Job,
    /// Remarks from the last signing (the certificate's dates as Nova judges them).
    pub sign_notes: Vec<Note>,
    /// The last run's signing and upload, as last reported: kept for the result, which
    /// shows the time and the average rate once the progress bars are gone.
    pub timings: Timings,
    /// The catalog view.
    pub catalog: Catalog,
    /// The verify view.
    pub verify: Verify,
    /// The catalog's "Verify all" run, once started.
    pub verify_all: Option<VerifyAll>,
    /// The certificates of the catalog's signed images, read for the signer column.
    pub signers: Signers,
}

/// Everything that can happen.
#[derive(Clone, PartialEq, Debug)]
pub enum Action {
    /// `config.json` loaded.
    ConfigLoaded(PortalConfig, DebugFlags),
    /// `config.json` missing or invalid.
    ConfigFailed(String),
    /// The worker loaded the component.
    WorkerReady,
    /// The worker failed to load it.
    WorkerFailed(String),
    /// A Keystone request started, against this auth URL.
    AuthStarted(String),
    /// A sign-in with typed credentials (password, application credential) started, against
    /// this auth URL: a session from it needs no hand-over confirmation.
    CredentialsSent(String),
    /// A host page or a link handed over a token, validated against this auth URL: the
    /// session it gives must be confirmed before any upload.
    HandoverStarted(String),
    /// A handed-over token was ignored; the user is told why.
    HandoverRefused(String),
    /// The host page named the region to use (its own current one).
    HandoverRegion(String),
    /// The user confirmed the account and project of a handed-over session.
    HandoverConfirmed,
    /// The user said a handed-over session is not theirs: signed out, and no more hand-overs.
    HandoverRejected,
    /// The page was opened to verify this image (`?verify=`).
    Landing(String),
    /// The landing's verification was started.
    LandingTaken,
    /// Renewing the token before an upload outlives it: what happened.
    Renewal(RenewalNotice),
    /// The host page handed over a fresh token, which Keystone validated: it replaces the
    /// session's when it is the same user's, in the same project, and lasts longer.
    TokenRenewed(Box<Token>),
    /// It failed.
    AuthFailed(String),
    /// An unscoped token: choose a project.
    Unscoped {
        /// The token.
        token: Secret,
        /// The user's name.
        user: String,
        /// The projects.
        projects: Vec<Project>,
    },
    /// A project-scoped token.
    Scoped(Box<Token>),
    /// Forget the token (and everything tied to the session).
    SignOut,
    /// Switch screens.
    Show(Screen),
    /// The worker is reading or generating a key.
    KeyLoading,
    /// The key file needs a passphrase.
    KeyNeedsPassphrase {
        /// The file's name.
        file_name: String,
        /// Set when a passphrase was refused.
        error: Option<String>,
    },
    /// A key is loaded; `matches` against the current certificate, if any.
    KeyLoaded(KeyInfo, Option<bool>),
    /// The key could not be used.
    KeyFailed(String),
    /// The key was forgotten.
    KeyForgotten,
    /// The certificate list loaded.
    CertificatesListed(Result<Vec<CertEntry>, String>),
    /// A certificate is being fetched, parsed or stored.
    CertificateLoading,
    /// A certificate is chosen; `matches` the key, if one is loaded.
    CertificateLoaded {
        /// The Barbican secret id.
        uuid: Option<String>,
        /// What it says.
        summary: CertSummary,
        /// Whether the loaded key matches it.
        matches: Option<bool>,
    },
    /// The certificate could not be used.
    CertificateFailed(String),
    /// An image file was chosen.
    ImageChosen(ImageMeta, Option<FileRef>),
    /// A form field changed.
    Form(FormField),
    /// Signing started.
    SignStarted,
    /// Signing progress.
    SignProgress(Progress),
    /// The signing's remarks, for the user to see as warnings.
    SignNotes(Vec<Note>),
    /// The signature is made; creating the image.
    Creating,
    /// The image exists; uploading.
    Uploading(String),
    /// Upload progress.
    UploadProgress(Progress),
    /// Glance refused or the upload failed: deleting the image.
    CleaningUp(String),
    /// The run ended.
    Finished(Outcome),
    /// Clear a finished run.
    ResetJob,
    /// The catalog is loading.
    CatalogLoading,
    /// The catalog loaded.
    CatalogLoaded(Vec<Image>),
    /// The catalog failed.
    CatalogFailed(String),
    /// Verification started.
    VerifyStarted(String),
    /// Verification progress.
    VerifyProgress(Progress),
    /// The verification failed and the session wants the data again, to explain why.
    VerifyExplaining,
    /// The report.
    VerifyDone {
        /// The image id.
        image_id: String,
        /// The image name.
        name: String,
        /// The report.
        report: Box<Report>,
    },
    /// Verification could not run.
    VerifyFailed {
        /// The image id.
        image_id: String,
        /// Why.
        message: String,
    },
    /// "Verify all" started over this many images; `Cancel` stops it.
    VerifyAllStarted(usize, Cancel),
    /// It verifies this image now.
    VerifyAllNext(String),
    /// An image of the run is verified (or could not be).
    CatalogChecked {
        /// The image id.
        image_id: String,
        /// What was found.
        checked: Checked,
    },
    /// Stop the run after the current image.
    VerifyAllCancel,
    /// The run is over.
    VerifyAllEnded,
    /// A certificate for the signer column was read (or could not be).
    SignerRead {
        /// Its Barbican id.
        uuid: String,
        /// What it says, or why it could not be read.
        read: Result<Signer, String>,
    },
}

impl State {
    /// The one place state changes.
    pub fn reduce(mut self, action: Action) -> Self {
        match action {
            Action::ConfigLoaded(config, debug) => {
                self.form.hash_method = config.hash_method.clone();
                self.config = Some(config);
                self.config_error = None;
                self.debug = debug;
            }
            Action::ConfigFailed(message) => self.config_error = Some(message),
            Action::WorkerReady => self.worker = Some(Ok(())),
            Action::WorkerFailed(message) => self.worker = Some(Err(message)),
            Action::AuthStarted(auth_url) => {
                self.auth_url = Some(auth_url);
                self.auth_busy = true;
                self.auth_error = None;
            }
            Action::CredentialsSent(auth_url) => {
                self = self.reduce(Action::AuthStarted(auth_url));
                self.handover_unconfirmed = false;
                self.handed_over = false;
                self.handover_notice = None;
            }
            Action::HandoverStarted(auth_url) => {
                self = self.reduce(Action::AuthStarted(auth_url));
                self.handover_unconfirmed = true;
                self.handed_over = true;
                self.handover_notice = None;
            }
            Action::HandoverRefused(message) => self.handover_notice = Some(message),
            Action::HandoverRegion(region) => {
                if let Some(config) = &mut self.config {
                    config.region = Some(region);
                }
            }
            Action::HandoverRejected => {
                self = self.reduce(Action::SignOut);
                self.handover_rejected = true;
                self.handover_notice = Some(HANDOVER_REJECTED.to_owned());
            }
            Action::HandoverConfirmed => {
                if self.scoped().is_some() {
                    self.handover_unconfirmed = false;
                }
            }
            Action::Landing(image_id) => {
                if is_image_id_shaped(&image_id) {
                    self.landing = Some(image_id);
                }
            }
            Action::LandingTaken => self.landing = None,
            Action::Renewal(notice) => self.renewal = Some(notice),
            Action::TokenRenewed(token) => {
                if let Some(Session::Ready(scoped)) = &mut self.session {
                    match scoped.admits(&token) {
                        Ok(()) => {
                            scoped.token = token.value.clone();
                            scoped.expires_at = token.expires_at.clone();
                            self.renewal = Some(RenewalNotice::Renewed {
                                expires_at: token.expires_at.clone(),
                            });
                        }
                        Err(reason) => {
                            self.renewal = Some(RenewalNotice::NotRenewed { reason });
                        }
                    }
                }
            }
            Action::AuthFailed(message) => {
                self.auth_busy = false;
                self.auth_error = Some(message);
            }
            Action::Unscoped {
                token,
                user,
                projects,
            } => {
                self.auth_busy = false;
                self.auth_error = if projects.is_empty() {
                    Some(format!("{user} has no project to work in"))
                } else {
                    None
                };
                self.session = Some(Session::ChoosingProject {
                    token,
                    user,
                    projects,
                });
            }
            Action::Scoped(token) => {
                self.auth_busy = false;
                let scoped = self
                    .config
                    .as_ref()
                    .ok_or_else(|| "no configuration".to_owned())
                    .and_then(|config| Scoped::from_token(&token, config));
                match scoped {
                    Ok(scoped) => {
                        self.auth_error = None;
                        self.renewal = None;
                        self.session = Some(Session::Ready(Box::new(scoped)));
                        self.certificates = None;
                        self.catalog = Catalog::NotLoaded;
                    }
                    Err(message) => self.auth_error = Some(message),
                }
            }
            Action::SignOut => {
                if let Some(run) = &self.verify_all {
                    run.cancel.0.set(true);
                }
                // Keep the configuration and the worker; drop everything tied to the cloud.
                // The key stays in the worker until forgotten: it belongs to the user, not the
                // session; the flow that signs out also asks the worker to forget it.
                self = Self {
                    config: self.config,
                    debug: self.debug,
                    worker: self.worker,
                    form: ImageForm {
                        hash_method: self.form.hash_method,
                        ..ImageForm::default()
                    },
                    ..Self::default()
                };
            }
            Action::Show(screen) => self.screen = screen,
            Action::KeyLoading => self.key = KeySlot::Loading,
            Action::KeyNeedsPassphrase { file_name, error } => {
                self.key = KeySlot::NeedsPassphrase { file_name, error };
                self.key_matches = None;
            }
            Action::KeyLoaded(info, matches) => {
                // A generated key brings its own certificate (CertificateLoaded follows).
                self.key = KeySlot::Loaded(info);
                self.key_matches = matches;
            }
            Action::KeyFailed(message) => {
                self.key = KeySlot::Failed(message);
                self.key_matches = None;
            }
            Action::KeyForgotten => {
                self.key = KeySlot::Empty;
                self.key_matches = None;
            }
            Action::CertificatesListed(list) => self.certificates = Some(list),
            Action::CertificateLoading => {
                self.certificate = CertSlot::Loading;
                self.key_matches = None;
            }
            Action::CertificateLoaded {
                uuid,
                summary,
                matches,
            } => {
                self.certificate = CertSlot::Loaded { uuid, summary };
                self.key_matches = matches;
            }
            Action::CertificateFailed(message) => {
                self.certificate = CertSlot::Failed(message);
                self.key_matches = None;
            }
            Action::ImageChosen(meta, file) => {
                self.form.name = crate::format::image_name_for(&meta.file_name);
                self.form.disk_format = meta.detected_format.clone();
                self.image = Some(meta);
                self.image_file = file;
                if matches!(self.job, Job::Done(_)) {
                    self.job = Job::Idle;
                }
            }
            Action::Form(field) => match field {
                FormField::Name(name) => self.form.name = name,
                FormField::DiskFormat(format) => self.form.disk_format = format,
                FormField::Visibility(visibility) => self.form.visibility = visibility,
                FormField::HashMethod(hash) => self.form.hash_method = hash,
            },
            Action::SignStarted => {
                self.sign_notes.clear();
                self.timings = Timings::default();
                let total = self.image.as_ref().map_or(0, |image| image.size);
                self.job = Job::Signing(Progress {
                    total,
                    ..Progress::default()
                });
            }
            Action::SignProgress(progress) => {
                if let Job::Signing(current) = &mut self.job {
                    *current = progress;
                    self.timings.sign = Some(progress);
                }
            }
            Action::SignNotes(notes) => self.sign_notes = notes,
            Action::Creating => self.job = Job::Creating,
            Action::Uploading(image_id) => {
                let total = self.image.as_ref().map_or(0, |image| image.size);
                self.job = Job::Uploading {
                    image_id,
                    progress: Progress {
                        total,
                        ..Progress::default()
                    },
                };
            }
            Action::UploadProgress(progress) => {
                if let Job::Uploading { progress: p, .. } = &mut self.job {
                    *p = progress;
                    self.timings.upload = Some(progress);
                }
            }
            Action::CleaningUp(image_id) => self.job = Job::CleaningUp { image_id },
            Action::Finished(outcome) => {
                if matches!(outcome, Outcome::Verified { .. }) {
                    // The catalog no longer shows every image.
                    self.catalog = Catalog::NotLoaded;
                }
                self.job = Job::Done(outcome);
            }
            Action::ResetJob => {
                if !self.job.is_running() {
                    self.job = Job::Idle;
                    self.sign_notes.clear();
                }
            }
            Action::CatalogLoading => self.catalog = Catalog::Loading,
            Action::CatalogLoaded(images) => {
                // A refresh keeps what was verified here, for images whose signature is unchanged.
                let before = match std::mem::take(&mut self.catalog) {
                    Catalog::Loaded(rows) => rows,
                    _ => Vec::new(),
                };
                let rows = images.into_iter().map(|image| {
                    let mut row = CatalogRow::of(image);
                    row.checked = before
                        .iter()
                        .find(|old| {
                            old.image.id == row.image.id
                                && old.image.properties == row.image.properties
                        })
                        .and_then(|old| old.checked.clone());
                    row
                });
                self.catalog = Catalog::Loaded(rows.collect());
            }
            Action::CatalogFailed(message) => self.catalog = Catalog::Failed(message),
            Action::VerifyStarted(image_id) => {
                self.screen = Screen::Verify;
                self.verify = Verify::Running {
                    image_id,
                    progress: Progress::default(),
                    explaining: false,
                };
            }
            Action::VerifyProgress(progress) => {
                if let Verify::Running { progress: p, .. } = &mut self.verify {
                    *p = progress;
                }
            }
            Action::VerifyExplaining => {
                if let Verify::Running {
                    progress,
                    explaining,
                    ..
                } = &mut self.verify
                {
                    *progress = Progress::default();
                    *explaining = true;
                }
            }
            Action::VerifyDone {
                image_id,
                name,
                report,
            } => {
                self.mark_checked(&image_id, Checked::of(&report));
                self.verify = Verify::Done {
                    image_id,
                    name,
                    report,
                }
            }
            Action::VerifyFailed { image_id, message } => {
                self.verify = Verify::Failed { image_id, message }
            }
            Action::VerifyAllStarted(total, cancel) => {
                self.verify_all = Some(VerifyAll {
                    total,
                    cancel,
                    ..VerifyAll::default()
                })
            }
            Action::VerifyAllNext(image_id) => {
                if let Some(run) = &mut self.verify_all {
                    run.current = Some(image_id);
                }
            }
            Action::CatalogChecked { image_id, checked } => {
                self.mark_checked(&image_id, checked);
                if let Some(run) = &mut self.verify_all {
                    run.done += 1;
                    run.current = None;
                }
            }
            Action::VerifyAllCancel => {
                if let Some(run) = &self.verify_all {
                    run.cancel.0.set(true);
                }
            }
            Action::SignerRead { uuid, read } => {
                self.signers.insert(uuid, read);
            }
            Action::VerifyAllEnded => {
                if let Some(run) = &mut self.verify_all {
                    run.ended = true;
                    run.current = None;
                }
            }
        }
        self
    }

    /// Records a verification in the catalog's row for the image, if it is listed.
    fn mark_checked(&mut self, image_id: &str, checked: Checked) {
        if let Catalog::Loaded(rows) = &mut self.catalog {
            if let Some(row) = rows.iter_mut().find(|row| row.image.id == image_id) {
                row.checked = Some(checked);
            }
        }
    }

    /// Whether the page listens for a token by `postMessage`: config.json allows some origin,
    /// and nobody is signed in (the listener goes once a session or the project choice is
    /// there, so a later message cannot swap the session).
    pub fn listens_for_handover(&self) -> bool {
        let allowed = self
            .config
            .as_ref()
            .is_some_and(|config| !config.embed.allowed_origins.is_empty());
        let signed_in = matches!(
            self.session,
            Some(Session::Ready(_) | Session::ChoosingProject { .. })
        );
        allowed && !signed_in && !self.handover_rejected
    }

    /// The scoped session, when signed in to a project, and confirmed by the user when a host
    /// page or a link handed its token over.
    pub fn confirmed(&self) -> Option<&Scoped> {
        self.scoped().filter(|_| !self.handover_unconfirmed)
    }

    /// The image `?verify=` named, once it can be verified: a confirmed session and a
    /// ready worker.
    pub fn landing_ready(&self) -> Option<&str> {
        let ready = self.confirmed().is_some() && matches!(self.worker, Some(Ok(())));
        self.landing.as_deref().filter(|_| ready)
    }

    /// The scoped session, when signed in to a project.
    pub fn scoped(&self) -> Option<&Scoped> {
        match &self.session {
            Some(Session::Ready(scoped)) => Some(scoped),
            _ => None,
        }
    }

    /// Why signing cannot start now, in words; empty when it can.
    pub fn sign_blockers(&self) -> Vec<String> {
        let mut blockers = Vec::new();
        if self.scoped().is_none() {
            blockers.push("Sign in and choose a project.".to_owned());
        } else if self.handover_unconfirmed {
            blockers.push(HANDOVER_UNCONFIRMED.to_owned());
        }
        if !matches!(self.worker, Some(Ok(()))) {
            blockers.push("The signing worker is not ready.".to_owned());
        }
        if !matches!(self.key, KeySlot::Loaded(_)) {
            blockers.push("Load the private key.".to_owned());
        }
        match &self.certificate {
            CertSlot::Loaded { uuid: Some(_), .. } => {}
            CertSlot::Loaded { uuid: None, .. } => {
                blockers.push("Store the certificate in Barbican first.".to_owned())
            }
            _ => blockers.push("Choose the signing certificate.".to_owned()),
        }
        if self.key_matches == Some(false) {
            blockers.push(KEY_MISMATCH.to_owned());
        }
        if self.image.is_none() {
            blockers.push("Choose the image file.".to_owned());
        }
        if self.form.name.trim().is_empty() {
            blockers.push("Give the image a name.".to_owned());
        }
        if self.job.is_running() {
            blockers.push("A signing run is in progress.".to_owned());
        }
        blockers
    }
}

/// Shown while a handed-over session is not confirmed: nothing is uploaded before.
pub const HANDOVER_UNCONFIRMED: &str = "Confirm that the signed-in account and project are yours.";

/// Shown after the user refused a handed-over session.
pub const HANDOVER_REJECTED: &str = "Signed out of the account the host page or link signed \
    you in with. This page takes no more tokens from it: sign in below with your own account.";

/// Shown when the private key is not the certificate's: signing is refused before any upload.
pub const KEY_MISMATCH: &str = "The private key does not match the certificate: every cloud \
    would refuse the signature. Load the key that belongs to this certificate, or choose the \
    certificate of this key.";

impl Reducible for State {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        Rc::new((*self).clone().reduce(action))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openstack_proto::keystone::parse_token;
    use openstack_proto::Response;
    use serde_json::json;

    fn config() -> PortalConfig {
        PortalConfig::parse(r#"{"auth_url": "http://127.0.0.1:5000/v3"}"#).expect("config")
    }

    fn token(project: bool) -> Token {
        let mut body = json!({"token": {
            "expires_at": "2030-01-01T00:00:00.000000Z",
            "methods": ["password"],
            "user": {"id": "u1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
            "catalog": [
                {"id": "s1", "type": "image", "name": "glance", "endpoints": [
                    {"id": "e1", "interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": "http://127.0.0.1:9292"}]},
                {"id": "s2", "type": "key-manager", "name": "barbican", "endpoints": [
                    {"id": "e2", "interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": "http://127.0.0.1:9311"}]}
            ]
        }});
        if project {
            body["token"]["project"] =
                json!({"id": "p1", "name": "demo", "domain": {"id": "default", "name": "Default"}});
        }
        let response = Response::new(
            201,
            vec![("X-Subject-Token".into(), "gAAAAtoken".into())],
            body.to_string().into_bytes(),
        );
        parse_token(&response).expect("token")
    }

    fn cert_summary() -> CertSummary {
        CertSummary {
            subject: "CN=test".into(),
            key: "an EC P-384 key".into(),
            validity: "valid".into(),
            fingerprint: "ab".into(),
            not_after: 0,
            pem: "-----BEGIN CERTIFICATE-----".into(),
        }
    }

    fn key_info() -> KeyInfo {
        KeyInfo {
            summary: "an EC P-384 key".into(),
            key_type: "ECC_SECP384R1".into(),
            origin: "file".into(),
            file_name: Some("key.pem".into()),
        }
    }

    fn ready() -> State {
        State::default()
            .reduce(Action::ConfigLoaded(config(), DebugFlags::default()))
            .reduce(Action::WorkerReady)
            .reduce(Action::Scoped(Box::new(token(true))))
    }

    fn image() -> ImageMeta {
        ImageMeta {
            file_name: "cirros.qcow2".into(),
            size: 1000,
            detected_format: "qcow2".into(),
        }
    }

    #[test]
    fn scoped_token_gives_endpoints() {
        let state = ready();
        let scoped = state.scoped().expect("scoped");
        assert_eq!(scoped.glance, "http://127.0.0.1:9292");
        assert_eq!(scoped.barbican, "http://127.0.0.1:9311");
        assert_eq!(scoped.project, "demo");
        assert_eq!(scoped.token.expose(), "gAAAAtoken");
        assert!(!format!("{state:?}").contains("gAAAAtoken"));
    }

    #[test]
    fn unscoped_token_is_not_a_session() {
        let state = State::default()
            .reduce(Action::ConfigLoaded(config(), DebugFlags::default()))
            .reduce(Action::Scoped(Box::new(token(false))));
        assert!(state.scoped().is_none());
        assert!(state.auth_error.expect("error").contains("not scoped"));
    }

    #[test]
    fn endpoints_the_browser_would_block_are_named_before_any_request() {
        // An https page and a catalog of plain http endpoints: mixed content.
        let https_page = config().with_page_origin(Some("https://portal.example".into()));
        let state = State::default()
            .reduce(Action::ConfigLoaded(https_page, DebugFlags::default()))
            .reduce(Action::Scoped(Box::new(token(true))));
        assert!(state.scoped().is_none());
        let error = state.auth_error.expect("error");
        assert!(error.contains("mixed content"), "{error}");

        // An endpoint connect_src leaves out: the CSP would block it.
        let mut narrow = config();
        narrow.connect_src = vec![
            "http://127.0.0.1:5000".into(),
            "http://127.0.0.1:9292/".into(),
        ];
        let state = State::default()
            .reduce(Action::ConfigLoaded(narrow, DebugFlags::default()))
            .reduce(Action::Scoped(Box::new(token(true))));
        let error = state.auth_error.expect("error");
        assert!(
            error.contains("add \"http://127.0.0.1:9311\" to connect_src"),
            "{error}"
        );
    }

    #[test]
    fn missing_endpoint_is_an_error() {
        let mut config = config();
        config.region = Some("Elsewhere".into());
        let state = State::default()
            .reduce(Action::ConfigLoaded(config, DebugFlags::default()))
            .reduce(Action::Scoped(Box::new(token(true))));
        assert!(state.scoped().is_none());
        assert!(state.auth_error.expect("error").contains("image"));
    }

    #[test]
    fn sign_needs_everything_and_a_matching_key() {
        let state = ready();
        assert_eq!(
            state.sign_blockers().len(),
            4,
            "{:?}",
            state.sign_blockers()
        );
        let state = state
            .reduce(Action::KeyLoaded(key_info(), None))
            .reduce(Action::CertificateLoaded {
                uuid: Some("c1".into()),
                summary: cert_summary(),
                matches: Some(false),
            })
            .reduce(Action::ImageChosen(image(), None));
        assert_eq!(state.sign_blockers(), vec![KEY_MISMATCH.to_owned()]);
        assert_eq!(state.form.name, "cirros");
        assert_eq!(state.form.disk_format, "qcow2");

        let state = state.reduce(Action::CertificateLoaded {
            uuid: Some("c1".into()),
            summary: cert_summary(),
            matches: Some(true),
        });
        assert!(state.sign_blockers().is_empty());

        // A new key resets the match until the worker says.
        let state = state.reduce(Action::KeyLoading);
        assert!(!state.sign_blockers().is_empty());
    }

    #[test]
    fn certificate_not_in_barbican_blocks() {
        let state = ready()
            .reduce(Action::KeyLoaded(key_info(), Some(true)))
            .reduce(Action::CertificateLoaded {
                uuid: None,
                summary: cert_summary(),
                matches: Some(true),
            })
            .reduce(Action::ImageChosen(image(), None));
        assert_eq!(
            state.sign_blockers(),
            vec!["Store the certificate in Barbican first.".to_owned()]
        );
    }

    #[test]
    fn job_moves_through_its_steps() {
        let state = ready().reduce(Action::ImageChosen(image(), None));
        let state = state.reduce(Action::SignStarted);
        assert_eq!(
            state.job,
            Job::Signing(Progress {
                done: 0,
                total: 1000,
                elapsed_ms: 0.0
            })
        );
        let step = Progress {
            done: 500,
            total: 1000,
            elapsed_ms: 10.0,
        };
        let state = state.reduce(Action::SignProgress(step));
        assert_eq!(state.job, Job::Signing(step));
        assert!(state
            .sign_blockers()
            .contains(&"A signing run is in progress.".to_owned()));
        // Upload progress while signing is ignored.
        let state = state.reduce(Action::UploadProgress(Progress::default()));
        assert_eq!(state.job, Job::Signing(step));
        let state = state
            .reduce(Action::Creating)
            .reduce(Action::Uploading("i1".into()))
            .reduce(Action::UploadProgress(step));
        assert_eq!(
            state.job,
            Job::Uploading {
                image_id: "i1".into(),
                progress: step
            }
        );
        let state = state
            .reduce(Action::CleaningUp("i1".into()))
            .reduce(Action::Finished(Outcome::Refused {
                image_id: "i1".into(),
                message: "Signature verification failed".into(),
                hint: String::new(),
                deleted: true,
                causes: vec!["the image changed after signing".into()],
            }));
        assert!(!state.job.is_running());
        // The result keeps the time and rate the progress bars showed.
        assert_eq!(state.timings.upload, Some(step));
        let state = state.reduce(Action::ResetJob);
        assert_eq!(state.job, Job::Idle);
    }

    #[test]
    fn sign_out_forgets_the_session() {
        let state = ready()
            .reduce(Action::KeyLoaded(key_info(), None))
            .reduce(Action::Form(FormField::HashMethod("SHA-384".into())))
            .reduce(Action::SignOut);
        assert!(state.session.is_none());
        assert_eq!(state.key, KeySlot::Empty);
        assert!(state.config.is_some());
        assert_eq!(state.worker, Some(Ok(())));
        assert_eq!(state.form.hash_method, "SHA-384");
    }

    fn image_with(properties: &[(&str, &str)], status: &str) -> Image {
        let mut body = json!({"id": "i1", "name": "x", "status": status, "visibility": "private",
            "created_at": "2026-01-01T00:00:00Z"});
        for (key, value) in properties {
            body[*key] = json!(value);
        }
        let response = Response::new(200, vec![], body.to_string().into_bytes());
        openstack_proto::glance::parse_image(&response).expect("image")
    }

    #[test]
    fn catalog_classifies_images() {
        let all = [
            ("img_signature", "c2ln"),
            ("img_signature_hash_method", "SHA-256"),
            ("img_signature_key_type", "RSA-PSS"),
            ("img_signature_certificate_uuid", "c1"),
        ];
        let state = ready().reduce(Action::CatalogLoaded(vec![
            image_with(&all, "active"),
            image_with(&all, "queued"),
            image_with(&all[..2], "active"),
            image_with(&[], "active"),
            image_with(&all[..1], "queued"),
        ]));
        let Catalog::Loaded(rows) = state.catalog else {
            panic!("not loaded")
        };
        // Image by image: its class, and how its advice starts, what it says and what it does
        // not say. The core's words (policy::signing_state), as the CLI's audit prints them.
        let expected: [(SignClass, &str, &[&str], &[&str]); 5] = [
            (
                SignClass::Signed,
                "Signed: Glance verifies the data on upload",
                &[],
                &["no data"],
            ),
            (
                SignClass::Signed,
                "",
                &["The image is queued and holds no data yet"],
                &[],
            ),
            // Data already stored: Glance never verifies it again, but Nova verifies the data
            // it downloads once all four are set, so signing the stored bytes is the fix.
            (
                SignClass::Partial,
                "Partially signed, missing img_signature_key_type, img_signature_certificate_uuid",
                &[
                    "sign the bytes Glance stores",
                    "Nova with verify_glance_signatures verifies",
                ],
                &["never be verified"],
            ),
            (SignClass::Unsigned, "", &["verify_glance_signatures"], &[]),
            (
                SignClass::Partial,
                "",
                &["before any data is uploaded"],
                &["never be verified"],
            ),
        ];
        assert_eq!(rows.len(), expected.len());
        for (row, (class, start, says, never)) in rows.iter().zip(expected) {
            let advice = &row.advice;
            assert_eq!(row.class, class, "{advice}");
            assert!(advice.starts_with(start), "{advice}");
            assert!(says.iter().all(|words| advice.contains(words)), "{advice}");
            assert!(
                !never.iter().any(|words| advice.contains(words)),
                "{advice}"
            );
        }
        assert_eq!(
            rows[2].missing,
            vec!["img_signature_key_type", "img_signature_certificate_uuid"]
        );
        assert_eq!(rows[3].class.label(), "unsigned");
    }

    fn signed_catalog() -> State {
        let all = [
            ("img_signature", "c2ln"),
            ("img_signature_hash_method", "SHA-256"),
            ("img_signature_key_type", "RSA-PSS"),
            ("img_signature_certificate_uuid", "c1"),
        ];
        let with_id = |id: &str, properties: &[(&str, &str)]| {
            let mut image = image_with(properties, "active");
            image.id = id.into();
            image.name = Some(format!("image {id}"));
            image
        };
        ready().reduce(Action::CatalogLoaded(vec![
            with_id("good", &all),
            with_id("bad", &all),
            with_id("tampered", &all),
            with_id("partial1", &all[..2]),
            with_id("partial2", &all[..2]),
            with_id("plain", &[]),
        ]))
    }

    fn rows(state: &State) -> &[CatalogRow] {
        match &state.catalog {
            Catalog::Loaded(rows) => rows,
            _ => panic!("not loaded"),
        }
    }

    #[test]
    fn the_catalog_tells_checked_from_not_checked_and_says_each_advice_once() {
        let state = signed_catalog();
        let states: Vec<_> = rows(&state).iter().map(CatalogRow::state).collect();
        use RowState::*;
        assert_eq!(
            states,
            [NotChecked, NotChecked, NotChecked, Partial, Partial, Unsigned]
        );
        assert_eq!(
            rows(&state)[0].state_label(),
            "signed, data not checked here"
        );
        // Three not checked, two partial sets alike, one unsigned: three pieces of advice.
        let kinds = advice_kinds(rows(&state));
        assert_eq!(kinds.len(), 3, "{kinds:?}");
        assert_eq!(
            kinds[0].images,
            ["image good", "image bad", "image tampered"]
        );
        assert!(
            kinds[0].text.contains("not been verified here"),
            "{}",
            kinds[0].text
        );
        // The partial set's advice is the core's, word for word.
        let partial = policy::signing_state(
            &SigningState::PartiallySigned {
                missing: vec!["img_signature_key_type", "img_signature_certificate_uuid"],
            },
            true,
        );
        assert!(
            kinds[1].text.contains(&partial.message[1..]),
            "{}",
            kinds[1].text
        );
        assert!(kinds[1].text.contains(&partial.fix), "{}", kinds[1].text);
        assert_eq!(kinds[1].images.len(), 2);

        let cancel = Cancel::default();
        let valid = report(include_str!("../tests/data/report-valid.json"));
        let invalid = report(include_str!("../tests/data/report-invalid.json"));
        let state = state
            .reduce(Action::VerifyAllStarted(3, cancel.clone()))
            .reduce(Action::VerifyAllNext("good".into()))
            .reduce(Action::CatalogChecked {
                image_id: "good".into(),
                checked: Checked::of(&valid),
            })
            .reduce(Action::CatalogChecked {
                image_id: "bad".into(),
                checked: Checked::of(&invalid),
            });
        let run = state.verify_all.clone().expect("a run");
        assert_eq!((run.done, run.total, run.is_running()), (2, 3, true));
        let state = state.reduce(Action::VerifyAllCancel);
        assert!(cancel.is_cancelled(), "the flow sees the cancel");
        let state = state.reduce(Action::VerifyAllEnded);
        assert!(!state.verify_all.as_ref().expect("a run").is_running());

        let [good, bad, tampered, ..] = rows(&state) else {
            panic!("rows")
        };
        assert_eq!(good.state(), Verified);
        assert_eq!(good.state_label(), format!("verified here at {}", valid.at));
        let Some(Checked::Report {
            signer: Some(signer),
            ..
        }) = &good.checked
        else {
            panic!("no signer")
        };
        assert_eq!(signer.name, "glance-sig portal fixture");
        assert_eq!(signer.trusted, Some(false));
        assert_eq!(bad.state(), Fails);
        assert_eq!(bad.state_label(), "signature fails");
        // A failing image's advice is the report's diagnosis: cause and fix.
        assert!(
            bad.advice()[0].starts_with("The certificate's key made this signature"),
            "{:?}",
            bad.advice()
        );
        assert_eq!(tampered.state(), NotChecked);

        // Before any verification, the signer column shows the certificate read from Barbican.
        let summary = CertSummary {
            subject: "CN=release, O=example".into(),
            not_after: 0,
            ..cert_summary()
        };
        let state = state.reduce(Action::SignerRead {
            uuid: "c1".into(),
            read: Ok(Signer::of_certificate(&summary)),
        });
        let [_, bad, tampered, ..] = rows(&state) else {
            panic!("rows")
        };
        let read = tampered
            .signer(&state.signers)
            .expect("a signer")
            .expect("read");
        assert_eq!(
            (read.name.as_str(), read.not_after.as_str(), read.trusted),
            ("release", "1970-01-01T00:00:00Z", None)
        );
        // A verified image's signer is its report's.
        let verified = bad.signer(&state.signers).expect("a signer").expect("read");
        assert_eq!(verified.name, "glance-sig portal fixture");

        // A refresh keeps what was verified.
        let images = rows(&state).iter().map(|row| row.image.clone()).collect();
        let state = state.reduce(Action::CatalogLoaded(images));
        assert_eq!(rows(&state)[1].state(), Fails);
    }

    #[test]
    fn a_single_verification_marks_its_catalog_row() {
        let state = signed_catalog()
            .reduce(Action::VerifyStarted("bad".into()))
            .reduce(Action::VerifyDone {
                image_id: "bad".into(),
                name: "image bad".into(),
                report: report(include_str!("../tests/data/report-invalid.json")),
            });
        assert_eq!(rows(&state)[1].state(), RowState::Fails);
    }

    fn report(json: &str) -> Box<Report> {
        Box::new(serde_json::from_str(json).expect("a report"))
    }

    #[test]
    fn verify_steps_end_in_the_report() {
        let state = ready().reduce(Action::VerifyStarted("i1".into()));
        assert_eq!(state.screen, Screen::Verify);
        let step = Progress {
            done: 1,
            total: 2,
            elapsed_ms: 1.0,
        };
        let state = state.reduce(Action::VerifyProgress(step));
        assert_eq!(
            state.verify,
            Verify::Running {
                image_id: "i1".into(),
                progress: step,
                explaining: false,
            }
        );
        // The second download starts from zero.
        let state = state.reduce(Action::VerifyExplaining);
        assert_eq!(
            state.verify,
            Verify::Running {
                image_id: "i1".into(),
                progress: Progress::default(),
                explaining: true,
            }
        );
        let invalid = report(include_str!("../tests/data/report-invalid.json"));
        let state = state.reduce(Action::VerifyDone {
            image_id: "i1".into(),
            name: "x".into(),
            report: invalid.clone(),
        });
        let Verify::Done { report, .. } = &state.verify else {
            panic!("not done")
        };
        assert_eq!(report, &invalid);
        assert!(!report.valid);
        assert_eq!(
            report.error.as_ref().map(|e| e.code.as_str()),
            Some("signature-mismatch")
        );
        assert_eq!(report.diagnosis[0].code, "data-changed");
        assert_eq!(
            report
                .chain
                .as_ref()
                .and_then(|c| c.error.as_ref())
                .map(|e| e.code.as_str()),
            Some("issuer-not-found")
        );
        // Explaining after the report changes nothing.
        let again = state.clone().reduce(Action::VerifyExplaining);
        assert_eq!(again.verify, state.verify);

        let state = state
            .reduce(Action::VerifyStarted("i2".into()))
            .reduce(Action::VerifyFailed {
                image_id: "i2".into(),
                message: "no".into(),
            });
        assert!(matches!(state.verify, Verify::Failed { .. }));
    }

    #[test]
    fn sign_notes_last_until_the_next_run() {
        let note = Note::new("certificate-outside-validity", "expired");
        let state = ready()
            .reduce(Action::ImageChosen(image(), None))
            .reduce(Action::SignStarted)
            .reduce(Action::SignNotes(vec![note.clone()]))
            .reduce(Action::Creating);
        assert_eq!(state.sign_notes, vec![note.clone()]);
        // Not while a run is going on.
        let running = state.clone().reduce(Action::ResetJob);
        assert_eq!(running.sign_notes, vec![note]);
        let state = state
            .reduce(Action::Finished(Outcome::Failed {
                stage: "uploading".into(),
                message: "x".into(),
                image: None,
            }))
            .reduce(Action::ResetJob);
        assert!(state.sign_notes.is_empty());
        let state = state
            .reduce(Action::SignNotes(vec![Note::new("a", "b")]))
            .reduce(Action::SignStarted);
        assert!(state.sign_notes.is_empty());
    }

    #[test]
    fn a_handed_over_session_uploads_nothing_until_confirmed() {
        let ready_to_sign = |state: State| {
            state
                .reduce(Action::WorkerReady)
                .reduce(Action::Scoped(Box::new(token(true))))
                .reduce(Action::KeyLoaded(key_info(), None))
                .reduce(Action::CertificateLoaded {
                    uuid: Some("c1".into()),
                    summary: cert_summary(),
                    matches: Some(true),
                })
                .reduce(Action::ImageChosen(image(), None))
        };
        let configured =
            State::default().reduce(Action::ConfigLoaded(config(), DebugFlags::default()));
        let handed = ready_to_sign(
            configured
                .clone()
                .reduce(Action::HandoverStarted("http://k/v3".into())),
        );
        assert!(handed.scoped().is_some());
        assert!(handed.confirmed().is_none());
        assert_eq!(
            handed.sign_blockers(),
            vec![HANDOVER_UNCONFIRMED.to_owned()]
        );
        let confirmed = handed.clone().reduce(Action::HandoverConfirmed);
        assert!(confirmed.sign_blockers().is_empty());
        assert!(confirmed.confirmed().is_some());
        // A rescope inside the hand-over (AuthStarted) keeps the need to confirm.
        let rescoped = handed
            .clone()
            .reduce(Action::AuthStarted("http://k/v3".into()));
        assert!(rescoped.handover_unconfirmed);
        // Signing out forgets it; typed credentials need no confirmation.
        assert!(!handed.clone().reduce(Action::SignOut).handover_unconfirmed);
        let typed = ready_to_sign(
            configured
                .clone()
                .reduce(Action::HandoverStarted("http://k/v3".into()))
                .reduce(Action::AuthFailed("expired".into()))
                .reduce(Action::CredentialsSent("http://k/v3".into())),
        );
        assert!(typed.sign_blockers().is_empty());
        // Confirming before a session exists confirms nothing.
        let early = configured
            .reduce(Action::HandoverStarted("http://k/v3".into()))
            .reduce(Action::HandoverConfirmed);
        assert!(early.handover_unconfirmed);
    }

    #[test]
    fn the_message_listener_goes_once_signed_in() {
        let mut embedded = config();
        embedded.embed.allowed_origins = vec!["http://127.0.0.1:8081".into()];
        let state = State::default().reduce(Action::ConfigLoaded(embedded, DebugFlags::default()));
        assert!(state.listens_for_handover());
        // Still listening while a token is checked, so a failed one can be followed by another.
        let busy = state
            .clone()
            .reduce(Action::HandoverStarted("http://k/v3".into()));
        assert!(busy.listens_for_handover());
        let signed_in = busy.reduce(Action::Scoped(Box::new(token(true))));
        assert!(!signed_in.listens_for_handover());
        let choosing = state.clone().reduce(Action::Unscoped {
            token: Secret::new("t".to_owned()),
            user: "demo".into(),
            projects: Vec::new(),
        });
        assert!(!choosing.listens_for_handover());
        assert!(signed_in
            .clone()
            .reduce(Action::SignOut)
            .listens_for_handover());
        // "Not my account": signed out, and the host cannot hand the same token over again.
        let rejected = signed_in.reduce(Action::HandoverRejected);
        assert!(rejected.session.is_none() && !rejected.listens_for_handover());
        assert_eq!(rejected.handover_notice.as_deref(), Some(HANDOVER_REJECTED));
        // No allowed origin: never.
        let closed = State::default().reduce(Action::ConfigLoaded(config(), DebugFlags::default()));
        assert!(!closed.listens_for_handover());
    }

    #[test]
    fn a_refused_link_is_explained() {
        let state = State::default()
            .reduce(Action::ConfigLoaded(config(), DebugFlags::default()))
            .reduce(Action::HandoverRefused(
                crate::config::FRAGMENT_REFUSED.into(),
            ));
        assert_eq!(
            state.handover_notice.as_deref(),
            Some(crate::config::FRAGMENT_REFUSED)
        );
        assert!(state.session.is_none() && !state.auth_busy);
    }

    /// A fresh token like `token(true)`, with another value, expiry and maybe user.
    fn renewed(user: &str, expires_at: &str) -> Token {
        let mut fresh = token(true);
        fresh.value = Secret::from("gAAAAfresh");
        fresh.user.id = user.into();
        fresh.expires_at = expires_at.into();
        fresh
    }

    #[test]
    fn a_renewed_token_replaces_the_sessions_only_when_it_is_the_same_user_and_lasts_longer() {
        let state = ready().reduce(Action::TokenRenewed(Box::new(renewed(
            "u1",
            "2030-01-01T01:00:00Z",
        ))));
        let scoped = state.scoped().expect("session");
        assert_eq!(scoped.token.expose(), "gAAAAfresh");
        assert_eq!(scoped.expires_at, "2030-01-01T01:00:00Z");
        assert!(matches!(state.renewal, Some(RenewalNotice::Renewed { .. })));

        for refused in [
            renewed("u2", "2030-01-01T01:00:00Z"),
            renewed("u1", "2029-12-31T23:00:00Z"),
        ] {
            let state = ready().reduce(Action::TokenRenewed(Box::new(refused)));
            assert_eq!(
                state.scoped().expect("session").token.expose(),
                "gAAAAtoken"
            );
            assert!(
                matches!(state.renewal, Some(RenewalNotice::NotRenewed { .. })),
                "{:?}",
                state.renewal
            );
        }
        // Signed out: nothing to renew, nothing signed back in.
        let state = State::default().reduce(Action::TokenRenewed(Box::new(renewed(
            "u1",
            "2030-01-01T01:00:00Z",
        ))));
        assert!(state.session.is_none());
    }

    #[test]
    fn a_landing_verification_waits_for_a_confirmed_session_and_runs_once() {
        let ignored = ready().reduce(Action::Landing("../../v3/auth".into()));
        assert_eq!(ignored.landing, None);
        let id = "8a2ea42d-06b5-42c2-a54d-97105420f2bb";
        let waiting = State::default()
            .reduce(Action::Landing(id.into()))
            .reduce(Action::ConfigLoaded(config(), DebugFlags::default()))
            .reduce(Action::WorkerReady)
            .reduce(Action::HandoverStarted("http://k/v3".into()))
            .reduce(Action::Scoped(Box::new(token(true))));
        assert!(waiting.handed_over);
        assert_eq!(waiting.landing_ready(), None, "unconfirmed hand-over");
        let confirmed = waiting.reduce(Action::HandoverConfirmed);
        assert_eq!(confirmed.landing_ready(), Some(id));
        assert_eq!(confirmed.reduce(Action::LandingTaken).landing_ready(), None);
    }

    #[test]
    fn a_region_handed_over_picks_the_endpoints_of_the_tokens_catalog_there() {
        let state = State::default()
            .reduce(Action::ConfigLoaded(config(), DebugFlags::default()))
            .reduce(Action::HandoverStarted("http://k/v3".into()))
            .reduce(Action::HandoverRegion("RegionTwo".into()))
            .reduce(Action::Scoped(Box::new(token(true))));
        // The token's catalog has RegionOne only: no endpoint there, said so.
        assert!(state.scoped().is_none());
        assert!(
            state
                .auth_error
                .as_deref()
                .is_some_and(|e| e.contains("RegionTwo")),
            "{:?}",
            state.auth_error
        );
        let state = State::default()
            .reduce(Action::ConfigLoaded(config(), DebugFlags::default()))
            .reduce(Action::HandoverRegion("RegionOne".into()))
            .reduce(Action::Scoped(Box::new(token(true))));
        assert_eq!(
            state.scoped().map(|s| s.glance.as_str()),
            Some("http://127.0.0.1:9292")
        );
    }

    /// A token of `user`, scoped to `project` (or unscoped), expiring at `expires_at`.
    fn other_token(user: &str, project: Option<&str>, expires_at: &str) -> Token {
        let mut body = json!({"token": {
            "expires_at": expires_at,
            "methods": ["password"],
            "user": {"id": user, "name": format!("name-{user}"), "domain": {"id": "default", "name": "Default"}},
            "catalog": []
        }});
        if let Some(id) = project {
            body["token"]["project"] = json!({"id": id, "name": format!("proj-{id}"), "domain": {"id": "default", "name": "Default"}});
        }
        let response = Response::new(
            201,
            vec![("X-Subject-Token".into(), "new".into())],
            body.to_string().into_bytes(),
        );
        parse_token(&response).expect("token")
    }

    #[test]
    fn only_a_later_token_of_the_same_user_and_project_is_admitted() {
        let current = State::default()
            .reduce(Action::ConfigLoaded(config(), DebugFlags::default()))
            .reduce(Action::Scoped(Box::new(token(true))))
            .scoped()
            .cloned()
            .expect("session");
        let later = "2030-01-01T01:00:00.000000Z";
        assert_eq!(
            current.admits(&other_token("u1", Some("p1"), later)),
            Ok(())
        );
        let other_project = current
            .admits(&other_token("u1", Some("p2"), later))
            .unwrap_err();
        assert!(
            other_project.contains("project proj-p2 (p2), not demo (p1)"),
            "{other_project}"
        );
        let other_user = current
            .admits(&other_token("u2", Some("p1"), later))
            .unwrap_err();
        assert!(
            other_user.contains("belongs to name-u2, not demo"),
            "{other_user}"
        );
        let unscoped = current.admits(&other_token("u1", None, later)).unwrap_err();
        assert!(unscoped.contains("not scoped"), "{unscoped}");
        let same = current
            .admits(&other_token(
                "u1",
                Some("p1"),
                "2030-01-01T00:00:00.000000Z",
            ))
            .unwrap_err();
        assert!(
            same.contains("no fresher token") && same.contains("sign in to the dashboard again"),
            "{same}"
        );
    }
}
