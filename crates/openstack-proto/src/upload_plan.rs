//! A signed upload as a sans-IO state machine: create → upload → confirm, and delete on any
//! failure. The CLI and the portal drive this one plan; each only sends what it is told to
//! send and hands back what came back.
//!
//! - The image is created with all four signature properties in its one create request and
//!   under an id the client chose, so no image ever carries a partial set, and an image whose
//!   create answer was lost can still be found and deleted.
//! - The data goes up in one `PUT` ([`Next::SendData`]); Glance verifies it while storing.
//! - A `GET` confirms the image is `active` and still has the four properties as sent (asked
//!   again while Glance is still `saving`, within a time budget).
//! - Any failure after the create request went out deletes the image (unless the caller asked
//!   to keep it), retrying while Glance is busy; what cannot be deleted is named in
//!   [`Cleanup::DeleteFailed`], whose text gives `openstack image delete <id>`.
//!
//! No clock is read: waits are handed to the caller as durations ([`Next::SendAfter`]) and
//! the budgets count those.
//!
//! ```
//! use openstack_proto::glance::{Glance, NewImage};
//! use openstack_proto::signature::SignatureProperties;
//! use openstack_proto::upload_plan::{Next, UploadPlan};
//! use openstack_proto::{Response, Secret};
//!
//! # fn main() -> Result<(), openstack_proto::ApiError> {
//! let glance = Glance::new("http://127.0.0.1:9292", &Secret::from("token"));
//! let signature = SignatureProperties {
//!     signature: Some("c2ln".into()),
//!     hash_method: Some("SHA-256".into()),
//!     key_type: Some("RSA-PSS".into()),
//!     certificate_uuid: Some("0f3f0fa2-5b0e-4a3c-9d35-2b7e0d3f5a11".into()),
//! };
//! let id = "8a2ea42d-06b5-42c2-a54d-97105420f2bb".to_owned();
//! let image = NewImage::new("cirros", "qcow2", "bare");
//! let (mut plan, create) = UploadPlan::<String>::new(&glance, image, &signature, id, 1024)?;
//! assert!(create.url.ends_with("/v2/images"));
//! // The caller sends `create`; say the connection broke before any answer came:
//! let next = plan.not_sent("connection reset".to_owned());
//! // ... so the plan deletes the image by the id it chose.
//! assert!(matches!(next, Next::Send(ref r) if r.method == openstack_proto::Method::Delete));
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::time::Duration;

use crate::error::{ApiError, GlanceRefusal};
use crate::glance::{parse_deleted, parse_image, parse_uploaded, Glance, Image, NewImage};
use crate::http::{Request, Response};
use crate::secret::Secret;
use crate::signature::{SignatureProperties, SigningState};

/// The pause between two status reads while Glance is still storing the data.
pub const CONFIRM_POLL: Duration = Duration::from_millis(500);
/// The first pause before deleting again after a failed delete; it doubles up to
/// [`DELETE_RETRY_MAX`].
pub const DELETE_RETRY_FIRST: Duration = Duration::from_millis(250);
/// The longest pause between two delete attempts.
pub const DELETE_RETRY_MAX: Duration = Duration::from_secs(4);

/// What the caller does next.
#[derive(Debug)]
pub enum Next<E> {
    /// Send this request now and hand the answer to [`UploadPlan::answer`] (or the failure to
    /// [`UploadPlan::not_sent`]).
    Send(Request),
    /// Send this request with the image data streamed as its body (its headers carry the
    /// `Content-Length` given to [`UploadPlan::new`]).
    SendData(Request),
    /// Wait this long, then send the request (Glance still storing, or busy for a delete).
    SendAfter(Duration, Request),
    /// The plan is over.
    Done(UploadOutcome<E>),
}

/// Where the plan is, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// `POST /v2/images`, or checking whether a refused create left an image.
    Creating,
    /// `PUT /v2/images/{id}/file`.
    Uploading,
    /// `GET /v2/images/{id}` until `active`.
    Confirming,
    /// `DELETE /v2/images/{id}` after a failure.
    CleaningUp,
    /// Over.
    Done,
}

/// The request that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// Creating the image record.
    Create,
    /// Sending the data.
    Upload,
    /// Reading the image back.
    Confirm,
}

impl Step {
    /// What was being done, for messages (`creating the image`, ...).
    pub fn doing(self) -> &'static str {
        match self {
            Self::Create => "creating the image",
            Self::Upload => "uploading the image data",
            Self::Confirm => "reading the image status",
        }
    }
}

