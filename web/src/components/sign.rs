//! The sign screen: key, certificate, image, then sign → create → upload, and the outcome.

use yew::prelude::*;

use super::certificate::CertPanel;
use super::image::ImagePanel;
use super::key::KeyPanel;
use super::{use_ctx, ProgressBar};
use crate::flows::{self, SignJob};
use crate::state::{Action, CertSlot, Job, Outcome, Progress, RenewalNotice, Timings};

/// The whole sign flow.
#[function_component]
pub fn SignScreen() -> Html {
    html! {
        <>
            <KeyPanel />
            <CertPanel />
            <ImagePanel />
            <SignPanel />
        </>
    }
}

#[function_component]
fn SignPanel() -> Html {
    let ctx = use_ctx();
    let state = &ctx.state;
    let blockers = state.sign_blockers();
    let onclick = {
        // No job without a confirmed session: a handed-over one uploads nothing until the
        // user says the account is theirs.
        let job = match (
            &state.confirmed(),
            &state.image_file,
            &state.certificate,
            &state.config,
            &state.auth_url,
        ) {
            (
                Some(scoped),
                Some(file),
                CertSlot::Loaded {
                    uuid: Some(uuid),
                    summary,
                },
                Some(config),
                Some(auth_url),
            ) => Some(SignJob {
                scoped: (*scoped).clone(),
                file: file.0.clone(),
                form: state.form.clone(),
                certificate_uuid: uuid.clone(),
                certificate_pem: summary.pem.clone(),
                key_matches: state.key_matches,
                debug: state.debug,
                handed_over: state.handed_over,
                config: config.clone(),
                auth_url: auth_url.clone(),
            }),
            _ => None,
        };
        let job = std::cell::RefCell::new(job);
        ctx.flow(move |_: MouseEvent, dispatch, worker| {
            Some(flows::sign_and_upload(
                dispatch,
                worker,
                job.borrow_mut().take()?,
            ))
        })
    };
    let reset = {
        let dispatcher = state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::ResetJob))
    };
    let phase = match &state.job {
        Job::Idle => html! {},
        Job::Signing(progress) => {
            html! { <ProgressBar id="sign-progress" label="Hashing and signing in the worker" progress={*progress} /> }
        }
        Job::Creating => {
            html! { <p id="job-phase" data-phase="creating">{ "Creating the image with all four signature properties…" }</p> }
        }
        Job::Uploading { image_id, progress } => html! {
            <>
                <p id="job-phase" data-phase="uploading">{ format!("Uploading to image {image_id}; Glance verifies the signature as it stores the data.") }</p>
                <ProgressBar id="upload-progress" label="Uploading" progress={*progress} />
            </>
        },
        Job::CleaningUp { image_id } => {
            html! { <p id="job-phase" data-phase="cleanup">{ format!("Deleting image {image_id}…") }</p> }
        }
        Job::Done(outcome) => html! {
            <>
                { outcome_view(outcome) }
                { timings_view(&state.timings) }
                <button id="sign-again" onclick={reset}>{ "Done" }</button>
            </>
        },
    };
    html! {
        <section class="card" id="sign-panel">
            <h2>{ "4. Sign and upload" }</h2>
            { test_hooks_warning(state) }
            if !blockers.is_empty() && !state.job.is_running() {
                <ul id="blockers">{ for blockers.iter().map(|b| html! { <li>{ b }</li> }) }</ul>
            }
            <button id="sign-upload" class="primary" disabled={!blockers.is_empty()} {onclick}>{ "Sign and upload" }</button>
            { phase }
            { renewal_view(state.renewal.as_ref()) }
            if !state.sign_notes.is_empty() {
                <ul id="sign-notes" class="warn">
                    { for state.sign_notes.iter().map(|note| html! { <li data-code={note.code.clone()}>{ format!("! {}", note.message) }</li> }) }
                </ul>
            }
        </section>
    }
}

/// The warning that a test hook is active (the portal built with `test-hooks` only).
#[cfg(feature = "test-hooks")]
fn test_hooks_warning(state: &crate::state::State) -> Html {
    if !state.debug.tamper {
        return html! {};
    }
    html! { <p id="tamper-warning" class="bad">{ "Test hook active (debug=tamper): one byte of the upload is flipped after signing, so Glance must refuse it." }</p> }
}

/// The shipped portal has no test hooks.
#[cfg(not(feature = "test-hooks"))]
fn test_hooks_warning(_state: &crate::state::State) -> Html {
    html! {}
}

