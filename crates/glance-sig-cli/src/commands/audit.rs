//! `glance-sig audit`: every image the token can list, judged as Glance and Nova (with
//! `verify_glance_signatures`) will judge it, each finding with its fix.
//!
//! Per image: unsigned, partially signed (which properties are missing), or signed; for signed
//! images the property values, the certificate secret (reachable? in the form castellan reads?
//! a Barbican expiration?), the certificate itself (dates, key class against the key type) and,
//! with `--verify`, the data downloaded and checked.
//!
//! The properties and certificates are checked one image after the other (the certificates
//! once each); the downloads of `--verify` then run `--jobs` at a time (`io::batch`), each
//! worker with its own engine. `--shard I/N` audits one part of the catalog; [`merge`] joins
//! the parts' reports into the report of the whole.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use glance_sig_core::policy::{self, Finding, ImageVerdict, Severity};
use glance_sig_core::{Certificate, KeyType, Report, SignatureProperties, SigningState, Verifier};
use openstack_proto::barbican::SecretProblem;
use openstack_proto::glance::{Image, ImageQuery};
use openstack_proto::image_pager::ImagePager;
use serde::{Deserialize, Serialize};

use super::remote_verify;
use crate::args::cloud::{AuditArgs, AuditMergeArgs};
use crate::args::common::EngineKind;
use crate::cloud::certstore;
use crate::cloud::error::CloudError;
use crate::cloud::session::{unix_now, Session};
use crate::engine::native::Native;
use crate::engine::wasm::host::ComponentEngine;
use crate::engine::Engine;
use crate::error::CliError;
use crate::exit::Outcome;
use crate::io::batch::{self, Batch, MergeError, Shard, ShardReport, JOB_COMPLETION_INDEX};
use crate::io::time::rfc3339;
use crate::output::render;

const DAY: i64 = 86_400;
/// The finding of a `--verify` download that broke.
const DOWNLOAD_FAILED: &str = "download-failed";
/// Images listed per request.
const PAGE: u32 = 100;

/// What the audit found about one certificate secret (shared by the images that name it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CertificateSummary {
    /// The secret id.
    pub uuid: String,
    /// The certificate's subject, when it could be read.
    pub subject: Option<String>,
    /// notAfter, RFC 3339.
    pub not_after: Option<String>,
    /// The Barbican expiration of the secret, if set.
    pub secret_expiration: Option<String>,
    /// Whether castellan can read it now.
    pub usable: bool,
}

/// One image's audit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImageAudit {
    /// The image id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// When it was created (Glance's words): the report's order.
    pub created_at: String,
    /// Its status.
    pub status: String,
    /// The owner project.
    pub owner: Option<String>,
    /// Its visibility.
    pub visibility: String,
    /// Unsigned, partially signed or signed.
    pub signing: SigningState,
    /// The certificate, for signed images.
    pub certificate: Option<CertificateSummary>,
    /// With `--verify`: whether the data verified (`None` when not checked).
    pub data_verified: Option<bool>,
    /// Verified, signed with the data not checked, signature fails, partially signed,
    /// unsigned: the properties alone never make an image "verified".
    pub verdict: ImageVerdict,
    /// When the data was checked, Unix seconds (left out of the JSON, so that two audits of
    /// the same images compare equal).
    #[serde(skip)]
    pub checked_at: Option<i64>,
    /// Everything wrong, worst first.
    pub findings: Vec<Finding>,
}

