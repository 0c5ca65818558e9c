//! `glance-sig audit`: every image the token can list, judged as Glance and Nova (with
//! `verify_glance_signatures`) will judge it, each finding with its fix.
//!
//! Per image: unsigned, partially signed (which properties are missing), or signed; for signed
//! images the property values, the certificate secret (reachable? in the form castellan reads?
//! a Barbican expiration?), the certificate itself (dates, key class against the key type) and,
//! with `--verify`, the data downloaded and checked.

use std::collections::BTreeMap;

use glance_sig_core::policy::{self, Finding, Severity};
use glance_sig_core::{Certificate, KeyType, SignatureProperties, SigningState, Verifier};
use openstack_proto::barbican::SecretProblem;
use openstack_proto::glance::{Image, ImageQuery};
use openstack_proto::image_pager::ImagePager;
use serde::Serialize;

use super::remote_verify;
use crate::args::cloud::AuditArgs;
use crate::cloud::certstore;
use crate::cloud::error::CloudError;
use crate::cloud::session::{unix_now, Session};
use crate::engine::Engine;
use crate::error::CliError;
use crate::exit::Outcome;
use crate::io::time::rfc3339;
use crate::output::render;

const DAY: i64 = 86_400;
/// Images listed per request.
const PAGE: u32 = 100;

/// What the audit found about one certificate secret (shared by the images that name it).
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
pub struct ImageAudit {
    /// The image id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
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
    /// Everything wrong, worst first.
    pub findings: Vec<Finding>,
}

