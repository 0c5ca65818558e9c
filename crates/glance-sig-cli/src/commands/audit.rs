//! `glance-sig audit`: every image the token can list, judged as Glance and Nova (with
//! `verify_glance_signatures`) will judge it, each finding with its fix.
//!
//! Per image: unsigned, partially signed (which properties are missing), or signed; for signed
//! images the property values, the certificate secret (reachable? in the form castellan reads?
//! a Barbican expiration?), the certificate itself (dates, key class against the key type) and,
//! with `--verify`, the data downloaded and checked.

use std::collections::BTreeMap;

use glance_sig_core::policy::{self, Finding, ImageVerdict, Severity};
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
/// The finding of a `--verify` download that broke.
const DOWNLOAD_FAILED: &str = "download-failed";
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
        audit.judge();
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
                    audit.checked_at = Some(unix_now());
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
        let report = AuditReport {
            project: Some("demo".into()),
            summary: summarize(&images),
            images,
        };
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