impl ImageAudit {
    fn is_ok(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    /// Errors first, then the verdict.
    fn conclude(&mut self) {
        self.findings.sort_by_key(|f| f.severity != Severity::Error);
        self.judge();
    }

    fn judge(&mut self) {
        // A download that failed decided nothing about the signature.
        let refused = self
            .findings
            .iter()
            .any(|f| f.severity == Severity::Error && f.code != DOWNLOAD_FAILED);
        self.verdict = ImageVerdict::of(&self.signing, refused, self.data_verified);
    }

    #[cfg(test)]
    fn judged(mut self) -> Self {
        self.judge();
        self
    }
}

/// The whole audit, as `--json` prints it; `audit-merge` reads shards' reports back.
#[derive(Debug, Serialize, Deserialize)]
struct AuditReport {
    project: Option<String>,
    scope: Scope,
    /// Which part of the catalog, for a shard's report (absent for the whole).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    shard: Option<Shard>,
    images: Vec<ImageAudit>,
    summary: Summary,
}

impl AuditReport {
    /// The report of `images`, in the report's order, and its summary.
    fn new(
        project: Option<String>,
        scope: Scope,
        shard: Option<Shard>,
        mut images: Vec<ImageAudit>,
    ) -> Self {
        // Glance's own order (created_at:asc) leaves ties to the database; the id breaks them,
        // so that one run and the merge of its shards list the same images in the same order.
        images.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
        Self {
            project,
            scope,
            shard,
            summary: summarize(&images),
            images,
        }
    }

    /// Prints it (the table, or `--json`), writes `output`; the exit code.
    fn emit(&self, json: bool, output: Option<&Path>) -> Result<Outcome, CliError> {
        if let Some(path) = output {
            let text = glance_sig_core::report::json_text(self);
            std::fs::write(path, text).map_err(|source| CliError::Write {
                what: "audit report",
                path: path.display().to_string(),
                source,
            })?;
        }
        if json {
            render::json(self);
        } else {
            render::out(&render_table(self, self.scope.expiry_warning_days));
        }
        Ok(if self.images.iter().all(ImageAudit::is_ok) {
            Outcome::Success
        } else {
            Outcome::Rejected
        })
    }
}

/// What was audited, and how: the same for every shard of one run (`audit-merge` checks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Scope {
    /// The Glance endpoint listed.
    glance: String,
    /// The token's project.
    project_id: Option<String>,
    /// Only the project's own images (`--mine`).
    mine: bool,
    /// The data downloaded and verified (`--verify`).
    verify: bool,
    /// `--expiry-warning-days`.
    expiry_warning_days: u32,
}