/// The time each step took and its average rate, kept after the progress bars are gone.
fn timings_view(timings: &Timings) -> Html {
    let line = |what: &str, p: &Progress| {
        let (rate, _) = crate::format::rate(p.done, p.total, p.elapsed_ms);
        format!(
            "{what} {} in {:.1} s, {rate} on average",
            crate::format::bytes(p.done),
            p.elapsed_ms / 1000.0
        )
    };
    let lines: Vec<String> = [("Signed", timings.sign), ("Uploaded", timings.upload)]
        .into_iter()
        .filter_map(|(what, p)| p.map(|p| line(what, &p)))
        .collect();
    if lines.is_empty() {
        return html! {};
    }
    html! { <p id="outcome-timings" class="muted">{ lines.join(" · ") }</p> }
}

fn outcome_view(outcome: &Outcome) -> Html {
    match outcome {
        Outcome::Verified {
            image_id,
            name,
            status,
            properties,
        } => html! {
            <div id="outcome" data-outcome="verified" data-image-id={image_id.clone()} class="outcome ok">
                <h3>{ "Verified by Glance" }</h3>
                <p>{ format!("Glance checked the signature while storing the data and accepted it: image \"{name}\" ({image_id}) is {status}.") }</p>
                <table class="props">
                    <tr><th>{ "img_signature" }</th><td class="mono">{ &properties.signature }</td></tr>
                    <tr><th>{ "img_signature_hash_method" }</th><td>{ &properties.hash_method }</td></tr>
                    <tr><th>{ "img_signature_key_type" }</th><td>{ &properties.key_type }</td></tr>
                    <tr><th>{ "img_signature_certificate_uuid" }</th><td>{ &properties.certificate_uuid }</td></tr>
                </table>
            </div>
        },
        Outcome::Refused {
            image_id,
            message,
            hint,
            deleted,
            causes,
        } => html! {
            <div id="outcome" data-outcome="refused" data-image-id={image_id.clone()} data-deleted={deleted.to_string()} class="outcome bad">
                <h3>{ "Refused by Glance" }</h3>
                <p>{ "Glance checked the signature while storing the data and refused it:" }</p>
                <blockquote id="glance-message">{ message }</blockquote>
                if causes.is_empty() {
                    <p>{ format!("What to do: {hint}.") }</p>
                } else {
                    <section id="outcome-diagnosis">
                        <h4>{ "Cause and fix (the data sent, verified here)" }</h4>
                        <ul>{ for causes.iter().map(|cause| html! { <li>{ cause }</li> }) }</ul>
                    </section>
                }
                <p>{ if *deleted { format!("The image {image_id} was deleted: nothing was left behind.") } else { format!("The image {image_id} could not be deleted: delete it with `openstack image delete {image_id}`.") } }</p>
            </div>
        },
        Outcome::Failed {
            stage,
            message,
            image,
        } => html! {
            <div id="outcome" data-outcome="failed" data-stage={stage.clone()} class="outcome bad">
                <h3>{ format!("Failed while {stage}") }</h3>
                <p>{ message }</p>
                { for image.as_ref().map(|(id, deleted)| html! {
                    <p>{ if *deleted { format!("The image {id} was deleted: nothing was left behind.") } else { format!("The image {id} could not be deleted: delete it with `openstack image delete {id}`.") } }</p>
                }) }
            </div>
        },
    }
}

/// Where renewing the token stands, when an upload needed it.
fn renewal_view(notice: Option<&RenewalNotice>) -> Html {
    let Some(notice) = notice else {
        return html! {};
    };
    let (status, class, text) = match notice {
        RenewalNotice::Asked { expires_at, needed_until } => ("asked", "muted", format!(
            "The token expires at {expires_at}, before the upload is expected to end (by {needed_until}): asked the dashboard for a fresh one."
        )),
        RenewalNotice::Renewed { expires_at } => ("renewed", "ok", format!(
            "The dashboard handed over a fresh token (same user, same project), valid until {expires_at}."
        )),
        RenewalNotice::NotRenewed { reason } => ("not-renewed", "warn", format!("Token not renewed: {reason}.")),
        RenewalNotice::NoHost { expires_at, needed_until } => ("no-host", "warn", format!(
            "The token expires at {expires_at}, before the upload is expected to end (by {needed_until}). The portal keeps no password: if the upload's confirmation fails, sign in again and check the image."
        )),
    };
    html! { <p id="token-renewal" data-status={status} {class}>{ text }</p> }
}
