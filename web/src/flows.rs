//! The portal's flows: the I/O between the page, the worker and the cloud. Each flow sends
//! requests built by `openstack-proto`, hands heavy work to the worker, and reports what
//! happened as [`Action`]s; it changes no state itself.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use glance_sig_core::{Report, IMG_SIGNATURE_CERTIFICATE_UUID, SIGNATURE_PROPERTY_NAMES};
#[cfg(feature = "test-hooks")]
use js_sys::Uint8Array;
use js_sys::{Array, Reflect};
use openstack_proto::barbican::{self, Barbican};
use openstack_proto::cert_reuse::{certificate_secret_name, pem_certificate_body, Reuse};
use openstack_proto::diskformat;
use openstack_proto::glance::{self, Glance, ImageQuery, NewImage, Visibility};
use openstack_proto::image_pager::ImagePager;
use openstack_proto::keystone::{
    self, ApplicationCredential, Auth, DomainRef, Keystone, ProjectRef, Scope, Token, UserRef,
};
use openstack_proto::signature::SignatureProperties;
use openstack_proto::upload_plan::{Cleanup, Next, Phase, UploadOutcome, UploadPlan};
use openstack_proto::{ApiError, Method, Request, Secret};
use wasm_bindgen::JsValue;
use web_sys::{Blob, File, ReadableStream};
use yew::UseReducerDispatcher;

use crate::api;
use crate::config::{DebugFlags, Handover, PortalConfig, TrustAnchors};
use crate::renewal;
use crate::state::{
    Action, Cancel, CertEntry, CertSummary, Checked, ImageForm, ImageMeta, KeyInfo, Outcome,
    Progress, RenewalNotice, Scoped, Signed, Signer, State, KEY_MISMATCH,
};
use crate::worker::Request as Op;
use crate::worker::{
    Bytes, CertAnswer, CertSlotName, CertificatePayload, KeyAnswer, Pass, SigWorker, SignAnswer,
    SignRequest, VerifyAnswer, VerifyRequest, VerifyStep, WorkerError,
};

/// Dispatches actions to the state.
pub type Dispatch = UseReducerDispatcher<State>;

/// The largest certificate file read (certificates are a few KiB).
const CERT_FILE_LIMIT: u32 = 256 * 1024;

fn err_text(error: ApiError) -> String {
    error.to_string()
}

async fn call(request: &Request) -> Result<openstack_proto::Response, String> {
    api::send(request).await
}

// ---------------------------------------------------------------------------------------------
// Start-up

/// Loads `config.json` (next to index.html), applies the URL's overrides, and takes a token
/// handed over in the URL fragment (boot.js has already removed it from the address bar).
pub async fn start(dispatch: Dispatch) {
    let location = web_sys::window().map(|window| window.location());
    let query = location
        .as_ref()
        .and_then(|location| location.search().ok())
        .map(|search| crate::config::parse_pairs(search.trim_start_matches('?')))
        .unwrap_or_default();
    let request =
        Request::new(Method::Get, "config.json").with_header("Accept", "application/json");
    let config = match call(&request).await {
        Ok(response) if response.is_success() => {
            PortalConfig::parse(&String::from_utf8_lossy(&response.body))
        }
        Ok(response) => Err(format!("config.json: HTTP {}", response.status)),
        Err(error) => Err(error),
    };
    let config = match config {
        Ok(config) => config
            .with_query(&query)
            .with_page_origin(location.as_ref().and_then(|l| l.origin().ok())),
        Err(message) => {
            dispatch.dispatch(Action::ConfigFailed(message));
            return;
        }
    };
    dispatch.dispatch(Action::ConfigLoaded(
        config.clone(),
        DebugFlags::from_query(&query),
    ));
    // `?verify=<image id>`: a dashboard's "Verify signature" action (once signed in).
    if let Some((_, image_id)) = query.iter().find(|(key, _)| key == "verify") {
        dispatch.dispatch(Action::Landing(image_id.clone()));
    }
    // Taken (and deleted) whether or not it is used: a link's token is used only when
    // config.json says so; otherwise the user is told why it was ignored.
    if let Some(handover) = take_boot_handover() {
        match config.admits_fragment() {
            Ok(()) => sign_in_handover(dispatch, config, handover).await,
            Err(message) => dispatch.dispatch(Action::HandoverRefused(message.to_owned())),
        }
    }
}

/// The token boot.js took out of the `#token=` fragment, removed from where it was kept.
fn take_boot_handover() -> Option<Handover> {
    let global = js_sys::global();
    let key = JsValue::from_str("__glanceSigHandover");
    let value = Reflect::get(&global, &key).ok()?;
    let _ = Reflect::delete_property(&global, &key);
    let fragment = value.as_string()?;
    Handover::from_pairs(&crate::config::parse_pairs(&fragment))
}

/// A `postMessage` hand-over: `{type: "glance-sig:token", token, auth_url?, project_id?, region?}`.
pub fn handover_from_message(data: &JsValue) -> Option<Handover> {
    let get = |key: &str| {
        Reflect::get(data, &JsValue::from_str(key))
            .ok()
            .and_then(|value| value.as_string())
    };
    if get("type").as_deref() != Some("glance-sig:token") {
        return None;
    }
    let mut pairs = Vec::new();
    for key in ["token", "auth_url", "project_id", "region"] {
        if let Some(value) = get(key) {
            pairs.push((key.to_owned(), value));
        }
    }
    Handover::from_pairs(&pairs)
}

// ---------------------------------------------------------------------------------------------
// Sign-in

fn effective_auth_url(config: &PortalConfig, handover_url: Option<&str>) -> String {
    match handover_url {
        Some(url) if !config.lock_auth_url => url.to_owned(),
        _ => config.auth_url.clone(),
    }
}

async fn authenticate(auth_url: &str, auth: &Auth) -> Result<Token, String> {
    let response = call(&Keystone::new(auth_url).authenticate(auth)).await?;
    keystone::parse_token(&response).map_err(|error| {
        if error.is_unauthorized() {
            refused_credentials(auth).to_owned()
        } else {
            err_text(error)
        }
    })
}

/// Keystone's 401, in the words of what was sent.
fn refused_credentials(auth: &Auth) -> &'static str {
    match auth {
        Auth::Password { .. } => {
            "Keystone refused the user name, domain or password: check them and sign in again"
        }
        Auth::ApplicationCredential(_) => {
            "Keystone refused the application credential: check its id and secret (it may have expired or been deleted)"
        }
        Auth::Token { .. } => "Keystone refused the token (it expired or was revoked): sign in again",
    }
}