impl Scope {
    fn describe(&self) -> String {
        format!(
            "Glance {}, project {}, {}{}expiry warnings within {} days",
            self.glance,
            self.project_id.as_deref().unwrap_or("?"),
            if self.mine { "--mine, " } else { "" },
            if self.verify { "--verify, " } else { "" },
            self.expiry_warning_days
        )
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Summary {
    images: usize,
    /// Signed, data downloaded and verified.
    verified: usize,
    /// Signed, nothing refused, data not checked.
    signed_unchecked: usize,
    /// Signed and nothing refused (verified or not checked).
    signed_ok: usize,
    unsigned: usize,
    partially_signed: usize,
    signed_with_errors: usize,
    with_warnings: usize,
}

/// Runs `glance-sig audit`.
///
/// # Errors
/// [`CliError::Shard`] for a `--shard` that names no shard; [`CliError::Cloud`] when the cloud
/// cannot be reached or refuses to list images; problems of single images are findings, not
/// errors.
pub fn run(args: &AuditArgs) -> Result<Outcome, CliError> {
    let job_index = std::env::var(JOB_COMPLETION_INDEX).ok();
    let shard = args
        .shard
        .as_deref()
        .map(|spec| Shard::parse(spec, job_index.as_deref()))
        .transpose()?;
    match args.engine.engine {
        EngineKind::Native => run_with(|| Ok(Native), args, shard),
        EngineKind::Component => run_with(
            || ComponentEngine::locate(args.engine.component.as_deref()),
            args,
            shard,
        ),
    }
}

/// A signed image whose data `--verify` downloads and checks.
struct DataCheck<'i> {
    /// Its place in the list of audits.
    at: usize,
    image: &'i Image,
    properties: SignatureProperties,
    certificate: Certificate,
}

/// `audit` with `--verify`'s data pass done by engines from `engine`, one per worker.
fn run_with<E: Engine>(
    engine: impl Fn() -> Result<E, CliError> + Sync,
    args: &AuditArgs,
    shard: Option<Shard>,
) -> Result<Outcome, CliError> {
    let mut session = Session::connect(&args.cloud)?;
    let mut images = list_images(&session, args.mine)?;
    if let Some(shard) = shard {
        images.retain(|image| shard.holds(&image.id));
    }
    let mut auditor = Auditor {
        now: unix_now(),
        warn_within: i64::from(args.expiry_warning_days) * DAY,
        verify: args.verify,
        certificates: BTreeMap::new(),
    };
    let mut audits = Vec::with_capacity(images.len());
    let mut checks = Vec::new();
    for image in &images {
        // Certificates of many images can outlast a token, and the downloads more so.
        session.refresh_if_expiring()?;
        let (audit, data) = auditor.audit(&session, image)?;
        if let Some((properties, certificate)) = data {
            checks.push(DataCheck {
                at: audits.len(),
                image,
                properties,
                certificate,
            });
        }
        audits.push(audit);
    }
    let scope = Scope {
        glance: session.image_url().to_owned(),
        project_id: session.project_id().map(str::to_owned),
        mine: args.mine,
        verify: args.verify,
        expiry_warning_days: args.expiry_warning_days,
    };
    let project = session.token().project.as_ref().map(|p| p.name.clone());
    let session = RwLock::new(session);
    let batch = Batch {
        jobs: args.jobs,
        label: "verifying",
        progress: args.progress,
    };
    let verified = batch.run(&checks, engine, |engine, check, meter| {
        let session = fresh(&session)?;
        let report = remote_verify::verify_data(
            engine,
            &session,
            check.image,
            &check.properties,
            &check.certificate,
            Some(meter),
        );
        Ok::<_, CliError>((report, unix_now()))
    })?;
    for (check, (report, at)) in checks.iter().zip(verified) {
        if let Some(audit) = audits.get_mut(check.at) {
            record_data(audit, report, at);
        }
    }
    AuditReport::new(project, scope, shard, audits).emit(args.json, args.output.as_deref())
}

/// The session, its token renewed first when it expires soon (by one worker; the others wait
/// for the new token).
fn fresh(session: &RwLock<Session>) -> Result<RwLockReadGuard<'_, Session>, CloudError> {
    let expiring = session
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .expiring();
    if expiring {
        session
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .refresh_if_expiring()?;
    }
    Ok(session.read().unwrap_or_else(PoisonError::into_inner))
}

/// What `--verify` found in an image's data, into its audit.
fn record_data(audit: &mut ImageAudit, verified: Result<Report, CliError>, at: i64) {
    match verified {
        Ok(report) => {
            audit.data_verified = Some(report.signature.valid);
            audit.checked_at = Some(at);
            if let Some(e) = &report.error {
                // The cause the explanation pass found, with its fix (the error's).
                let mut message = e.message.clone();
                for cause in &report.diagnosis {
                    message += &format!("; likely cause: {}", cause.message);
                }
                audit
                    .findings
                    .push(Finding::error(&e.code, message, &e.fix));
            }
        }
        Err(e) => audit.findings.push(Finding::error(
            DOWNLOAD_FAILED,
            e.to_string(),
            e.fix().unwrap_or_else(|| "run the audit again".to_owned()),
        )),
    }
    audit.conclude();
}

/// Runs `glance-sig audit-merge`: the shards' reports, checked to be every shard of one run
/// once, joined into the report of the whole catalog.
///
/// # Errors
/// [`CliError::Read`] or [`CliError::Malformed`] for a report that cannot be read;
/// [`CliError::Merge`] for reports that are not the shards of one run.
pub fn merge(args: &AuditMergeArgs) -> Result<Outcome, CliError> {
    let mut shards = Vec::with_capacity(args.reports.len());
    for path in &args.reports {
        shards.push((path.display().to_string(), read_report(path)?));
    }
    merged(shards)?.emit(args.json, args.output.as_deref())
}