impl ImageAudit {
    fn is_ok(&self) -> bool {
        !self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}

/// The whole audit, as `--json` prints it.
#[derive(Debug, Serialize)]
struct AuditReport {
    project: Option<String>,
    images: Vec<ImageAudit>,
    summary: Summary,
}

#[derive(Debug, Default, Serialize)]
struct Summary {
    images: usize,
    signed_ok: usize,
    unsigned: usize,
    partially_signed: usize,
    signed_with_errors: usize,
    with_warnings: usize,
}

/// Runs `glance-sig audit`.
///
/// # Errors
/// [`CliError::Cloud`] when the cloud cannot be reached or refuses to list images; problems
/// of single images are findings, not errors.
pub fn run(args: &AuditArgs) -> Result<Outcome, CliError> {
    crate::with_engine!(args.engine, |engine| run_with(engine, args))
}

/// `audit` with `--verify`'s data pass done by `engine`.
fn run_with<E: Engine>(engine: &mut E, args: &AuditArgs) -> Result<Outcome, CliError> {
    let mut session = Session::connect(&args.cloud)?;
    let images = list_images(&session, args.mine)?;
    let mut auditor = Auditor {
        engine,
        now: unix_now(),
        warn_within: i64::from(args.expiry_warning_days) * DAY,
        verify: args.verify,
        certificates: BTreeMap::new(),
    };
    let mut audits = Vec::with_capacity(images.len());
    for image in &images {
        // With --verify the audit can outlast a token.
        session.refresh_if_expiring()?;
        audits.push(auditor.audit(&session, image)?);
    }
    let report = AuditReport {
        project: session.token().project.as_ref().map(|p| p.name.clone()),
        summary: summarize(&audits),
        images: audits,
    };
    if args.json {
        render::json(&report);
    } else {
        render::out(&render_table(&report, args.expiry_warning_days));
    }
    Ok(if report.images.iter().all(ImageAudit::is_ok) {
        Outcome::Success
    } else {
        Outcome::Rejected
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

struct Auditor<'e, E> {
    engine: &'e mut E,
    now: i64,
    warn_within: i64,
    verify: bool,
    certificates: BTreeMap<String, CertificateCheck>,
}

impl<E: Engine> Auditor<'_, E> {
    fn audit(&mut self, session: &Session, image: &Image) -> Result<ImageAudit, CloudError> {
        let mut audit = ImageAudit {
            id: image.id.clone(),
            name: image.name.clone(),
            status: image.status.clone(),
            owner: image.owner.clone(),
            visibility: image.visibility.clone(),
            signing: SigningState::Unsigned,
            certificate: None,
            data_verified: None,
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
                return Ok(audit);
            }
        };
        audit.signing = props.signing_state();
        let has_data = matches!(image.status.as_str(), "active" | "deactivated");
        match &audit.signing {
            SigningState::Signed => self.audit_signed(session, image, &props, &mut audit)?,
            state => audit.findings.push(policy::signing_state(state, has_data)),
        }
        audit.findings.extend(policy::image_status(&image.status));
        audit
            .findings
            .sort_by_key(|f| f.severity != Severity::Error);
        Ok(audit)
    }

    fn audit_signed(
        &mut self,
        session: &Session,
        image: &Image,
        props: &SignatureProperties,
        audit: &mut ImageAudit,
    ) -> Result<(), CloudError> {
        let uuid = props.certificate_uuid.clone().unwrap_or_default();
        let check = self.certificate(session, &uuid)?.clone();
        audit.certificate = Some(check.summary.clone());
        audit.findings.extend(check.findings.iter().cloned());
        let Some(cert) = &check.certificate else {
            audit.findings.extend(policy::property_findings(props));
            return Ok(());
        };
        // Base64, hash method, key type, key class against the key type: cursive's order.
        if let Err(rejection) = Verifier::new(props, cert.public_key()) {
            audit.findings.push(Finding::from_rejection(&rejection));
            return Ok(());
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
        if self.verify && image.status == "active" {
            match remote_verify::verify_data(self.engine, session, image, props, cert) {
                Ok(report) => {
                    audit.data_verified = Some(report.signature.valid);
                    if let Some(e) = &report.error {
                        audit
                            .findings
                            .push(Finding::error(&e.code, &e.message, &e.fix));
                    }
                }
                Err(e) => audit.findings.push(Finding::error(
                    "download-failed",
                    e.to_string(),
                    e.fix().unwrap_or_else(|| "run the audit again".to_owned()),
                )),
            }
        }
        Ok(())
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
        match (&audit.signing, audit.is_ok()) {
            (SigningState::Unsigned, _) => summary.unsigned += 1,
            (SigningState::PartiallySigned { .. }, _) => summary.partially_signed += 1,
            (SigningState::Signed, true) => summary.signed_ok += 1,
            (SigningState::Signed, false) => summary.signed_with_errors += 1,
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

/// The readable table: one row per image, its findings and fixes under it.
fn render_table(report: &AuditReport, warning_days: u32) -> String {
    let s = &report.summary;
    let mut text = format!(
        "Audited {} image{} visible to project {}: {} signed and usable, {} signed with \
         errors, {} partially signed, {} unsigned ({} with warnings; expiry warnings within {} \
         days).\n",
        s.images,
        if s.images == 1 { "" } else { "s" },
        report.project.as_deref().unwrap_or("?"),
        s.signed_ok,
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
        "\n{:<36}  {:<NAME_WIDTH$}  {:<11}  {:<16}  RESULT\n",
        "IMAGE", "NAME", "STATUS", "SIGNING"
    );
    let indent = " ".repeat(38);
    for audit in &report.images {
        let signing = match &audit.signing {
            SigningState::Unsigned => "unsigned",
            SigningState::PartiallySigned { .. } => "partial",
            SigningState::Signed => "signed",
        };
        let result = match (audit.is_ok(), audit.findings.len(), audit.data_verified) {
            (true, 0, Some(true)) => "✔ ok, data verified".to_owned(),
            (true, 0, _) => "✔ ok".to_owned(),
            (true, n, _) => format!("! {n} warning{}", if n == 1 { "" } else { "s" }),
            (false, _, _) => "✘ fails".to_owned(),
        };
        text += &format!(
            "{:<36}  {:<NAME_WIDTH$}  {:<11}  {:<16}  {result}\n",
            audit.id,
            truncate(audit.name.as_deref().unwrap_or("-"), NAME_WIDTH),
            audit.status,
            signing,
        );
        for finding in &audit.findings {
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
            .filter(|_| !audit.findings.is_empty())
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
    text
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(width - 1).collect();
    short.push('…');
    short
}

#[cfg(test)]
mod tests {
    use super::*;

    fn audit(signing: SigningState, findings: Vec<Finding>) -> ImageAudit {
        ImageAudit {
            id: "8a2ea42d-06b5-42c2-a54d-97105420f2bb".into(),
            name: Some("a very long image name that goes on and on".into()),
            status: "active".into(),
            owner: None,
            visibility: "private".into(),
            signing,
            certificate: None,
            data_verified: None,
            findings,
        }
    }

    #[test]
    fn table_rows_carry_their_fixes() {
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
        let report = AuditReport {
            project: Some("demo".into()),
            summary: summarize(&images),
            images,
        };
        assert_eq!(report.summary.signed_ok, 1);
        assert_eq!(report.summary.partially_signed, 1);
        let text = render_table(&report, 30);
        assert!(text.contains("1 signed and usable"), "{text}");
        assert!(text.contains("✔ ok"), "{text}");
        assert!(text.contains("✘ fails"), "{text}");
        assert!(text.contains("fix: sign it"), "{text}");
        assert!(text.contains("a very long image name …"), "{text}");
    }
}