/// After an unscoped token: list the projects; with exactly one, scope to it at once.
async fn after_unscoped(dispatch: Dispatch, auth_url: &str, token: Token) {
    let response = match call(&Keystone::new(auth_url).list_projects(&token.value)).await {
        Ok(response) => response,
        Err(message) => return dispatch.dispatch(Action::AuthFailed(message)),
    };
    let projects = match keystone::parse_projects(&response) {
        Ok(projects) => projects
            .into_iter()
            .filter(|p| p.enabled)
            .collect::<Vec<_>>(),
        Err(error) => return dispatch.dispatch(Action::AuthFailed(err_text(error))),
    };
    if let [only] = projects.as_slice() {
        let auth = project_auth(token.value, only.id.clone());
        return sign_in(dispatch, auth_url.to_owned(), auth).await;
    }
    dispatch.dispatch(Action::Unscoped {
        token: token.value,
        user: token.user.name,
        projects,
    });
}

/// Password sign-in: an unscoped token (the projects are listed next).
pub fn password_auth(user: String, domain: String, password: String) -> Auth {
    Auth::Password {
        user: UserRef::Name {
            name: user,
            domain: DomainRef::Name(domain),
        },
        password: Secret::new(password),
        scope: Scope::Unscoped,
    }
}

/// Application-credential sign-in: the token is scoped to the credential's project.
pub fn app_credential_auth(id: String, secret: String) -> Auth {
    Auth::ApplicationCredential(ApplicationCredential::Id {
        id,
        secret: Secret::new(secret),
    })
}

/// A token rescoped to a project.
pub fn project_auth(token: Secret, project_id: String) -> Auth {
    Auth::Token {
        token,
        scope: Scope::Project(ProjectRef::Id(project_id)),
    }
}

/// Signs in with `auth`: an unscoped token (what [`password_auth`] asks for) goes on to the
/// project choice; any other is the project-scoped token of the session.
pub async fn sign_in(dispatch: Dispatch, auth_url: String, auth: Auth) {
    // Typed credentials are the user's own: the session needs no hand-over confirmation. A
    // token (a rescope) continues whatever sign-in it belongs to.
    dispatch.dispatch(match auth {
        Auth::Token { .. } => Action::AuthStarted(auth_url.clone()),
        _ => Action::CredentialsSent(auth_url.clone()),
    });
    match authenticate(&auth_url, &auth).await {
        Ok(token) if asks_unscoped(&auth) => {
            // Boxed: with a single project, this signs in again (rescoped to it).
            Box::pin(after_unscoped(dispatch, &auth_url, token)).await
        }
        Ok(token) => dispatch.dispatch(Action::Scoped(Box::new(token))),
        Err(message) => dispatch.dispatch(Action::AuthFailed(message)),
    }
}

/// Whether `auth` asks for an unscoped token, as a password sign-in does.
fn asks_unscoped(auth: &Auth) -> bool {
    match auth {
        Auth::Password { scope, .. } | Auth::Token { scope, .. } => {
            matches!(scope, Scope::Unscoped)
        }
        Auth::ApplicationCredential(_) => false,
    }
}

/// A token from the host page: validated with Keystone (`GET /v3/auth/tokens`), which also
/// gives its catalog; an unscoped token is rescoped to the named project, or the user chooses.
/// The session it gives must be confirmed by the user before anything is uploaded.
pub async fn sign_in_handover(dispatch: Dispatch, config: PortalConfig, handover: Handover) {
    let auth_url = effective_auth_url(&config, handover.auth_url.as_deref());
    dispatch.dispatch(Action::HandoverStarted(auth_url.clone()));
    if let Some(region) = handover.region.clone() {
        dispatch.dispatch(Action::HandoverRegion(region));
    }
    let token = Secret::new(handover.token);
    let request = Keystone::new(&auth_url).validate_token(&token);
    let parsed = match call(&request).await {
        Ok(response) => keystone::parse_token(&response).map_err(|error| {
            if error.is_unauthorized() || error.is_not_found() {
                "the token handed over by the host page is not valid (expired or revoked)"
                    .to_owned()
            } else {
                err_text(error)
            }
        }),
        Err(message) => Err(message),
    };
    match parsed {
        Ok(token) if token.is_project_scoped() => {
            dispatch.dispatch(Action::Scoped(Box::new(token)));
        }
        Ok(token) => match handover.project_id {
            Some(project_id) => {
                sign_in(dispatch, auth_url, project_auth(token.value, project_id)).await
            }
            None => after_unscoped(dispatch, &auth_url, token).await,
        },
        Err(message) => dispatch.dispatch(Action::AuthFailed(message)),
    }
}

// ---------------------------------------------------------------------------------------------
// Key and certificate

fn key_info(answer: &KeyAnswer, file_name: Option<String>) -> KeyInfo {
    KeyInfo {
        summary: answer.key.summary.clone(),
        key_type: answer.key.key_type_name.clone().unwrap_or_default(),
        origin: answer.origin.clone(),
        file_name,
    }
}

fn cert_summary(payload: CertificatePayload) -> CertSummary {
    CertSummary {
        subject: payload.info.subject,
        key: payload.info.public_key.summary,
        validity: payload.info.validity,
        fingerprint: payload.info.fingerprint_sha256,
        not_after: payload.info.not_after,
        pem: payload.pem,
    }
}

/// Now, in Unix seconds (the sessions judge certificate dates at it).
fn now_seconds() -> i64 {
    (js_sys::Date::now() / 1000.0).floor() as i64
}

/// Loads a private key from a PEM (or DER) file in the worker. The key bytes are read there,
/// never here, and go nowhere else.
pub async fn load_key(
    dispatch: Dispatch,
    worker: SigWorker,
    file: File,
    passphrase: Option<String>,
) {
    dispatch.dispatch(Action::KeyLoading);
    let file_name = file.name();
    let request = Op::LoadKey {
        file: file.into(),
        passphrase: passphrase.filter(|p| !p.is_empty()),
    };
    match worker.call::<KeyAnswer>(&request, None, None).await {
        Ok(answer) => dispatch.dispatch(Action::KeyLoaded(
            key_info(&answer, Some(file_name)),
            answer.matches,
        )),
        Err(error) if error.code == "passphrase-required" => {
            dispatch.dispatch(Action::KeyNeedsPassphrase {
                file_name,
                error: None,
            })
        }
        Err(error) if error.code == "wrong-passphrase" => {
            dispatch.dispatch(Action::KeyNeedsPassphrase {
                file_name,
                error: Some(error.message),
            })
        }
        Err(error) => dispatch.dispatch(Action::KeyFailed(error.message)),
    }
}