/// The report of the whole from the shards' (each with its file's name).
fn merged(shards: Vec<(String, AuditReport)>) -> Result<AuditReport, CliError> {
    let described: Vec<ShardReport<'_>> = shards
        .iter()
        .map(|(file, report)| ShardReport {
            file,
            shard: report.shard,
            scope: report.scope.describe(),
        })
        .collect();
    batch::check_shards(&described)?;
    let mut holder: BTreeMap<String, String> = BTreeMap::new();
    let mut first = None;
    let mut images = Vec::new();
    for (file, report) in shards {
        for image in &report.images {
            if let Some(earlier) = holder.insert(image.id.clone(), file.clone()) {
                return Err(MergeError::InTwoShards {
                    id: image.id.clone(),
                    first: earlier,
                    second: file,
                }
                .into());
            }
        }
        images.extend(report.images);
        first.get_or_insert((report.project, report.scope));
    }
    let Some((project, scope)) = first else {
        return Err(MergeError::NoReports.into());
    };
    Ok(AuditReport::new(project, scope, None, images))
}

/// Reports of large catalogs are larger than the files `read_small` is for.
const REPORT_LIMIT: u64 = 1 << 30;

fn read_report(path: &Path) -> Result<AuditReport, CliError> {
    let what = "audit report";
    let malformed = |detail: String| CliError::Malformed {
        what,
        path: path.display().to_string(),
        detail,
        fix: Some(
            "give the JSON reports of `glance-sig audit --shard I/N` (--json or --output FILE)"
                .to_owned(),
        ),
    };
    let (file, _) = crate::io::files::open_at_most(what, path, REPORT_LIMIT)?;
    serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| {
        if e.is_io() {
            crate::io::files::read_error(what, path, std::io::Error::other(e))
        } else {
            malformed(e.to_string())
        }
    })
}

/// Every image the token lists (all pages), or only the project's own.
fn list_images(session: &Session, mine: bool) -> Result<Vec<Image>, CloudError> {
    let query = ImageQuery {
        limit: Some(PAGE),
        owner: if mine {
            session.project_id().map(str::to_owned)
        } else {
            None
        },
        sort: Some("created_at:asc".to_owned()),
        ..ImageQuery::default()
    };
    let (mut pager, first) = ImagePager::new(session.glance(), &query);
    let mut images = Vec::new();
    let mut request = Some(first);
    while let Some(next) = request {
        let page = session.call("listing images", &next, |response| pager.page(response))?;
        images.extend(page.images);
        request = page.next;
    }
    Ok(images)
}

/// What was learnt about a certificate secret, kept for the next image that names it.
#[derive(Debug, Clone)]
struct CertificateCheck {
    summary: CertificateSummary,
    certificate: Option<Certificate>,
    findings: Vec<Finding>,
}

struct Auditor {
    now: i64,
    warn_within: i64,
    verify: bool,
    certificates: BTreeMap<String, CertificateCheck>,
}

/// The properties and certificate of an image whose data is to be checked.
type DataToCheck = Option<(SignatureProperties, Certificate)>;

impl Auditor {
    /// The image's audit from its properties and certificate, and what its data is to be
    /// verified with, if it is.
    fn audit(
        &mut self,
        session: &Session,
        image: &Image,
    ) -> Result<(ImageAudit, DataToCheck), CloudError> {
        let mut audit = ImageAudit {
            id: image.id.clone(),
            name: image.name.clone(),
            created_at: image.created_at.clone(),
            status: image.status.clone(),
            owner: image.owner.clone(),
            visibility: image.visibility.clone(),
            signing: SigningState::Unsigned,
            certificate: None,
            data_verified: None,
            verdict: ImageVerdict::Unsigned,
            checked_at: None,
            findings: Vec::new(),
        };
        let props = match remote_verify::properties(image) {
            Ok(props) => props,
            Err(e) => {
                audit.findings.push(Finding::error(
                    "unreadable-properties",
                    e.to_string(),
                    "set the img_signature* properties again, each within Glance's limits",
                ));
                audit.judge();
                return Ok((audit, None));
            }
        };
        audit.signing = props.signing_state();
        let has_data = matches!(image.status.as_str(), "active" | "deactivated");
        let data = match &audit.signing {
            SigningState::Signed => self.audit_signed(session, image, props, &mut audit)?,
            state => {
                audit.findings.push(policy::signing_state(state, has_data));
                None
            }
        };
        audit.findings.extend(policy::image_status(&image.status));
        audit.conclude();
        Ok((audit, data))
    }