/// Why a step failed. `E` is the caller's transport error.
#[derive(Debug)]
pub enum Cause<E> {
    /// Glance answered with an error, or with something unreadable.
    Api(ApiError),
    /// The request could not be sent or its answer not received.
    NotSent(E),
    /// Glance took the data but the image did not become `active`.
    NotActive {
        /// Its last status (`killed`: Glance threw the data away).
        status: String,
        /// How long the plan asked the caller to wait, in all.
        waited: Duration,
    },
    /// The image is active but lacks signature properties as sent: Nova would refuse it.
    PropertiesLost {
        /// The properties missing or changed.
        properties: Vec<&'static str>,
    },
    /// The plan was given an answer while it expected none (a caller bug).
    OutOfOrder,
}

impl<E: fmt::Display> fmt::Display for Cause<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api(error) => error.fmt(f),
            Self::NotSent(error) => error.fmt(f),
            Self::NotActive { status, waited } => write!(
                f,
                "the image is {status}, not active (waited {} s)",
                waited.as_secs()
            ),
            Self::PropertiesLost { properties } => write!(
                f,
                "the image is active but Glance did not keep {} as sent",
                properties.join(", ")
            ),
            Self::OutOfOrder => f.write_str("the upload plan was driven out of order"),
        }
    }
}

/// What became of the image after a failure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cleanup {
    /// Glance refused the create request and has no image under the id: nothing to delete.
    NothingCreated,
    /// Deleted (or already gone): nothing is left behind.
    Deleted,
    /// Kept, as the caller asked: queued, all four signature properties, maybe no data.
    Kept {
        /// The image.
        image_id: String,
    },
    /// The delete failed too: the image must be deleted by hand.
    DeleteFailed {
        /// The image left behind.
        image_id: String,
        /// Why the (last) delete failed.
        why: String,
    },
}

impl Cleanup {
    /// Whether nothing is left in Glance.
    pub fn nothing_left(&self) -> bool {
        matches!(self, Self::NothingCreated | Self::Deleted)
    }
}

impl fmt::Display for Cleanup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NothingCreated => f.write_str("no image was created; nothing is left behind"),
            Self::Deleted => f.write_str("the image was deleted; nothing is left behind"),
            Self::Kept { image_id } => write!(
                f,
                "the image was kept (as asked): it is queued, with all four signature \
                 properties; delete it with `openstack image delete {image_id}`"
            ),
            Self::DeleteFailed { image_id, why } => write!(
                f,
                "deleting the image failed too ({why}): it is left behind; delete it with \
                 `openstack image delete {image_id}`"
            ),
        }
    }
}

/// How the plan ended.
#[derive(Debug)]
pub enum UploadOutcome<E> {
    /// Glance verified the data while storing it; the image is active with all four
    /// properties as sent.
    Active(Box<Image>),
    /// Glance refused the data because of its signature (the 400 of the upload).
    Refused {
        /// The image it had.
        image_id: String,
        /// Glance's answer.
        error: ApiError,
        /// Why, read from the answer.
        refusal: GlanceRefusal,
        /// What became of the image.
        cleanup: Cleanup,
    },
    /// Something else failed.
    Failed {
        /// The image id (chosen before the create request).
        image_id: String,
        /// The request that failed.
        step: Step,
        /// Why.
        cause: Cause<E>,
        /// What became of the image.
        cleanup: Cleanup,
    },
}

/// The create → upload → confirm → (delete) sequence for one signed image.
#[derive(Debug)]
pub struct UploadPlan<E> {
    glance: Glance,
    image_id: String,
    signature: SignatureProperties,
    data_len: u64,
    keep: bool,
    confirm_budget: Duration,
    waited: Duration,
    delete_budget: Duration,
    state: State<E>,
}

#[derive(Debug)]
enum State<E> {
    Creating,
    /// The create request was refused: does an image exist under the id anyway?
    Probing(Cause<E>),
    Uploading,
    Confirming,
    Deleting {
        deletion: ImageDeletion,
        failure: Failure<E>,
    },
    Done,
}

/// A failure waiting for its cleanup.
#[derive(Debug)]
enum Failure<E> {
    Refused(ApiError, GlanceRefusal),
    Step(Step, Cause<E>),
}