/// Forgets the key in the worker.
pub async fn forget_key(dispatch: Dispatch, worker: SigWorker) {
    let _ = worker
        .call::<serde::de::IgnoredAny>(&Op::ForgetKey, None, None)
        .await;
    dispatch.dispatch(Action::KeyForgotten);
}

/// Signs out: revokes the token at Keystone (a copy of it is then worth nothing), forgets the
/// key and the token. The session ends even when Keystone cannot be reached: the token is
/// forgotten here, and it expires on its own.
pub async fn sign_out(
    dispatch: Dispatch,
    worker: Option<SigWorker>,
    revoke: Option<(String, Secret)>,
) {
    if let Some((auth_url, token)) = revoke {
        let _ = call(&Keystone::new(&auth_url).revoke_token(&token)).await;
    }
    if let Some(worker) = worker {
        let _ = worker
            .call::<serde::de::IgnoredAny>(&Op::ForgetKey, None, None)
            .await;
    }
    dispatch.dispatch(Action::SignOut);
}

fn cert_entry(secret: barbican::SecretMetadata) -> Option<CertEntry> {
    Some(CertEntry {
        uuid: secret.uuid()?.to_owned(),
        name: secret
            .name
            .clone()
            .unwrap_or_else(|| "(no name)".to_owned()),
        created: secret.created.clone().unwrap_or_default(),
        expiration: secret.expiration.clone(),
        content_type: secret.default_content_type().map(str::to_owned),
    })
}

/// Every certificate secret of the project, page by page.
async fn certificate_secrets(scoped: &Scoped) -> Result<Vec<barbican::SecretMetadata>, String> {
    let barbican = Barbican::new(&scoped.barbican, &scoped.token);
    let mut secrets = Vec::new();
    let mut offset = 0;
    for _ in 0..20 {
        let response = call(&barbican.list_certificates(100, offset)).await?;
        let page = barbican::parse_secret_list(&response).map_err(err_text)?;
        let next = page.next_offset();
        secrets.extend(page.secrets);
        match next {
            Some(next) if next > offset => offset = next,
            _ => break,
        }
    }
    Ok(secrets)
}

/// Lists the project's certificate secrets.
pub async fn list_certificates(dispatch: Dispatch, scoped: Scoped) {
    let listed = certificate_secrets(&scoped).await.map(|secrets| {
        let mut entries: Vec<CertEntry> = secrets.into_iter().filter_map(cert_entry).collect();
        entries.sort_by(|a, b| b.created.cmp(&a.created));
        entries
    });
    dispatch.dispatch(Action::CertificatesListed(listed));
}

async fn load_cert_in_worker(
    worker: &SigWorker,
    pem: &[u8],
) -> Result<(CertSummary, Option<bool>), String> {
    let request = Op::LoadCert {
        slot: CertSlotName::Signing,
        pem: Bytes(pem.to_vec()),
    };
    let answer = worker
        .call::<CertAnswer>(&request, None, None)
        .await
        .map_err(|error| error.message)?;
    Ok((cert_summary(answer.certificate), answer.matches))
}

async fn fetch_certificate(scoped: &Scoped, uuid: &str) -> Result<Vec<u8>, String> {
    let barbican = Barbican::new(&scoped.barbican, &scoped.token);
    let response = call(&barbican.payload(uuid)).await?;
    barbican::parse_payload(&response)
        .map(<[u8]>::to_vec)
        .map_err(|error| {
            if error.is_not_found() {
                format!("Barbican has no secret {uuid} visible to this project (Glance would say \"Certificate not found\")")
            } else {
                err_text(error)
            }
        })
}

/// Chooses a certificate already in Barbican: its payload is read and parsed in the worker,
/// which also says whether the loaded key matches it.
pub async fn choose_certificate(
    dispatch: Dispatch,
    worker: SigWorker,
    scoped: Scoped,
    uuid: String,
) {
    dispatch.dispatch(Action::CertificateLoading);
    let loaded = match fetch_certificate(&scoped, &uuid).await {
        Ok(pem) => load_cert_in_worker(&worker, &pem).await,
        Err(message) => Err(message),
    };
    match loaded {
        Ok((summary, matches)) => dispatch.dispatch(Action::CertificateLoaded {
            uuid: Some(uuid),
            summary,
            matches,
        }),
        Err(message) => dispatch.dispatch(Action::CertificateFailed(message)),
    }
}

/// The id of a stored secret holding this certificate, else of a new one (stored in the form
/// castellan reads): choosing the same file twice stores it once, as `glance-sig upload` does.
async fn find_or_store(scoped: &Scoped, summary: &CertSummary) -> Result<String, String> {
    let barbican = Barbican::new(&scoped.barbican, &scoped.token);
    let name = certificate_secret_name(&summary.subject, &summary.fingerprint);
    let body = pem_certificate_body(summary.pem.as_bytes());
    let mut reuse = Reuse::new(certificate_secrets(scoped).await?, &name, now_seconds());
    while let Some((uuid, request)) = reuse.next(&barbican) {
        let Ok(response) = call(&request).await else {
            continue;
        };
        if reuse.answer(&response, |payload| {
            body.is_some() && pem_certificate_body(payload) == body
        }) {
            return Ok(uuid);
        }
    }
    let request = barbican
        .store_certificate(&name, summary.pem.as_bytes(), None)
        .map_err(err_text)?;
    let response = call(&request).await?;
    // The answer's `secret_ref`, reduced to the uuid Glance needs.
    barbican::parse_secret_ref(&response).map_err(err_text)
}

/// Stores a certificate from a PEM file in Barbican, in the form castellan reads, and
/// chooses it; an identical certificate already stored is chosen instead.
pub async fn store_certificate_file(
    dispatch: Dispatch,
    worker: SigWorker,
    scoped: Scoped,
    file: File,
) {
    dispatch.dispatch(Action::CertificateLoading);
    let result = async {
        let bytes = api::read_small(&file, CERT_FILE_LIMIT).await?;
        // Parsed first: only a certificate goes to Barbican, as the PEM the component
        // re-encodes (one certificate, no private key that may sit in the same file).
        let (summary, matches) = load_cert_in_worker(&worker, &bytes).await?;
        let uuid = find_or_store(&scoped, &summary).await?;
        Ok::<_, String>((uuid, summary, matches))
    }
    .await;
    match result {
        Ok((uuid, summary, matches)) => {
            dispatch.dispatch(Action::CertificateLoaded {
                uuid: Some(uuid),
                summary,
                matches,
            });
            list_certificates(dispatch, scoped).await;
        }
        Err(message) => dispatch.dispatch(Action::CertificateFailed(message)),
    }
}