    fn audit_signed(
        &mut self,
        session: &Session,
        image: &Image,
        props: SignatureProperties,
        audit: &mut ImageAudit,
    ) -> Result<DataToCheck, CloudError> {
        let uuid = props.certificate_uuid.clone().unwrap_or_default();
        let check = self.certificate(session, &uuid)?.clone();
        audit.certificate = Some(check.summary.clone());
        audit.findings.extend(check.findings.iter().cloned());
        let Some(cert) = check.certificate else {
            audit.findings.extend(policy::property_findings(&props));
            return Ok(None);
        };
        // Base64, hash method, key type, key class against the key type: cursive's order.
        if let Err(rejection) = Verifier::new(&props, cert.public_key()) {
            audit.findings.push(Finding::from_rejection(&rejection));
            return Ok(None);
        }
        if let (Some(named), Some(found)) = (
            props
                .key_type
                .as_deref()
                .and_then(|k| KeyType::parse(k).ok()),
            cert.public_key().key_type(),
        ) {
            if named != found {
                audit.findings.push(Finding::warning(
                    "certificate-curve-differs",
                    format!(
                        "img_signature_key_type is {named} but the certificate's key is for \
                         {found}; cursive checks only the key class, so it passes"
                    ),
                    format!("set img_signature_key_type to {found}"),
                ));
            }
        }
        Ok((self.verify && image.status == "active").then_some((props, cert)))
    }

    /// The check of one certificate secret, done once per secret.
    fn certificate(
        &mut self,
        session: &Session,
        uuid: &str,
    ) -> Result<&CertificateCheck, CloudError> {
        if !self.certificates.contains_key(uuid) {
            let check = self.check_certificate(session, uuid)?;
            self.certificates.insert(uuid.to_owned(), check);
        }
        self.certificates
            .get(uuid)
            .ok_or_else(|| CloudError::Usage(format!("certificate {uuid} was not checked")))
    }

    fn check_certificate(
        &self,
        session: &Session,
        uuid: &str,
    ) -> Result<CertificateCheck, CloudError> {
        let mut summary = CertificateSummary {
            uuid: uuid.to_owned(),
            subject: None,
            not_after: None,
            secret_expiration: None,
            usable: false,
        };
        let secret = match certstore::read(session, uuid, self.now) {
            Ok(secret) => secret,
            Err(e @ (CloudError::CertificateUnavailable { .. } | CloudError::Api { .. })) => {
                let code = match e.api_error().and_then(openstack_proto::ApiError::status) {
                    Some(404) => "certificate-not-found",
                    Some(403) => "certificate-forbidden",
                    _ => "certificate-unreadable",
                };
                let fix = e.fix().unwrap_or_else(|| "check Barbican".to_owned());
                return Ok(CertificateCheck {
                    summary,
                    certificate: None,
                    findings: vec![Finding::error(code, e.to_string(), fix)],
                });
            }
            Err(e) => return Err(e),
        };
        summary.secret_expiration = secret.metadata.expiration.clone();
        summary.usable = secret.is_usable();
        let mut findings: Vec<Finding> = secret
            .problems
            .iter()
            .map(|problem| self.secret_finding(problem))
            .collect();
        let certificate = match secret.certificate() {
            Ok(cert) => Some(cert),
            Err(e) => {
                // A text/plain secret: its payload cannot be had as castellan asks; the
                // content-type finding says so already.
                if secret.payload.is_some() {
                    findings.push(Finding::error(
                        "not-a-certificate",
                        e.to_string(),
                        e.fix().unwrap_or_default(),
                    ));
                }
                None
            }
        };
        if let Some(cert) = &certificate {
            summary.subject = Some(cert.subject());
            summary.not_after = Some(rfc3339(cert.not_after()));
            findings.extend(self.date_findings(cert));
        }
        Ok(CertificateCheck {
            summary,
            certificate,
            findings,
        })
    }

