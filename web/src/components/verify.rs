//! Verify an image already in Glance, in the browser: its certificate from Barbican, its data
//! streamed through the worker.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{input_text, use_ctx, ProgressBar};
use crate::flows;
use crate::state::Verify;

/// The verify screen.
#[function_component]
pub fn VerifyScreen() -> Html {
    let ctx = use_ctx();
    let state = &ctx.state;
    let image_id = use_state(|| match &state.verify {
        Verify::Running { image_id, .. }
        | Verify::Done { image_id, .. }
        | Verify::Failed { image_id, .. } => image_id.clone(),
        Verify::Idle => String::new(),
    });
    let oninput = {
        let image_id = image_id.clone();
        Callback::from(move |event: InputEvent| image_id.set(input_text(&event)))
    };
    let onsubmit = {
        let (dispatcher, worker, scoped, image_id) = (
            state.dispatcher(),
            ctx.worker.clone(),
            state.scoped().cloned(),
            image_id.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if let (Some(worker), Some(scoped)) = (worker.clone(), scoped.clone()) {
                if !image_id.trim().is_empty() {
                    spawn_local(flows::verify_image(
                        dispatcher.clone(),
                        worker,
                        scoped,
                        (*image_id).clone(),
                    ));
                }
            }
        })
    };
    let running = matches!(state.verify, Verify::Running { .. });
    let result = match &state.verify {
        Verify::Idle => html! {},
        Verify::Running { image_id, progress } => html! {
            <ProgressBar id="verify-progress" label={format!("Downloading {image_id} and verifying in the worker")} progress={*progress} />
        },
        Verify::Failed { image_id, message } => html! {
            <div id="verdict" data-valid="error" class="outcome bad">
                <h3>{ format!("Could not verify {image_id}") }</h3><p>{ message }</p>
            </div>
        },
        Verify::Done {
            image_id,
            name,
            verdict,
        } => html! {
            <div id="verdict" data-valid={verdict.valid.to_string()} class={classes!("outcome", if verdict.valid { "ok" } else { "bad" })}>
                <h3>{ if verdict.valid { format!("\"{name}\" ({image_id}): signature valid") } else { format!("\"{name}\" ({image_id}): signature NOT valid") } }</h3>
                <p>{ &verdict.message }</p>
                { for verdict.cursive_message.as_ref().map(|m| html! { <p>{ "Glance, Nova and Cinder would say: " }<q>{ m }</q></p> }) }
                { for verdict.fix.as_ref().map(|f| html! { <p>{ format!("How to fix it: {f}") }</p> }) }
                <ul class="checks">
                    { for verdict.checks.iter().map(|(name, passed, description)| html! {
                        <li class={if *passed { "ok" } else { "bad" }}>{ format!("{} {name}: {description}", if *passed { "✔" } else { "✘" }) }</li>
                    }) }
                </ul>
                { for verdict.warnings.iter().map(|w| html! { <p class="muted">{ w }</p> }) }
            </div>
        },
    };
    html! {
        <section class="card" id="verify-panel">
            <h2>{ "Verify an image in Glance" }</h2>
            <p class="muted">{ "Downloads the image data and checks its signature here, exactly as Glance, Nova and Cinder do (the certificate comes from Barbican)." }</p>
            <form {onsubmit}>
                <label>{ "Image id" }<input id="verify-image-id" value={(*image_id).clone()} {oninput} /></label>
                <button id="verify-run" type="submit" disabled={running}>{ "Verify" }</button>
            </form>
            { result }
        </section>
    }
}