/// For test clouds: a new ECDSA P-384 key (WebCrypto, in the worker) and a self-signed
/// certificate for it, stored in Barbican and chosen.
pub async fn generate_key(dispatch: Dispatch, worker: SigWorker, scoped: Scoped) {
    dispatch.dispatch(Action::KeyLoading);
    dispatch.dispatch(Action::CertificateLoading);
    let common_name = format!(
        "glance-sig portal {} {}",
        scoped.user,
        js_sys::Date::new_0().to_iso_string()
    );
    let request = Op::GenerateKey {
        common_name,
        days: 365,
        now: now_seconds(),
    };
    let answer = match worker.call::<KeyAnswer>(&request, None, None).await {
        Ok(answer) => answer,
        Err(error) => {
            dispatch.dispatch(Action::KeyFailed(error.message.clone()));
            return dispatch.dispatch(Action::CertificateFailed(error.message));
        }
    };
    dispatch.dispatch(Action::KeyLoaded(key_info(&answer, None), Some(true)));
    let Some(summary) = answer.certificate.map(cert_summary) else {
        return dispatch.dispatch(Action::CertificateFailed(
            "the worker made a key but no certificate for it".into(),
        ));
    };
    dispatch.dispatch(Action::CertificateLoaded {
        uuid: None,
        summary: summary.clone(),
        matches: Some(true),
    });
    match find_or_store(&scoped, &summary).await {
        Ok(uuid) => {
            dispatch.dispatch(Action::CertificateLoaded {
                uuid: Some(uuid),
                summary,
                matches: Some(true),
            });
            list_certificates(dispatch, scoped).await;
        }
        Err(message) => dispatch.dispatch(Action::CertificateFailed(format!(
            "the certificate could not be stored in Barbican: {message}"
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// Image file

/// Reads the first bytes of a chosen image file (a small slice) to detect its disk format.
pub async fn choose_image(dispatch: Dispatch, file: File) {
    let len = u32::try_from(diskformat::SNIFF_LEN).unwrap_or(u32::MAX);
    let head = api::read_head(&file, len).await.unwrap_or_default();
    let meta = ImageMeta {
        file_name: file.name(),
        size: file.size() as u64,
        detected_format: diskformat::sniff(&head).as_str().to_owned(),
    };
    dispatch.dispatch(Action::ImageChosen(meta, Some(crate::state::FileRef(file))));
}

// ---------------------------------------------------------------------------------------------
// Sign, create, upload

/// Everything one sign-and-upload run needs, taken from the state when it starts.
pub struct SignJob {
    /// The session.
    pub scoped: Scoped,
    /// The image file.
    pub file: File,
    /// The form.
    pub form: ImageForm,
    /// The certificate's Barbican id.
    pub certificate_uuid: String,
    /// The certificate (PEM), to explain a refusal by verifying what was sent.
    pub certificate_pem: String,
    /// Whether the key matches (checked again in the worker).
    pub key_matches: Option<bool>,
    /// Test hooks.
    pub debug: DebugFlags,
    /// The token came from the host page, which can be asked for a fresh one.
    pub handed_over: bool,
    /// The configuration (the host page's allowed origins).
    pub config: PortalConfig,
    /// The Keystone URL signed in to (a fresh token is validated there).
    pub auth_url: String,
}

fn visibility(name: &str) -> Option<Visibility> {
    match name {
        "public" => Some(Visibility::Public),
        "private" => Some(Visibility::Private),
        "shared" => Some(Visibility::Shared),
        "community" => Some(Visibility::Community),
        _ => None,
    }
}

/// The test hook behind `?debug=tamper` (feature `test-hooks` only): the file with its middle
/// byte flipped, as a Blob made of two slices of the file and one byte (nothing is copied).
#[cfg(feature = "test-hooks")]
async fn tampered(file: &File) -> Result<Blob, String> {
    let size = file.size();
    let at = (size / 2.0).floor();
    let byte = {
        let slice = file
            .slice_with_f64_and_f64(at, at + 1.0)
            .map_err(|e| api::js_error(&e))?;
        api::read_head(&slice, 1).await?
    };
    let flipped = Uint8Array::from([byte.first().copied().unwrap_or(0) ^ 0xff].as_slice());
    let parts = Array::new();
    let head: Blob = file
        .slice_with_f64_and_f64(0.0, at)
        .map_err(|e| api::js_error(&e))?;
    let tail: Blob = file
        .slice_with_f64(at + 1.0)
        .map_err(|e| api::js_error(&e))?;
    parts.push(&head);
    parts.push(&flipped);
    parts.push(&tail);
    Blob::new_with_blob_sequence(&parts).map_err(|e| api::js_error(&e))
}

/// Signs the file in the worker, creates the image with all four properties in the one
/// `POST /v2/images`, uploads the data, and reports Glance's verdict. On any failure after the
/// image exists, the image is deleted: no image is left with a partial property set or
/// unverified data.
pub async fn sign_and_upload(dispatch: Dispatch, worker: SigWorker, job: SignJob) {
    if job.key_matches != Some(true) {
        return dispatch.dispatch(Action::Finished(Outcome::Failed {
            stage: "checking the key".into(),
            message: KEY_MISMATCH.into(),
            image: None,
        }));
    }
    dispatch.dispatch(Action::SignStarted);
    let progress_dispatch = dispatch.clone();
    let request = Op::Sign(SignRequest {
        data: job.file.clone().into(),
        hash_method: job.form.hash_method.clone(),
        certificate_uuid: job.certificate_uuid.clone(),
        at: now_seconds(),
    });
    let signed = worker
        .call::<SignAnswer>(
            &request,
            None,
            Some(Box::new(move |progress: Progress| {
                progress_dispatch.dispatch(Action::SignProgress(progress))
            })),
        )
        .await;
    let properties = match signed {
        Ok(answer) => {
            dispatch.dispatch(Action::SignNotes(answer.notes));
            answer.properties
        }
        Err(error) => {
            return dispatch.dispatch(Action::Finished(Outcome::Failed {
                stage: "signing".into(),
                message: error.message,
                image: None,
            }))
        }
    };
    if [
        &properties.signature,
        &properties.hash_method,
        &properties.key_type,
        &properties.certificate_uuid,
    ]
    .iter()
    .any(|value| value.is_empty())
    {
        return dispatch.dispatch(Action::Finished(Outcome::Failed {
            stage: "signing".into(),
            message: "the component returned an incomplete property set; nothing was created"
                .into(),
            image: None,
        }));
    }

    dispatch.dispatch(Action::Creating);
    let size = job.file.size() as u64;
    let renewer = Rc::new(Renewer::new(dispatch.clone(), &job));
    // The whole upload is ahead: the token must last until its expected end.
    renewer
        .ensure(renewal::needed_until(
            now_seconds(),
            size,
            renewal::ASSUMED_BYTES_PER_SECOND,
        ))
        .await;
    let glance = Glance::new(&job.scoped.glance, &renewer.token());
    let mut new_image = NewImage::new(&job.form.name, &job.form.disk_format, "bare");
    new_image.visibility = visibility(&job.form.visibility);
    let signature = SignatureProperties {
        signature: Some(properties.signature.clone()),
        hash_method: Some(properties.hash_method.clone()),
        key_type: Some(properties.key_type.clone()),
        certificate_uuid: Some(properties.certificate_uuid.clone()),
    };
    let fail_early = |stage: &str, message: String| {
        Action::Finished(Outcome::Failed {
            stage: stage.into(),
            message,
            image: None,
        })
    };
    let image_id = match random_image_id() {
        Ok(id) => id,
        Err(message) => return dispatch.dispatch(fail_early("creating the image", message)),
    };
    let (plan, create) = match UploadPlan::new(&glance, new_image, &signature, image_id, size) {
        Ok(started) => started,
        Err(error) => return dispatch.dispatch(fail_early("creating the image", err_text(error))),
    };
    let outcome = drive_upload(&dispatch, plan, create, &job, &renewer).await;
    let mut outcome = portal_outcome(outcome, properties.clone());
    if let Outcome::Refused { causes, .. } = &mut outcome {
        *causes = refusal_causes(&worker, &job, &properties).await;
    }
    dispatch.dispatch(Action::Finished(outcome));
}

/// Why Glance refused: the data sent, verified here against the properties and the
/// certificate (as Glance did), gives the report's causes and fixes. Empty when that cannot
/// run: the refusal is then shown with Glance's words alone.
async fn refusal_causes(worker: &SigWorker, job: &SignJob, properties: &Signed) -> Vec<String> {
    let Ok(body) = upload_body(job).await else {
        return Vec::new();
    };
    let request = Op::Verify(VerifyRequest {
        properties: BTreeMap::from([
            (
                glance_sig_core::IMG_SIGNATURE.to_owned(),
                properties.signature.clone(),
            ),
            (
                glance_sig_core::IMG_SIGNATURE_HASH_METHOD.to_owned(),
                properties.hash_method.clone(),
            ),
            (
                glance_sig_core::IMG_SIGNATURE_KEY_TYPE.to_owned(),
                properties.key_type.clone(),
            ),
            (
                IMG_SIGNATURE_CERTIFICATE_UUID.to_owned(),
                properties.certificate_uuid.clone(),
            ),
        ]),
        certificate: Some(Bytes(job.certificate_pem.as_bytes().to_vec())),
        trusted: Vec::new(),
        at: now_seconds(),
        explain: true,
        require_trust: false,
        data: body.into(),
        total: 0,
    });
    match worker
        .call::<VerifyAnswer>(&request, None, None)
        .await
        .and_then(VerifyAnswer::step)
    {
        Ok(VerifyStep::Report(report)) => match Checked::of(&report) {
            Checked::Report {
                advice,
                valid: false,
                ..
            } => advice,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// A version 4 uuid from the browser's CSPRNG, for the image id chosen before the create.
fn random_image_id() -> Result<String, String> {
    let crypto = web_sys::window()
        .ok_or("no window")?
        .crypto()
        .map_err(|e| api::js_error(&e))?;
    let mut random = [0u8; 16];
    crypto
        .get_random_values_with_u8_array(&mut random)
        .map_err(|e| api::js_error(&e))?;
    Ok(glance::image_id_from_random(random))
}

/// Sends what the upload plan asks for until it ends, reporting the phase and the upload's
/// progress. The data request's body is the file (or, with `?debug=tamper`, a tampered view).
async fn drive_upload(
    dispatch: &Dispatch,
    mut plan: UploadPlan<String>,
    create: Request,
    job: &SignJob,
    renewer: &Rc<Renewer>,
) -> UploadOutcome<String> {
    let id = plan.image_id().to_owned();
    let mut next = Next::Send(create);
    loop {
        let sent = match next {
            Next::Done(outcome) => return outcome,
            Next::Send(request) => {
                if plan.phase() == Phase::CleaningUp {
                    dispatch.dispatch(Action::CleaningUp(id.clone()));
                }
                call(&request).await
            }
            Next::SendAfter(pause, request) => {
                api::sleep(pause).await;
                call(&request).await
            }
            Next::SendData(request) => {
                dispatch.dispatch(Action::Uploading(id.clone()));
                send_data(dispatch, &request, job, renewer).await
            }
        };
        // The next request is built by the plan's answer: with a fresh token if one came (the
        // confirmation and a cleanup come after the data, when an old token may be gone).
        renewer
            .ensure(now_seconds() + renewal::MARGIN_SECONDS)
            .await;
        if let Some(token) = renewer.take_fresh() {
            plan.renew_token(&token);
        }
        next = match sent {
            Ok(response) => plan.answer(&response),
            Err(message) => plan.not_sent(message),
        };
    }
}

/// What the data request sends: the file itself.
#[cfg(not(feature = "test-hooks"))]
async fn upload_body(job: &SignJob) -> Result<Blob, String> {
    Ok(job.file.clone().into())
}

/// What the data request sends: the file, or with `?debug=tamper` a tampered view of it.
#[cfg(feature = "test-hooks")]
async fn upload_body(job: &SignJob) -> Result<Blob, String> {
    if !job.debug.tamper {
        return Ok(job.file.clone().into());
    }
    tampered(&job.file)
        .await
        .map_err(|message| format!("preparing the upload: {message}"))
}

async fn send_data(
    dispatch: &Dispatch,
    request: &Request,
    job: &SignJob,
    renewer: &Rc<Renewer>,
) -> Result<openstack_proto::Response, String> {
    let body = upload_body(job).await?;
    let progress_dispatch = dispatch.clone();
    let started = js_sys::Date::now();
    let renewer = renewer.clone();
    api::upload(request, &body, move |loaded, total| {
        let elapsed_ms = js_sys::Date::now() - started;
        let (done, total) = (loaded as u64, total as u64);
        // At the measured rate, will the token outlive the upload? If not, ask the host page
        // now, while the data is still going (Glance checked the token when it started).
        let needed = renewal::needed_until(
            now_seconds(),
            total.saturating_sub(done),
            renewal::rate(done, elapsed_ms),
        );
        if renewer.should_ask(needed) {
            let renewer = renewer.clone();
            wasm_bindgen_futures::spawn_local(async move { renewer.ensure(needed).await });
        }
        progress_dispatch.dispatch(Action::UploadProgress(Progress {
            done,
            total,
            elapsed_ms,
        }))
    })
    .await
}

// ---------------------------------------------------------------------------------------------
// Token renewal (see `renewal`)

/// The token of one upload, renewed from the host page when it would run out first.
pub struct Renewer {
    dispatch: Dispatch,
    config: PortalConfig,
    auth_url: String,
    handed_over: bool,
    scoped: RefCell<Scoped>,
    /// A renewed token the plan has not taken yet.
    fresh: RefCell<Option<Secret>>,
    /// When the host page was last asked (ms since the epoch), or whether it is being asked.
    asked_at: Cell<f64>,
    asking: Cell<bool>,
    /// `?debug=token-expiring`: the first token is taken to expire a minute from now.
    pretend_expiring: Cell<bool>,
}

impl Renewer {
    fn new(dispatch: Dispatch, job: &SignJob) -> Self {
        Self {
            dispatch,
            config: job.config.clone(),
            auth_url: job.auth_url.clone(),
            handed_over: job.handed_over,
            scoped: RefCell::new(job.scoped.clone()),
            fresh: RefCell::new(None),
            asked_at: Cell::new(f64::NEG_INFINITY),
            asking: Cell::new(false),
            pretend_expiring: Cell::new(pretends_expiring(&job.debug)),
        }
    }

    /// The token to send now.
    fn token(&self) -> Secret {
        self.scoped.borrow().token.clone()
    }

    /// A token renewed since the last call.
    fn take_fresh(&self) -> Option<Secret> {
        self.fresh.borrow_mut().take()
    }

    fn expires_at(&self) -> Option<i64> {
        if self.pretend_expiring.get() {
            return Some(now_seconds() + 60);
        }
        openstack_proto::time::unix_seconds(&self.scoped.borrow().expires_at)
    }

    /// Whether the token runs out before `needed_until` and the host page may be asked now
    /// (not already being asked, not asked in the last half minute).
    fn should_ask(&self, needed_until: i64) -> bool {
        renewal::runs_out(self.expires_at(), needed_until)
            && !self.asking.get()
            && js_sys::Date::now() - self.asked_at.get() >= renewal::ASK_INTERVAL_SECONDS * 1000.0
    }

    /// Makes the token last until `needed_until` if it can: asks the host page (a session it
    /// handed over) for a fresh token, validates it with Keystone, and takes it when it is the
    /// same user's, in the same project, and lasts longer. Says what happened either way.
    async fn ensure(&self, needed_until: i64) {
        if !self.should_ask(needed_until) {
            return;
        }
        self.asked_at.set(js_sys::Date::now());
        let expires_at = self.scoped.borrow().expires_at.clone();
        let needed = glance_sig_core::time::rfc3339(needed_until);
        if !self.handed_over {
            return self
                .dispatch
                .dispatch(Action::Renewal(RenewalNotice::NoHost {
                    expires_at,
                    needed_until: needed,
                }));
        }
        self.asking.set(true);
        self.dispatch
            .dispatch(Action::Renewal(RenewalNotice::Asked {
                expires_at: expires_at.clone(),
                needed_until: needed.clone(),
            }));
        let wait = std::time::Duration::from_millis(renewal::ANSWER_WAIT_MS);
        let answer =
            crate::host::ask_for_fresh_token(&self.config, &expires_at, &needed, wait).await;
        let outcome = match answer {
            None => Err("the host page did not answer the request for a fresh token: the upload goes on with the current one".to_owned()),
            Some(candidate) => self.validated(Secret::new(candidate)).await,
        };
        self.asking.set(false);
        match outcome {
            Ok(token) => {
                {
                    let mut scoped = self.scoped.borrow_mut();
                    scoped.token = token.value.clone();
                    scoped.expires_at = token.expires_at.clone();
                }
                self.pretend_expiring.set(false);
                *self.fresh.borrow_mut() = Some(token.value.clone());
                self.dispatch
                    .dispatch(Action::TokenRenewed(Box::new(token)));
            }
            Err(reason) => self
                .dispatch
                .dispatch(Action::Renewal(RenewalNotice::NotRenewed { reason })),
        }
    }

    /// Keystone's view of `candidate`, when it may replace the session's token.
    async fn validated(&self, candidate: Secret) -> Result<Token, String> {
        let request = Keystone::new(&self.auth_url).validate_token(&candidate);
        let token = keystone::parse_token(&call(&request).await?).map_err(|error| {
            if error.is_unauthorized() || error.is_not_found() {
                "the host page's new token is not valid (expired or revoked): kept the current one"
                    .to_owned()
            } else {
                err_text(error)
            }
        })?;
        self.scoped.borrow().admits(&token)?;
        Ok(token)
    }
}

#[cfg(feature = "test-hooks")]
fn pretends_expiring(debug: &DebugFlags) -> bool {
    debug.token_expiring
}

#[cfg(not(feature = "test-hooks"))]
fn pretends_expiring(_: &DebugFlags) -> bool {
    false
}

/// The plan's end in the portal's terms.
fn portal_outcome(outcome: UploadOutcome<String>, properties: Signed) -> Outcome {
    match outcome {
        UploadOutcome::Active(image) => {
            let image = *image;
            Outcome::Verified {
                image_id: image.id,
                name: image.name.unwrap_or_default(),
                status: image.status,
                properties,
            }
        }
        UploadOutcome::Refused {
            image_id,
            error,
            refusal,
            cleanup,
        } => Outcome::Refused {
            image_id,
            message: error.server_message().unwrap_or_default().to_owned(),
            hint: refusal.hint().to_owned(),
            deleted: cleanup.nothing_left(),
            causes: Vec::new(),
        },
        UploadOutcome::Failed {
            image_id,
            step,
            cause,
            cleanup,
        } => Outcome::Failed {
            stage: step.doing().to_owned(),
            // The outcome's view names `openstack image delete <id>` when the image is left.
            message: cause.to_string(),
            image: match cleanup {
                Cleanup::NothingCreated => None,
                other => Some((image_id, other.nothing_left())),
            },
        },
    }
}

// ---------------------------------------------------------------------------------------------
// Catalog and verification

/// Lists every image the project sees, classified.
pub async fn load_catalog(dispatch: Dispatch, scoped: Scoped) {
    dispatch.dispatch(Action::CatalogLoading);
    let glance = Glance::new(&scoped.glance, &scoped.token);
    let query = ImageQuery {
        limit: Some(100),
        ..ImageQuery::default()
    };
    let (mut pager, first) = ImagePager::new(&glance, &query);
    let mut images = Vec::new();
    let mut request = Some(first);
    while let Some(current) = request.take() {
        let page = match call(&current).await {
            Ok(response) => pager.page(&response).map_err(err_text),
            Err(message) => Err(message),
        };
        match page {
            Ok(page) => {
                images.extend(page.images);
                request = page.next;
            }
            Err(message) => return dispatch.dispatch(Action::CatalogFailed(message)),
        }
    }
    dispatch.dispatch(Action::CatalogLoaded(images));
}

/// Reads the certificates the catalog's signed images name, for its signer column: each
/// from Barbican, described by the worker (which keeps nothing).
pub async fn read_signers(
    dispatch: Dispatch,
    worker: SigWorker,
    scoped: Scoped,
    uuids: Vec<String>,
) {
    for uuid in uuids {
        let read = match fetch_certificate(&scoped, &uuid).await {
            Ok(pem) => worker
                .call::<CertAnswer>(&Op::DescribeCert { pem: Bytes(pem) }, None, None)
                .await
                .map(|answer| Signer::of_certificate(&cert_summary(answer.certificate)))
                .map_err(|error| error.message),
            Err(message) => Err(message),
        };
        dispatch.dispatch(Action::SignerRead { uuid, read });
    }
}

/// The image's `img_signature*` properties as Glance holds them (absent ones absent).
fn signature_properties(image: &glance::Image) -> BTreeMap<String, String> {
    image
        .properties
        .iter()
        .filter(|(name, _)| SIGNATURE_PROPERTY_NAMES.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// The trusted certificates of config.json: the Barbican ones fetched with the user's token
/// (as Nova fetches `trusted_certificate_ids`), then the inline PEMs.
async fn trusted_certificates(
    scoped: &Scoped,
    anchors: &TrustAnchors,
) -> Result<Vec<Bytes>, String> {
    let mut trusted = Vec::with_capacity(anchors.len());
    for id in &anchors.barbican_ids {
        let pem = fetch_certificate(scoped, id).await.map_err(|message| {
            format!("the trusted certificate {id} (config.json trusted_certificate_ids) cannot be read: {message}")
        })?;
        trusted.push(Bytes(pem));
    }
    trusted.extend(
        anchors
            .pems
            .iter()
            .map(|pem| Bytes(pem.as_bytes().to_vec())),
    );
    Ok(trusted)
}

/// A verification's failure, saying which input was refused: the image's certificate, or
/// which trusted certificate of config.json (the request lists the Barbican ids' certificates
/// first, then the PEM texts).
fn refused_input(
    error: &WorkerError,
    certificate_uuid: Option<&String>,
    anchors: &TrustAnchors,
) -> String {
    let message = &error.message;
    match (error.input.as_deref(), error.index) {
        (Some("trusted"), Some(index)) => {
            let index = index as usize;
            match anchors.barbican_ids.get(index) {
                Some(id) => format!(
                    "the trusted certificate {id} (config.json trusted_certificate_ids) cannot be used: {message}"
                ),
                None => format!(
                    "trusted certificate {} of config.json trusted_certificates cannot be used: {message}",
                    index - anchors.barbican_ids.len() + 1
                ),
            }
        }
        (Some("certificate"), _) => format!(
            "the image's certificate {} cannot be used: {message}",
            certificate_uuid.map_or("(no id)", String::as_str)
        ),
        _ => message.clone(),
    }
}

/// Opens the image's data as a stream (nothing is read here) and its size.
async fn open_download(
    glance: &Glance,
    image: &glance::Image,
) -> Result<(ReadableStream, u64), String> {
    let (response, stream) = api::send_streaming(&glance.download(&image.id)).await?;
    let info = match glance::parse_download(&response) {
        Ok(info) => info,
        // A 2xx answer with a Content-Length that is not a number (Glance has sent "None"):
        // the data is still there to verify; its size comes from the image record.
        Err(_) if response.is_success() => glance::DownloadInfo {
            has_data: response.status != 204,
            content_length: None,
            content_md5: None,
        },
        Err(error) => return Err(err_text(error)),
    };
    let Some(stream) = stream.filter(|_| info.has_data) else {
        return Err(format!(
            "the image has no data to verify (status {}): nothing was uploaded to it",
            image.status
        ));
    };
    Ok((stream, info.content_length.or(image.size).unwrap_or(0)))
}

/// Verifies an image in Glance in the browser, as `glance-sig verify --image-id` does: its
/// properties from Glance, its certificate from Barbican (when it names one), the trusted
/// certificates of config.json, and its data downloaded and streamed through the worker's
/// verification session (never held whole), a second time when a failure is worth
/// explaining. Every image gets a report, unsigned and partially signed ones too: the session
/// says what is missing, as the CLI does, without downloading anything.
pub async fn verify_image(
    dispatch: Dispatch,
    worker: SigWorker,
    scoped: Scoped,
    anchors: TrustAnchors,
    image_id: String,
) {
    let image_id = image_id.trim().to_owned();
    dispatch.dispatch(Action::VerifyStarted(image_id.clone()));
    let steps = dispatch.clone();
    let on_step = move |step: Step| {
        steps.dispatch(match step {
            Step::Progress(progress) => Action::VerifyProgress(progress),
            Step::Explaining => Action::VerifyExplaining,
        })
    };
    match verification(&worker, &scoped, &anchors, &image_id, on_step).await {
        Ok((name, report)) => dispatch.dispatch(Action::VerifyDone {
            image_id,
            name,
            report,
        }),
        Err(message) => dispatch.dispatch(Action::VerifyFailed { image_id, message }),
    }
}

/// "Verify all": the images, one after another, each recorded in its catalog row, until done
/// or cancelled (checked between images).
pub async fn verify_all(
    dispatch: Dispatch,
    worker: SigWorker,
    scoped: Scoped,
    anchors: TrustAnchors,
    image_ids: Vec<String>,
) {
    let cancel = Cancel::default();
    dispatch.dispatch(Action::VerifyAllStarted(image_ids.len(), cancel.clone()));
    for image_id in image_ids {
        if cancel.is_cancelled() {
            break;
        }
        dispatch.dispatch(Action::VerifyAllNext(image_id.clone()));
        let checked = match verification(&worker, &scoped, &anchors, &image_id, |_| {}).await {
            Ok((_, report)) => Checked::of(&report),
            Err(message) => Checked::Failed(message),
        };
        dispatch.dispatch(Action::CatalogChecked { image_id, checked });
    }
    dispatch.dispatch(Action::VerifyAllEnded);
}

/// What a verification reports on its way.
enum Step {
    Progress(Progress),
    Explaining,
}

/// One verification: the image's name and the session's report, or why it could not run.
async fn verification(
    worker: &SigWorker,
    scoped: &Scoped,
    anchors: &TrustAnchors,
    image_id: &str,
    on_step: impl Fn(Step) + Clone + 'static,
) -> Result<(String, Box<Report>), String> {
    // Glance ids are UUIDs: anything else is refused here, not sent to come back as a 404.
    glance::check_image_id(image_id)?;
    let glance = Glance::new(&scoped.glance, &scoped.token);
    let response = call(&glance.show_image(image_id)).await?;
    let image = glance::parse_image(&response).map_err(err_text)?;
    let name = image.name.clone().unwrap_or_default();
    let properties = signature_properties(&image);
    let certificate_uuid = properties.get(IMG_SIGNATURE_CERTIFICATE_UUID).cloned();
    let certificate = match &certificate_uuid {
        Some(uuid) => Some(Bytes(fetch_certificate(scoped, uuid).await.map_err(
            |message| format!("the image's certificate {uuid} cannot be read: {message}"),
        )?)),
        None => None,
    };
    let trusted = trusted_certificates(scoped, anchors).await?;
    // No data yet: the session says whether it wants any (properties refused before any data
    // want none, as Glance answers at once).
    let request = Op::Verify(VerifyRequest {
        properties,
        certificate,
        trusted,
        at: now_seconds(),
        explain: true,
        require_trust: false,
        data: JsValue::NULL,
        total: image.size.unwrap_or(0),
    });
    let mut answer = worker.call::<VerifyAnswer>(&request, None, None).await;
    // A verification pass and an explanation pass at most.
    for _ in 0..3 {
        let (pass, session) = match answer.and_then(VerifyAnswer::step) {
            Ok(VerifyStep::Report(report)) => return Ok((name, report)),
            Ok(VerifyStep::Wants { pass, session }) => (pass, session),
            Err(error) => return Err(refused_input(&error, certificate_uuid.as_ref(), anchors)),
        };
        if pass == Pass::Explain {
            on_step(Step::Explaining);
        }
        let (stream, total) = match open_download(&glance, &image).await {
            Ok(opened) => opened,
            Err(message) => {
                // The session waits for data that will not come: the worker drops it.
                let _ = worker
                    .call::<serde::de::IgnoredAny>(&Op::VerifyCancel { session }, None, None)
                    .await;
                return Err(message);
            }
        };
        let transfer = Array::of1(&stream);
        let progress = on_step.clone();
        answer = worker
            .call::<VerifyAnswer>(
                &Op::VerifyMore {
                    session,
                    data: stream.into(),
                    total,
                },
                Some(&transfer),
                Some(Box::new(move |p: Progress| progress(Step::Progress(p)))),
            )
            .await;
    }
    Err("the verification asked for the image's data more than twice; it was stopped".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openstack_proto::Response;

    #[test]
    fn only_the_password_sign_in_goes_on_to_the_project_choice() {
        let password = password_auth("u".into(), "Default".into(), "p".into());
        assert!(asks_unscoped(&password));
        assert!(!asks_unscoped(&app_credential_auth(
            "id".into(),
            "s".into()
        )));
        assert!(!asks_unscoped(&project_auth(Secret::new("t"), "p1".into())));
    }

    #[test]
    fn a_refused_sign_in_names_what_was_sent() {
        let password =
            refused_credentials(&password_auth("u".into(), "Default".into(), "p".into()));
        assert!(
            password.contains("password") && !password.contains("token"),
            "{password}"
        );
        let token = refused_credentials(&project_auth(Secret::new("t"), "p1".into()));
        assert!(token.contains("token"), "{token}");
    }

    #[test]
    fn a_refused_input_is_named() {
        let anchors = TrustAnchors {
            barbican_ids: vec!["s1".into(), "s2".into()],
            pems: vec!["PEM".into()],
        };
        let refused = |input: Option<&str>, index: Option<u32>| WorkerError {
            code: "not-a-certificate".into(),
            message: "no certificate".into(),
            input: input.map(str::to_owned),
            index,
        };
        let uuid = "c1".to_owned();
        let said = |input, index| refused_input(&refused(input, index), Some(&uuid), &anchors);
        assert_eq!(
            said(Some("trusted"), Some(1)),
            "the trusted certificate s2 (config.json trusted_certificate_ids) cannot be used: no certificate"
        );
        assert_eq!(
            said(Some("trusted"), Some(2)),
            "trusted certificate 1 of config.json trusted_certificates cannot be used: no certificate"
        );
        assert_eq!(
            said(Some("certificate"), None),
            "the image's certificate c1 cannot be used: no certificate"
        );
        assert_eq!(said(None, None), "no certificate");
    }

    #[test]
    fn verification_gets_only_the_signature_properties() {
        let body = serde_json::json!({"id": "i1", "status": "queued", "visibility": "private",
            "created_at": "2026-01-01T00:00:00Z", "img_signature": "c2ln",
            "img_signature_hash_method": "SHA-256", "hw_disk_bus": "scsi"});
        let image = glance::parse_image(&Response::new(200, vec![], body.to_string().into_bytes()))
            .expect("image");
        let properties = signature_properties(&image);
        assert_eq!(
            properties.into_iter().collect::<Vec<_>>(),
            vec![
                ("img_signature".to_owned(), "c2ln".to_owned()),
                ("img_signature_hash_method".to_owned(), "SHA-256".to_owned()),
            ]
        );
    }

    #[test]
    fn worker_answers_become_the_states_values() {
        let answer: KeyAnswer = serde_json::from_value(serde_json::json!({
            "key": {"algorithm": "EC", "curve": "P-384", "summary": "an EC P-384 key",
                    "keyTypeName": "ECC_SECP384R1"},
            "origin": "generated", "matches": true,
            "certificate": {"info": {"subject": "CN=a", "issuer": "CN=a", "notBefore": 1,
                "notAfter": 5, "validity": "valid", "fingerprintSha256": "ff", "selfSigned": true,
                "publicKey": {"algorithm": "EC", "summary": "an EC P-384 key"}}, "pem": "PEM"}
        }))
        .expect("answer");
        let info = key_info(&answer, None);
        assert_eq!(info.key_type, "ECC_SECP384R1");
        assert_eq!(info.origin, "generated");
        let summary = cert_summary(answer.certificate.expect("certificate"));
        assert_eq!(summary.subject, "CN=a");
        assert_eq!(summary.key, "an EC P-384 key");
        assert_eq!(summary.fingerprint, "ff");
        assert_eq!(summary.not_after, 5);
        assert_eq!(summary.pem, "PEM");
    }
}