    fn secret_finding(&self, problem: &SecretProblem) -> Finding {
        let code = match problem {
            SecretProblem::NotCertificateType { .. } => "secret-not-certificate-type",
            SecretProblem::WrongContentType { .. } => "secret-wrong-content-type",
            SecretProblem::NoPayload => "secret-no-payload",
            SecretProblem::PayloadNotPem { .. } => "secret-not-pem",
            SecretProblem::NotActive { .. } => "secret-not-active",
            SecretProblem::Expiration { .. } => "secret-expiration",
            _ => "secret-problem",
        };
        let message = format!("certificate secret: {problem}");
        if problem.is_fatal() {
            Finding::error(code, message, problem.fix())
        } else {
            Finding::warning(code, message, problem.fix())
        }
    }

    fn date_findings(&self, cert: &Certificate) -> Option<Finding> {
        policy::certificate_lifetime(
            cert.not_before(),
            cert.not_after(),
            self.now,
            self.warn_within,
        )
    }
}

fn summarize(audits: &[ImageAudit]) -> Summary {
    let mut summary = Summary {
        images: audits.len(),
        ..Summary::default()
    };
    for audit in audits {
        if audit.signing.is_signed() && audit.is_ok() {
            summary.signed_ok += 1;
        }
        match audit.verdict {
            ImageVerdict::Unsigned => summary.unsigned += 1,
            ImageVerdict::PartiallySigned => summary.partially_signed += 1,
            ImageVerdict::Verified => summary.verified += 1,
            ImageVerdict::SignedUnchecked => summary.signed_unchecked += 1,
            _ => summary.signed_with_errors += 1,
        }
        if audit
            .findings
            .iter()
            .any(|f| f.severity == Severity::Warning)
        {
            summary.with_warnings += 1;
        }
    }
    summary
}

const NAME_WIDTH: usize = 24;

/// Whether a finding is the signing state's own (unsigned, partially signed): its advice is
/// said once per kind under the table, not on every row.
fn is_state_finding(finding: &Finding) -> bool {
    matches!(finding.code.as_str(), "unsigned" | "partially-signed")
}