impl<E: fmt::Display> UploadPlan<E> {
    /// A plan for `image` with the four `signature` properties, created under `image_id` (see
    /// [`crate::glance::image_id_from_random`]), for `data_len` bytes of data. Returns the
    /// create request to send first. Defaults: delete on failure, wait up to 60 s for
    /// `active`, try deleting for up to 20 s.
    ///
    /// # Errors
    /// [`ApiError::InvalidInput`] when the create request cannot be built (an extra property
    /// named like one of Glance's attributes), or when `signature` lacks one of the four:
    /// Glance would store the data unverified, so no such image is ever created.
    pub fn new(
        glance: &Glance,
        image: NewImage,
        signature: &SignatureProperties,
        image_id: String,
        data_len: u64,
    ) -> Result<(Self, Request), ApiError> {
        let missing = match signature.signing_state() {
            SigningState::Signed => Vec::new(),
            SigningState::Unsigned => crate::signature::SIGNATURE_PROPERTY_NAMES.to_vec(),
            SigningState::PartiallySigned { missing } => missing,
        };
        if !missing.is_empty() {
            return Err(ApiError::InvalidInput(format!(
                "the signature lacks {}: an image is created with all four signature properties or not at all",
                missing.join(", ")
            )));
        }
        let mut image = image.with_signature(signature);
        image.id = Some(image_id.clone());
        let create = glance.create_image(&image)?;
        let plan = Self {
            glance: glance.clone(),
            image_id,
            signature: signature.clone(),
            data_len,
            keep: false,
            confirm_budget: Duration::from_secs(60),
            waited: Duration::ZERO,
            delete_budget: Duration::from_secs(20),
            state: State::Creating,
        };
        Ok((plan, create))
    }

    /// Keeps the image after a failure instead of deleting it (the CLI's `--keep`).
    #[must_use]
    pub fn keep_on_failure(mut self, keep: bool) -> Self {
        self.keep = keep;
        self
    }

    /// How long to keep asking for the status while Glance is still storing the data.
    #[must_use]
    pub fn confirm_timeout(mut self, budget: Duration) -> Self {
        self.confirm_budget = budget;
        self
    }

    /// How long to keep retrying a delete that Glance answers with 409 or 5xx.
    #[must_use]
    pub fn delete_timeout(mut self, budget: Duration) -> Self {
        self.delete_budget = budget;
        self
    }

    /// Every request handed out from now on carries `token`: the door renewed the session's
    /// token (same user and project) because the old one would expire before the plan ends.
    /// Call it before [`answer`](Self::answer): the next request is built there.
    pub fn renew_token(&mut self, token: &Secret) {
        self.glance = self.glance.with_token(token);
        if let State::Deleting { deletion, .. } = &mut self.state {
            deletion.glance = deletion.glance.with_token(token);
        }
    }

    /// The image id, chosen before anything was sent.
    pub fn image_id(&self) -> &str {
        &self.image_id
    }

    /// Where the plan is.
    pub fn phase(&self) -> Phase {
        match self.state {
            State::Creating | State::Probing(_) => Phase::Creating,
            State::Uploading => Phase::Uploading,
            State::Confirming => Phase::Confirming,
            State::Deleting { .. } => Phase::CleaningUp,
            State::Done => Phase::Done,
        }
    }

    /// Takes the answer to the request last handed out.
    pub fn answer(&mut self, response: &Response) -> Next<E> {
        match std::mem::replace(&mut self.state, State::Done) {
            State::Creating => match parse_image(response) {
                Ok(_) => self.upload(),
                // A refusal (4xx) usually means no image: look before deleting anything.
                Err(error) if error.status().is_some_and(|status| status < 500) => {
                    self.state = State::Probing(Cause::Api(error));
                    Next::Send(self.glance.show_image(&self.image_id))
                }
                Err(error) => self.fail(Failure::Step(Step::Create, Cause::Api(error))),
            },
            State::Probing(cause) => match parse_image(response) {
                Err(error) if error.is_not_found() => {
                    self.done_failed(Failure::Step(Step::Create, cause), Cleanup::NothingCreated)
                }
                _ => self.fail(Failure::Step(Step::Create, cause)),
            },
            State::Uploading => match parse_uploaded(response) {
                Ok(()) => self.confirm(),
                Err(error) => match error.signature_refusal() {
                    Some(refusal) => self.fail(Failure::Refused(error, refusal)),
                    None => self.fail(Failure::Step(Step::Upload, Cause::Api(error))),
                },
            },
            State::Confirming => match parse_image(response) {
                Ok(image) => self.confirmed(image),
                Err(error) => self.fail(Failure::Step(Step::Confirm, Cause::Api(error))),
            },
            State::Deleting {
                mut deletion,
                failure,
            } => {
                let step = deletion.answer(response);
                self.deleting(deletion, failure, step)
            }
            State::Done => self.out_of_order(),
        }
    }

