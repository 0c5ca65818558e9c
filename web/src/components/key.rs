//! The private key: from a PEM file (with its passphrase), or generated for a test cloud.

use yew::prelude::*;

use super::{chosen_file, input_text, use_ctx, FileBox};
use crate::flows;
use crate::state::KeySlot;

/// Loads, shows and forgets the private key (which stays in the worker).
#[function_component]
pub fn KeyPanel() -> Html {
    let ctx = use_ctx();
    let state = &ctx.state;
    // The key file's handle, kept only while the worker reads it or waits for its passphrase
    // (a retry needs it): dropped as soon as the key is loaded, refused, or forgotten. The
    // file input itself is emptied at once, so it holds no handle either.
    let key_file = use_state(|| None::<web_sys::File>);
    let key_name = use_state(|| None::<String>);
    let passphrase = use_state(String::new);
    {
        let key_file = key_file.clone();
        let needs_file = matches!(
            state.key,
            KeySlot::Loading | KeySlot::NeedsPassphrase { .. }
        );
        use_effect_with(needs_file, move |needs_file| {
            if !*needs_file {
                key_file.set(None);
            }
        });
    }
    if ctx.worker.is_none() {
        return html! { <section class="card" id="key-panel"><h2>{ "1. Private key" }</h2><p class="bad">{ "The signing worker is not available." }</p></section> };
    }

    let onchange = {
        let (key_file, key_name) = (key_file.clone(), key_name.clone());
        ctx.flow(move |event: Event, dispatch, worker| {
            let file = chosen_file(&event)?;
            event
                .target_unchecked_into::<web_sys::HtmlInputElement>()
                .set_value("");
            key_name.set(Some(file.name()));
            key_file.set(Some(file.clone()));
            Some(flows::load_key(dispatch, worker, file, None))
        })
    };
    let on_passphrase = {
        let passphrase = passphrase.clone();
        Callback::from(move |event: InputEvent| passphrase.set(input_text(&event)))
    };
    let on_unlock = {
        let (key_file, passphrase) = (key_file.clone(), passphrase.clone());
        ctx.flow(move |event: SubmitEvent, dispatch, worker| {
            event.prevent_default();
            let typed = Some((*passphrase).clone());
            passphrase.set(String::new());
            let file = (*key_file).clone()?;
            Some(flows::load_key(dispatch, worker, file, typed))
        })
    };
    let on_generate = {
        let scoped = state.scoped().cloned();
        let key_name = key_name.clone();
        ctx.flow(move |_: MouseEvent, dispatch, worker| {
            key_name.set(None);
            Some(flows::generate_key(dispatch, worker, scoped.clone()?))
        })
    };
    let on_forget = {
        let (key_file, key_name) = (key_file.clone(), key_name.clone());
        ctx.flow(move |_: MouseEvent, dispatch, worker| {
            key_file.set(None);
            key_name.set(None);
            Some(flows::forget_key(dispatch, worker))
        })
    };

    let status = match &state.key {
        KeySlot::Empty => {
            html! { <p id="key-status" data-status="empty" class="muted">{ "No key loaded." }</p> }
        }
        KeySlot::Loading => {
            html! { <p id="key-status" data-status="loading" class="muted">{ "Reading the key…" }</p> }
        }
        KeySlot::NeedsPassphrase { file_name, error } => html! {
            <form id="key-passphrase-form" onsubmit={on_unlock}>
                <p id="key-status" data-status="passphrase">{ format!("{file_name} is encrypted: enter its passphrase.") }</p>
                <label for="key-passphrase">{ format!("Passphrase of {file_name}") }</label>
                <input id="key-passphrase" type="password" autocomplete="off" placeholder="the key file's passphrase" value={(*passphrase).clone()} oninput={on_passphrase} />
                <button id="key-unlock" type="submit">{ "Unlock" }</button>
                { for error.as_ref().map(|e| html! { <p class="bad">{ e }</p> }) }
            </form>
        },
        KeySlot::Loaded(info) => html! {
            <p id="key-status" data-status="loaded" data-key-type={info.key_type.clone()} class="ok">
                { format!("Loaded {} ({}){}", info.summary, info.key_type,
                    info.file_name.as_ref().map(|n| format!(" from {n}")).unwrap_or_else(|| " generated in this tab".into())) }
                <button id="key-forget" onclick={on_forget}>{ "Forget key" }</button>
            </p>
        },
        KeySlot::Failed(message) => {
            html! { <p id="key-status" data-status="failed" class="bad">{ message }</p> }
        }
    };
    html! {
        <section class="card" id="key-panel">
            <h2>{ "1. Private key" }</h2>
            <p class="muted">{ "The key is read by the signing worker in this tab. It is never uploaded, never stored, and forgotten when you sign out or close the tab." }</p>
            <FileBox id="key-file" label="PEM key file (PKCS#8, PKCS#1, SEC1; encrypted or not)" accept=".pem,.key,.der,.p8"
                chosen={key_name.as_ref().map(|name| AttrValue::from(name.clone()))} {onchange} />
            <p class="muted">{ "Or, for a test cloud: " }
                <button id="generate-key" onclick={on_generate}>{ "Generate an ECDSA P-384 key and self-signed certificate" }</button>
                { " (the certificate is stored in Barbican; the key lives only in this tab)." }
            </p>
            { status }
        </section>
    }
}