/// The readable table: one row per image with its verdict and the findings particular to it;
/// then what each kind of verdict means and what to do, once per kind.
fn render_table(report: &AuditReport, warning_days: u32) -> String {
    let s = &report.summary;
    let mut text = format!(
        "Audited {} image{} visible to project {}: {} verified, {} signed with the data not \
         checked, {} whose signature fails, {} partially signed, {} unsigned ({} with warnings; \
         expiry warnings within {} days).\n",
        s.images,
        if s.images == 1 { "" } else { "s" },
        report.project.as_deref().unwrap_or("?"),
        s.verified,
        s.signed_unchecked,
        s.signed_with_errors,
        s.partially_signed,
        s.unsigned,
        s.with_warnings,
        warning_days,
    );
    if report.images.is_empty() {
        return text;
    }
    text += &format!(
        "\n{:<36}  {:<NAME_WIDTH$}  {:<11}  RESULT\n",
        "IMAGE", "NAME", "STATUS"
    );
    let indent = " ".repeat(38);
    for audit in &report.images {
        let mark = match audit.verdict {
            ImageVerdict::Verified => "✔",
            ImageVerdict::SignedUnchecked => "?",
            _ => "✘",
        };
        let warnings = audit
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .count();
        text += &format!(
            "{:<36}  {:<NAME_WIDTH$}  {:<11}  {mark} {}{}\n",
            audit.id,
            crate::output::render::shorten(audit.name.as_deref().unwrap_or("-"), NAME_WIDTH),
            audit.status,
            audit.checked_at.map_or_else(
                || audit.verdict.label().to_owned(),
                |at| audit.verdict.label_at(at)
            ),
            match warnings {
                0 => String::new(),
                1 => ", 1 warning".to_owned(),
                n => format!(", {n} warnings"),
            }
        );
        if let SigningState::PartiallySigned { missing } = &audit.signing {
            text += &format!("{indent}  missing {}\n", missing.join(", "));
        }
        let particular: Vec<&Finding> = audit
            .findings
            .iter()
            .filter(|f| !is_state_finding(f))
            .collect();
        for finding in &particular {
            let mark = match finding.severity {
                Severity::Error => "✘",
                Severity::Warning => "!",
                Severity::Ok => "✔",
            };
            text += &format!("{indent}{mark} {}\n", finding.message);
            text += &format!("{indent}  fix: {}\n", finding.fix);
        }
        if let Some(cert) = audit
            .certificate
            .as_ref()
            .filter(|_| !particular.is_empty())
        {
            text += &format!(
                "{indent}  certificate: secret {}{}\n",
                cert.uuid,
                cert.subject
                    .as_deref()
                    .map(|s| format!(", {s}"))
                    .unwrap_or_default()
            );
        }
    }
    let kinds: Vec<ImageVerdict> = ImageVerdict::ALL
        .into_iter()
        .filter(|kind| report.images.iter().any(|a| a.verdict == *kind))
        .collect();
    text += "\nWhat each result means:\n";
    for kind in kinds {
        text += &format!("  {}: {}\n", kind.label(), kind.advice());
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit(signing: SigningState, findings: Vec<Finding>) -> ImageAudit {
        ImageAudit {
            id: "8a2ea42d-06b5-42c2-a54d-97105420f2bb".into(),
            name: Some("a very long image name that goes on and on".into()),
            created_at: "2026-12-01T10:00:00Z".into(),
            status: "active".into(),
            owner: None,
            visibility: "private".into(),
            signing,
            certificate: None,
            data_verified: None,
            verdict: ImageVerdict::Unsigned,
            checked_at: None,
            findings,
        }
        .judged()
    }

    fn scope() -> Scope {
        Scope {
            glance: "https://glance.example:9292".into(),
            project_id: Some("p1".into()),
            mine: false,
            verify: true,
            expiry_warning_days: 30,
        }
    }

    /// `n` audits of every kind, created in an order unlike their ids', some at the same second.
    fn catalog(n: usize) -> Vec<ImageAudit> {
        (0..n)
            .map(|i| {
                let signing = match i % 3 {
                    0 => SigningState::Signed,
                    1 => SigningState::Unsigned,
                    _ => SigningState::PartiallySigned {
                        missing: vec![glance_sig_core::IMG_SIGNATURE_KEY_TYPE],
                    },
                };
                let mut a = audit(signing, Vec::new());
                a.id = format!("{:08x}-0000-4000-8000-{:012x}", (i * 7919) % 1000, i);
                a.created_at = format!("2026-12-01T10:{:02}:00Z", (n - i) / 3 % 60);
                if i % 5 == 0 {
                    a.data_verified = Some(i % 2 == 0);
                    a.findings
                        .push(Finding::warning("certificate-expiring", "soon", "renew it"));
                }
                a.judged()
            })
            .collect()
    }

    fn json(report: &AuditReport) -> serde_json::Value {
        serde_json::to_value(report).expect("serializes")
    }

    /// Splits the whole into `count` shards' reports, as `--shard i/count` runs write them.
    fn shards_of(whole: &[ImageAudit], count: u32) -> Vec<(String, AuditReport)> {
        (1..=count)
            .map(|index| {
                let shard = Shard { index, count };
                let images = whole
                    .iter()
                    .filter(|a| shard.holds(&a.id))
                    .cloned()
                    .collect();
                let report = AuditReport::new(Some("demo".into()), scope(), Some(shard), images);
                // Through JSON, as the merge reads them.
                let text = serde_json::to_string(&report).expect("serializes");
                let back: AuditReport = serde_json::from_str(&text).expect("reads back");
                (format!("shard-{index}.json"), back)
            })
            .collect()
    }

    #[test]
    fn merged_shards_are_the_report_of_the_whole() {
        let images = catalog(60);
        let whole = AuditReport::new(Some("demo".into()), scope(), None, images.clone());
        // Sorted by creation, ties by id, whatever order the images came in.
        let order: Vec<(&str, &str)> = whole
            .images
            .iter()
            .map(|a| (a.created_at.as_str(), a.id.as_str()))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        let mut reversed = images.clone();
        reversed.reverse();
        let again = AuditReport::new(Some("demo".into()), scope(), None, reversed);
        assert_eq!(json(&again), json(&whole));
        assert!(json(&whole).get("shard").is_none());
        for count in [1, 2, 4, 7] {
            let mut shards = shards_of(&images, count);
            // Given in any order.
            shards.reverse();
            let merged = merged(shards).expect("merges");
            assert_eq!(json(&merged), json(&whole), "{count} shards");
        }
        assert_eq!(whole.summary.images, 60);
        assert_eq!(whole.summary.unsigned, 20);
    }

    #[test]
    fn inconsistent_shards_are_refused_by_name() {
        let images = catalog(40);
        let refusal = |shards| match merged(shards) {
            Err(CliError::Merge(e)) => e,
            other => panic!("{other:?}"),
        };
        let mut missing = shards_of(&images, 4);
        missing.remove(2);
        assert_eq!(
            refusal(missing),
            MergeError::Missing {
                missing: vec![3],
                count: 4
            }
        );
        let mut twice = shards_of(&images, 4);
        twice.push(shards_of(&images, 4).remove(1));
        assert!(matches!(refusal(twice), MergeError::Duplicate { .. }));
        let mut mixed = shards_of(&images, 4);
        mixed.extend(shards_of(&images, 3));
        assert!(matches!(refusal(mixed), MergeError::CountsDiffer { .. }));
        let mut elsewhere = shards_of(&images, 2);
        elsewhere[1].1.scope.glance = "https://other.example:9292".into();
        match refusal(elsewhere) {
            MergeError::ScopesDiffer { scope, .. } => {
                assert!(scope.contains("other.example"), "{scope}")
            }
            other => panic!("{other:?}"),
        }
        let mut whole = shards_of(&images, 2);
        whole[0].1.shard = None;
        assert!(matches!(refusal(whole), MergeError::NotAShard { .. }));
        // The same image in two shards: split by another rule.
        let mut overlapping = shards_of(&images, 2);
        let stray = overlapping[0].1.images[0].clone();
        overlapping[1].1.images.push(stray);
        assert!(matches!(
            refusal(overlapping),
            MergeError::InTwoShards { .. }
        ));
    }

    #[test]
    fn table_rows_say_what_was_checked_and_advice_comes_once() {
        let images = vec![
            audit(SigningState::Signed, Vec::new()),
            audit(
                SigningState::PartiallySigned {
                    missing: vec!["img_signature_key_type"],
                },
                vec![Finding::error(
                    "partially-signed",
                    "partially signed",
                    "sign it",
                )],
            ),
        ];
        let report = AuditReport::new(Some("demo".into()), scope(), None, images);
        assert_eq!(report.summary.signed_ok, 1);
        assert_eq!(report.summary.signed_unchecked, 1);
        assert_eq!(report.summary.partially_signed, 1);
        let text = render_table(&report, 30);
        // Properties alone are not verified data; the state's advice once, under the table,
        // in the core's words, not per row.
        let advice = ImageVerdict::PartiallySigned.advice();
        for (needle, count) in [
            ("1 signed with the data not checked", 1),
            ("? signed, data not checked here", 1),
            ("verified here", 0),
            ("✘ partially signed", 1),
            ("missing img_signature_key_type", 1),
            ("fix: sign it", 0),
            (advice.as_str(), 1),
        ] {
            assert_eq!(text.matches(needle).count(), count, "{needle}:\n{text}");
        }
        assert!(text.contains("a very long image name …"), "{text}");
    }
}