    /// Takes the failure to send the request last handed out, or to receive its answer.
    pub fn not_sent(&mut self, error: E) -> Next<E> {
        match std::mem::replace(&mut self.state, State::Done) {
            // The create may have reached Glance: the chosen id is deleted either way.
            State::Creating => self.fail(Failure::Step(Step::Create, Cause::NotSent(error))),
            State::Probing(cause) => self.fail(Failure::Step(Step::Create, cause)),
            State::Uploading => self.fail(Failure::Step(Step::Upload, Cause::NotSent(error))),
            State::Confirming => self.fail(Failure::Step(Step::Confirm, Cause::NotSent(error))),
            State::Deleting {
                mut deletion,
                failure,
            } => {
                let step = deletion.not_sent(&error);
                self.deleting(deletion, failure, step)
            }
            State::Done => self.out_of_order(),
        }
    }

    fn upload(&mut self) -> Next<E> {
        self.state = State::Uploading;
        Next::SendData(self.glance.upload(&self.image_id, Some(self.data_len)))
    }

    fn confirm(&mut self) -> Next<E> {
        self.state = State::Confirming;
        Next::Send(self.glance.show_image(&self.image_id))
    }

    fn confirmed(&mut self, image: Image) -> Next<E> {
        match image.status.as_str() {
            "active" => {
                let lost: Vec<&'static str> = self
                    .signature
                    .to_pairs()
                    .into_iter()
                    .filter(|(name, value)| {
                        image.properties.get(*name).map(String::as_str) != Some(value)
                    })
                    .map(|(name, _)| name)
                    .collect();
                if lost.is_empty() {
                    return Next::Done(UploadOutcome::Active(Box::new(image)));
                }
                self.fail(Failure::Step(
                    Step::Confirm,
                    Cause::PropertiesLost { properties: lost },
                ))
            }
            "queued" | "saving" | "importing"
                if self.waited + CONFIRM_POLL <= self.confirm_budget =>
            {
                self.waited += CONFIRM_POLL;
                self.state = State::Confirming;
                Next::SendAfter(CONFIRM_POLL, self.glance.show_image(&self.image_id))
            }
            _ => self.fail(Failure::Step(
                Step::Confirm,
                Cause::NotActive {
                    status: image.status,
                    waited: self.waited,
                },
            )),
        }
    }

    /// Starts the cleanup after `failure`.
    fn fail(&mut self, failure: Failure<E>) -> Next<E> {
        if self.keep {
            let image_id = self.image_id.clone();
            return self.done_failed(failure, Cleanup::Kept { image_id });
        }
        let (deletion, request) =
            ImageDeletion::new(&self.glance, &self.image_id, self.delete_budget);
        self.state = State::Deleting { deletion, failure };
        Next::Send(request)
    }

    fn deleting(
        &mut self,
        deletion: ImageDeletion,
        failure: Failure<E>,
        step: DeletionStep,
    ) -> Next<E> {
        match step {
            DeletionStep::Retry(pause, request) => {
                self.state = State::Deleting { deletion, failure };
                Next::SendAfter(pause, request)
            }
            DeletionStep::Done(cleanup) => self.done_failed(failure, cleanup),
        }
    }

    fn done_failed(&mut self, failure: Failure<E>, cleanup: Cleanup) -> Next<E> {
        self.state = State::Done;
        let image_id = self.image_id.clone();
        Next::Done(match failure {
            Failure::Refused(error, refusal) => UploadOutcome::Refused {
                image_id,
                error,
                refusal,
                cleanup,
            },
            Failure::Step(step, cause) => UploadOutcome::Failed {
                image_id,
                step,
                cause,
                cleanup,
            },
        })
    }

