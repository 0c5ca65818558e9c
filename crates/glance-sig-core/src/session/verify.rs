//! A verification session: the properties, the certificate, the trusted certificates and a
//! time in; chunks of image data fed in one pass, and in a second pass when a failure is
//! worth explaining; one [`Report`] out.

use crate::certificate::Certificate;
use crate::chain::validate_chain_like_nova;
use crate::explain::{Diagnosis, Explainer};
use crate::policy;
use crate::properties::SignatureProperties;
use crate::public_key::PublicKey;
use crate::report::Report;
use crate::verify::{SignatureVerdict, Verifier};

/// Which pass over the image data a session wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// The verification pass.
    Verify,
    /// The second pass after a failure, with all four hashes (the same data again).
    Explain,
}

impl Pass {
    /// For progress lines: "verifying", "explaining".
    pub fn label(self) -> &'static str {
        match self {
            Pass::Verify => "verifying",
            Pass::Explain => "explaining",
        }
    }
}

enum Stage {
    Verifying(Box<Verifier>),
    Explaining(SignatureVerdict, Box<Explainer>),
    Done(SignatureVerdict, Vec<Diagnosis>),
}

/// Verifies an image as cursive does, explains a failure, validates the chain as Nova does,
/// and reports who signed.
///
/// ```text
/// let mut session = VerificationSession::new(props, Some(cert), anchors, now);
/// while let Some(pass) = session.wants_data() {
///     for chunk in image_data() { session.update(chunk) }
///     session.end_pass();
/// }
/// let report = session.report();
/// ```
pub struct VerificationSession {
    cert: Option<Certificate>,
    anchors: Vec<Certificate>,
    at: i64,
    explain: bool,
    props: SignatureProperties,
    stage: Stage,
}

impl VerificationSession {
    /// A session for `props` checked against `cert` (the certificate the image names; `None`
    /// when there is none to be had), `anchors` (trusted certificates; empty: authenticity is
    /// not established) at `at` (Unix seconds). Properties cursive refuses before reading data
    /// decide the verdict at once: the session then wants no data.
    pub fn new(
        props: SignatureProperties,
        cert: Option<Certificate>,
        anchors: Vec<Certificate>,
        at: i64,
    ) -> Self {
        // With no certificate, a key of no known algorithm fits no key type: `Verifier::new`
        // refuses, and for a missing certificate id it refuses for that first, as cursive does.
        let no_key = PublicKey::Other {
            algorithm: "no certificate".to_owned(),
        };
        let key = cert.as_ref().map_or(&no_key, Certificate::public_key);
        let stage = match Verifier::new(&props, key) {
            Ok(v) => Stage::Verifying(Box::new(v)),
            // Refused before any data is read, as Glance answers at once.
            Err(r) => Stage::Done(SignatureVerdict::rejected(&props, r), Vec::new()),
        };
        Self {
            cert,
            anchors,
            at,
            explain: true,
            props,
            stage,
        }
    }

    /// Whether a failure worth explaining gets the second pass (default: yes).
    #[must_use]
    pub fn explain_failures(mut self, explain: bool) -> Self {
        self.explain = explain;
        self
    }

    /// The pass that wants image data now, or `None` when the report is ready.
    pub fn wants_data(&self) -> Option<Pass> {
        match self.stage {
            Stage::Verifying(_) => Some(Pass::Verify),
            Stage::Explaining(..) => Some(Pass::Explain),
            Stage::Done(..) => None,
        }
    }

    /// Feeds the next chunk of the current pass (ignored when no pass wants data).
    pub fn update(&mut self, chunk: &[u8]) {
        match &mut self.stage {
            Stage::Verifying(v) => v.update(chunk),
            Stage::Explaining(_, ex) => ex.update(chunk),
            Stage::Done(..) => {}
        }
    }

    /// Ends the current pass: all of the image has been fed. A refusal worth explaining
    /// then asks for the data again.
    pub fn end_pass(&mut self) {
        let stage = std::mem::replace(&mut self.stage, Stage::Done(placeholder(), Vec::new()));
        self.stage = match stage {
            Stage::Verifying(v) => {
                let verdict = v.finish();
                let explainer = self
                    .cert
                    .as_ref()
                    .filter(|_| self.explain && verdict.explainable())
                    .and_then(|c| Explainer::new(&self.props, c.public_key()));
                match explainer {
                    Some(ex) => Stage::Explaining(verdict, Box::new(ex)),
                    None => Stage::Done(verdict, Vec::new()),
                }
            }
            Stage::Explaining(verdict, ex) => Stage::Done(verdict, ex.finish()),
            done @ Stage::Done(..) => done,
        };
    }

    /// The report. A pass not ended is ended now, with the data fed so far; a second pass
    /// not fed gives no explanation.
    pub fn report(self) -> Report {
        let (verdict, diagnosis) = match self.stage {
            Stage::Verifying(v) => (v.finish(), Vec::new()),
            Stage::Explaining(verdict, _) => (verdict, Vec::new()),
            Stage::Done(verdict, diagnosis) => (verdict, diagnosis),
        };
        let chain = self
            .cert
            .as_ref()
            .filter(|_| !self.anchors.is_empty())
            .map(|c| validate_chain_like_nova(c, &self.anchors, self.at));
        // With trusted certificates the chain reports the dates; without, say what Nova does.
        let dates = self
            .cert
            .as_ref()
            .filter(|_| self.anchors.is_empty())
            .and_then(|c| policy::certificate_dates(c.not_before(), c.not_after(), self.at));
        let mut warnings: Vec<_> = dates.into_iter().collect();
        if let Some(cert) = &self.cert {
            if let Some(hash) = verdict.signature.hash_method {
                warnings.extend(crate::weakness::of_signature(cert.public_key(), hash));
            }
            // The signing certificate, and the trusted ones its chain went through.
            let above = chain.as_ref().map_or(&[][..], |c| &c.path[1..]);
            let path = self.anchors.iter().filter(|a| above.contains(&a.subject()));
            warnings.extend(crate::weakness::of_chain(std::iter::once(cert).chain(path)));
        }
        Report::new(
            verdict,
            self.cert.as_ref(),
            chain,
            &diagnosis,
            self.at,
            warnings,
        )
    }
}

/// A stand-in for the moment a stage is moved out (never observed).
fn placeholder() -> SignatureVerdict {
    SignatureVerdict::rejected(
        &SignatureProperties::default(),
        crate::rejection::Rejection::SignatureMismatch,
    )
}