    /// An answer after the end: nothing is known about the image any more, so it is named
    /// for deleting by hand rather than claimed gone.
    fn out_of_order(&mut self) -> Next<E> {
        let image_id = self.image_id.clone();
        Next::Done(UploadOutcome::Failed {
            image_id: image_id.clone(),
            step: Step::Confirm,
            cause: Cause::OutOfOrder,
            cleanup: Cleanup::DeleteFailed {
                image_id,
                why: "the upload plan was driven out of order".to_owned(),
            },
        })
    }
}

/// Deleting one image, retried while Glance is busy with it (409, or 5xx while its row is
/// locked by a broken upload) or unreachable, with doubling pauses, until a time budget is
/// spent. The plan's cleanup and the CLI's Ctrl-C handler both use it.
#[derive(Clone, Debug)]
pub struct ImageDeletion {
    glance: Glance,
    image_id: String,
    budget: Duration,
    waited: Duration,
    pause: Duration,
}

/// What to do after a delete attempt.
#[derive(Debug)]
pub enum DeletionStep {
    /// Wait, then send this delete again.
    Retry(Duration, Request),
    /// Over.
    Done(Cleanup),
}

impl ImageDeletion {
    /// A deletion of `image_id`, retried for up to `budget`, and its first request.
    pub fn new(glance: &Glance, image_id: &str, budget: Duration) -> (Self, Request) {
        let deletion = Self {
            glance: glance.clone(),
            image_id: image_id.to_owned(),
            budget,
            waited: Duration::ZERO,
            pause: DELETE_RETRY_FIRST,
        };
        let request = glance.delete_image(image_id);
        (deletion, request)
    }

    /// Takes the answer to the last delete.
    pub fn answer(&mut self, response: &Response) -> DeletionStep {
        match parse_deleted(response) {
            Ok(()) => DeletionStep::Done(Cleanup::Deleted),
            // Already gone is as good as deleted.
            Err(error) if error.is_not_found() => DeletionStep::Done(Cleanup::Deleted),
            Err(error) => {
                let busy = error
                    .status()
                    .is_some_and(|status| status == 409 || status >= 500);
                self.again(busy, &error)
            }
        }
    }

    /// Takes the failure to send the last delete.
    pub fn not_sent(&mut self, error: &dyn fmt::Display) -> DeletionStep {
        self.again(true, error)
    }

    fn again(&mut self, transient: bool, why: &dyn fmt::Display) -> DeletionStep {
        if !transient || self.waited + self.pause > self.budget {
            return DeletionStep::Done(Cleanup::DeleteFailed {
                image_id: self.image_id.clone(),
                why: why.to_string(),
            });
        }
        let pause = self.pause;
        self.waited += pause;
        self.pause = (pause * 2).min(DELETE_RETRY_MAX);
        DeletionStep::Retry(pause, self.glance.delete_image(&self.image_id))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::http::{Body, Method};
    use crate::test_support::{glance, signature};

    const ID: &str = "8a2ea42d-06b5-42c2-a54d-97105420f2bb";
    const IMAGE_URL: &str = "http://127.0.0.1:9292/v2/images/8a2ea42d-06b5-42c2-a54d-97105420f2bb";

    #[test]
    fn an_incomplete_signature_creates_nothing() {
        let partial = SignatureProperties {
            signature: None,
            ..signature()
        };
        let refused = UploadPlan::<String>::new(
            &glance(),
            NewImage::new("cirros", "raw", "bare"),
            &partial,
            "1b0e8f7a-0000-4000-8000-000000000001".into(),
            3,
        );
        let Err(ApiError::InvalidInput(message)) = refused else {
            panic!("an incomplete signature must be refused before any request");
        };
        assert!(message.contains("img_signature"), "{message}");
    }

    fn new_plan() -> (UploadPlan<String>, Request) {
        UploadPlan::new(
            &glance(),
            NewImage::new("cirros", "raw", "bare"),
            &signature(),
            ID.to_owned(),
            4096,
        )
        .expect("plan")
    }

    fn image(status: &str, signature: &SignatureProperties) -> Response {
        let mut body = json!({ "id": ID, "status": status, "name": "cirros" });
        for (key, value) in signature.to_pairs() {
            body[key] = value.into();
        }
        Response::new(200, Vec::new(), body.to_string().into_bytes())
    }

    fn status(code: u16, message: &str) -> Response {
        let body = json!({ "message": message }).to_string().into_bytes();
        Response::new(code, Vec::new(), body)
    }

    fn empty(code: u16) -> Response {
        Response::new(code, Vec::new(), Vec::new())
    }

    fn sent(next: Next<String>) -> Request {
        match next {
            Next::Send(request) => request,
            other => panic!("expected a request, got {other:?}"),
        }
    }

    fn done(next: Next<String>) -> UploadOutcome<String> {
        match next {
            Next::Done(outcome) => outcome,
            other => panic!("expected the end, got {other:?}"),
        }
    }

    fn assert_request(request: &Request, method: Method, url: &str) {
        assert_eq!((request.method, request.url.as_str()), (method, url));
    }

    /// Up to the data request, answered 201.
    fn created() -> UploadPlan<String> {
        let (mut plan, _) = new_plan();
        match plan.answer(&image("queued", &signature())) {
            Next::SendData(request) => {
                assert_request(&request, Method::Put, &format!("{IMAGE_URL}/file"));
                assert_eq!(request.body, Body::Stream);
                assert_eq!(request.header("content-length"), Some("4096"));
            }
            other => panic!("expected the data request, got {other:?}"),
        }
        assert_eq!(plan.phase(), Phase::Uploading);
        plan
    }

    fn expect_deleted(plan: &mut UploadPlan<String>) -> UploadOutcome<String> {
        assert_eq!(plan.phase(), Phase::CleaningUp);
        done(plan.answer(&empty(204)))
    }

    #[test]
    fn a_renewed_token_is_carried_by_every_later_request() {
        let mut plan = created();
        let fresh = Secret::from("fresh-token");
        plan.renew_token(&fresh);
        let confirm = sent(plan.answer(&empty(204)));
        assert_request(&confirm, Method::Get, IMAGE_URL);
        assert_eq!(confirm.header("x-auth-token"), Some("fresh-token"));
        // And the cleanup after a failure, renewed while it retries.
        let mut plan = created();
        let delete = sent(plan.answer(&status(500, "boom")));
        assert_eq!(delete.header("x-auth-token"), Some("tok"));
        plan.renew_token(&fresh);
        let Next::SendAfter(_, again) = plan.answer(&status(409, "busy")) else {
            panic!("a busy delete is retried");
        };
        assert_eq!(again.header("x-auth-token"), Some("fresh-token"));
    }

    #[test]
    fn the_create_request_carries_all_four_properties_and_the_chosen_id() {
        let (plan, create) = new_plan();
        assert_request(&create, Method::Post, "http://127.0.0.1:9292/v2/images");
        let Body::Json(bytes) = &create.body else {
            panic!("no JSON body");
        };
        let body: serde_json::Value = serde_json::from_slice(bytes).expect("JSON");
        assert_eq!(body["id"], ID);
        for (key, value) in signature().to_pairs() {
            assert_eq!(body[key], value, "{key}");
        }
        assert_eq!(plan.phase(), Phase::Creating);
        assert_eq!(plan.image_id(), ID);
    }

    #[test]
    fn a_reserved_extra_property_is_refused_before_anything_is_sent() {
        let image = NewImage::new("x", "raw", "bare").with_property("status", "active");
        let error = UploadPlan::<String>::new(&glance(), image, &signature(), ID.into(), 1)
            .expect_err("reserved");
        assert_eq!(error.kind(), crate::ErrorKind::InvalidInput);
    }

    #[test]
    fn success_is_create_upload_confirm() {
        let mut plan = created();
        let show = sent(plan.answer(&empty(204)));
        assert_request(&show, Method::Get, IMAGE_URL);
        assert_eq!(plan.phase(), Phase::Confirming);
        match done(plan.answer(&image("active", &signature()))) {
            UploadOutcome::Active(image) => assert_eq!(image.id, ID),
            other => panic!("{other:?}"),
        }
        assert_eq!(plan.phase(), Phase::Done);
    }

    #[test]
    fn saving_is_asked_again_within_the_budget_then_fails_and_deletes() {
        let mut plan = created().confirm_timeout(Duration::from_secs(1));
        sent(plan.answer(&empty(204)));
        for _ in 0..2 {
            match plan.answer(&image("saving", &signature())) {
                Next::SendAfter(pause, request) => {
                    assert_eq!(pause, CONFIRM_POLL);
                    assert_request(&request, Method::Get, IMAGE_URL);
                }
                other => panic!("{other:?}"),
            }
        }
        let delete = sent(plan.answer(&image("saving", &signature())));
        assert_request(&delete, Method::Delete, IMAGE_URL);
        match expect_deleted(&mut plan) {
            UploadOutcome::Failed {
                step: Step::Confirm,
                cause: Cause::NotActive { status, waited },
                cleanup: Cleanup::Deleted,
                ..
            } => {
                assert_eq!(status, "saving");
                assert_eq!(waited, Duration::from_secs(1));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn killed_fails_at_once_and_deletes() {
        let mut plan = created();
        sent(plan.answer(&empty(204)));
        let delete = sent(plan.answer(&image("killed", &signature())));
        assert_request(&delete, Method::Delete, IMAGE_URL);
        let outcome = expect_deleted(&mut plan);
        assert!(matches!(
            outcome,
            UploadOutcome::Failed { cause: Cause::NotActive { ref status, .. }, .. } if status == "killed"
        ));
    }

    #[test]
    fn an_active_image_without_the_properties_as_sent_is_deleted() {
        let mut plan = created();
        sent(plan.answer(&empty(204)));
        let mut changed = signature();
        changed.key_type = Some("ECC_SECP384R1".into());
        let delete = sent(plan.answer(&image("active", &changed)));
        assert_request(&delete, Method::Delete, IMAGE_URL);
        match expect_deleted(&mut plan) {
            UploadOutcome::Failed {
                cause: Cause::PropertiesLost { properties },
                ..
            } => assert_eq!(properties, ["img_signature_key_type"]),
            other => panic!("{other:?}"),
        }
        // None at all.
        let mut plan = created();
        sent(plan.answer(&empty(204)));
        let bare = Response::new(
            200,
            Vec::new(),
            json!({"id": ID, "status": "active"})
                .to_string()
                .into_bytes(),
        );
        sent(plan.answer(&bare));
        match expect_deleted(&mut plan) {
            UploadOutcome::Failed {
                cause: Cause::PropertiesLost { properties },
                ..
            } => assert_eq!(properties.len(), 4),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_signature_refusal_is_typed_and_the_image_deleted() {
        let mut plan = created();
        let delete = sent(plan.answer(&status(
            400,
            "Signature verification failed: Signature verification failed",
        )));
        assert_request(&delete, Method::Delete, IMAGE_URL);
        match expect_deleted(&mut plan) {
            UploadOutcome::Refused {
                image_id,
                refusal,
                cleanup,
                error,
            } => {
                assert_eq!(image_id, ID);
                assert_eq!(refusal, GlanceRefusal::DataMismatch);
                assert_eq!(cleanup, Cleanup::Deleted);
                assert_eq!(error.status(), Some(400));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn another_upload_error_or_a_broken_connection_deletes() {
        let mut plan = created();
        sent(plan.answer(&status(413, "Request Entity Too Large")));
        assert!(matches!(
            expect_deleted(&mut plan),
            UploadOutcome::Failed { step: Step::Upload, cause: Cause::Api(ref e), cleanup: Cleanup::Deleted, .. } if e.status() == Some(413)
        ));
        let mut plan = created();
        let delete = sent(plan.not_sent("connection reset".into()));
        assert_request(&delete, Method::Delete, IMAGE_URL);
        assert!(matches!(
            expect_deleted(&mut plan),
            UploadOutcome::Failed { step: Step::Upload, cause: Cause::NotSent(ref e), .. } if e == "connection reset"
        ));
    }

    #[test]
    fn a_refused_create_with_no_image_needs_no_cleanup() {
        let (mut plan, _) = new_plan();
        let probe = sent(plan.answer(&status(403, "quota exceeded")));
        assert_request(&probe, Method::Get, IMAGE_URL);
        assert_eq!(plan.phase(), Phase::Creating);
        match done(plan.answer(&status(404, "not found"))) {
            UploadOutcome::Failed {
                step: Step::Create,
                cause: Cause::Api(error),
                cleanup,
                ..
            } => {
                assert_eq!(error.status(), Some(403));
                assert_eq!(cleanup, Cleanup::NothingCreated);
                assert!(cleanup.nothing_left());
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_refused_create_that_left_an_image_deletes_it() {
        let (mut plan, _) = new_plan();
        sent(plan.answer(&status(400, "bad")));
        // The probe finds it (or cannot tell): delete.
        let delete = sent(plan.answer(&image("queued", &signature())));
        assert_request(&delete, Method::Delete, IMAGE_URL);
        assert!(matches!(
            expect_deleted(&mut plan),
            UploadOutcome::Failed {
                step: Step::Create,
                cleanup: Cleanup::Deleted,
                ..
            }
        ));
        let (mut plan, _) = new_plan();
        sent(plan.answer(&status(400, "bad")));
        let delete = sent(plan.not_sent("timeout".into()));
        assert_request(&delete, Method::Delete, IMAGE_URL);
    }

    #[test]
    fn a_lost_create_answer_or_a_server_error_deletes_by_the_chosen_id() {
        let (mut plan, _) = new_plan();
        let delete = sent(plan.not_sent("connection reset".into()));
        assert_request(&delete, Method::Delete, IMAGE_URL);
        // Glance never saw it: the delete's 404 means nothing is left.
        assert!(matches!(
            done(plan.answer(&status(404, "gone"))),
            UploadOutcome::Failed {
                step: Step::Create,
                cleanup: Cleanup::Deleted,
                ..
            }
        ));
        let (mut plan, _) = new_plan();
        let delete = sent(plan.answer(&status(500, "oops")));
        assert_request(&delete, Method::Delete, IMAGE_URL);
    }

    #[test]
    fn a_failed_delete_names_the_command_that_deletes_by_hand() {
        let mut plan = created().delete_timeout(Duration::ZERO);
        sent(plan.not_sent("reset".into()));
        match done(plan.answer(&status(403, "protected"))) {
            UploadOutcome::Failed { cleanup, .. } => {
                assert!(!cleanup.nothing_left());
                let text = cleanup.to_string();
                assert!(
                    text.contains(&format!("`openstack image delete {ID}`")),
                    "{text}"
                );
                assert!(text.contains("protected"), "{text}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_busy_delete_is_retried_with_growing_pauses_until_the_budget_is_spent() {
        let mut plan = created().delete_timeout(Duration::from_millis(800));
        sent(plan.not_sent("reset".into()));
        let mut pauses = Vec::new();
        let mut next = plan.answer(&status(409, "busy"));
        while let Next::SendAfter(pause, request) = next {
            assert_request(&request, Method::Delete, IMAGE_URL);
            pauses.push(pause);
            next = plan.not_sent("refused".into());
        }
        assert_eq!(
            pauses,
            [Duration::from_millis(250), Duration::from_millis(500)]
        );
        match done(next) {
            UploadOutcome::Failed {
                cleanup: Cleanup::DeleteFailed { image_id, why },
                ..
            } => {
                assert_eq!(image_id, ID);
                assert_eq!(why, "refused");
            }
            other => panic!("{other:?}"),
        }
        // A retry that succeeds.
        let mut plan = created();
        sent(plan.not_sent("reset".into()));
        assert!(matches!(
            plan.answer(&status(503, "busy")),
            Next::SendAfter(..)
        ));
        assert!(matches!(
            done(plan.answer(&empty(204))),
            UploadOutcome::Failed {
                cleanup: Cleanup::Deleted,
                ..
            }
        ));
    }

    #[test]
    fn keep_names_the_image_instead_of_deleting_it() {
        let mut plan = created().keep_on_failure(true);
        match done(plan.not_sent("reset".into())) {
            UploadOutcome::Failed { cleanup, .. } => {
                assert_eq!(
                    cleanup,
                    Cleanup::Kept {
                        image_id: ID.into()
                    }
                );
                assert!(cleanup.to_string().contains("openstack image delete"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn answers_after_the_end_do_not_claim_the_image_is_gone() {
        let mut plan = created();
        sent(plan.answer(&empty(204)));
        done(plan.answer(&image("active", &signature())));
        match done(plan.answer(&empty(204))) {
            UploadOutcome::Failed {
                cause: Cause::OutOfOrder,
                cleanup,
                ..
            } => {
                assert!(!cleanup.nothing_left());
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            done(plan.not_sent("x".into())),
            UploadOutcome::Failed {
                cause: Cause::OutOfOrder,
                ..
            }
        ));
    }

    #[test]
    fn messages_say_what_failed() {
        let cause: Cause<String> = Cause::NotActive {
            status: "killed".into(),
            waited: Duration::from_secs(3),
        };
        assert_eq!(
            cause.to_string(),
            "the image is killed, not active (waited 3 s)"
        );
        assert_eq!(Step::Upload.doing(), "uploading the image data");
        assert_eq!(
            Cleanup::Deleted.to_string(),
            "the image was deleted; nothing is left behind"
        );
    }
}
