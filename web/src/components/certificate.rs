//! The signing certificate: one already in Barbican, or a PEM file stored there in the form
//! castellan reads. Shows whether the loaded key matches it.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{chosen_file, select_value, use_ctx, FileBox};
use crate::flows;
use crate::state::{CertSlot, KEY_MISMATCH};

/// Chooses or stores the certificate.
#[function_component]
pub fn CertPanel() -> Html {
    let ctx = use_ctx();
    let state = &ctx.state;
    let scoped = state.scoped().cloned();
    // The chosen file's name, for the file box (the state keeps the certificate, not the file).
    let cert_file = use_state(|| None::<AttrValue>);

    {
        let (dispatcher, scoped) = (state.dispatcher(), scoped.clone());
        let needs_list = state.certificates.is_none();
        use_effect_with(needs_list, move |needs| {
            if *needs {
                if let Some(scoped) = scoped {
                    spawn_local(flows::list_certificates(dispatcher, scoped));
                }
            }
        });
    }
    let (Some(_), Some(scoped)) = (&ctx.worker, scoped) else {
        return html! {};
    };

    let on_select = {
        let scoped = scoped.clone();
        ctx.flow(move |event: Event, dispatch, worker| {
            let uuid = select_value(&event);
            (!uuid.is_empty())
                .then(|| flows::choose_certificate(dispatch, worker, scoped.clone(), uuid))
        })
    };
    let on_file = {
        let (scoped, cert_file) = (scoped.clone(), cert_file.clone());
        ctx.flow(move |event: Event, dispatch, worker| {
            let file = chosen_file(&event)?;
            cert_file.set(Some(file.name().into()));
            Some(flows::store_certificate_file(
                dispatch,
                worker,
                scoped.clone(),
                file,
            ))
        })
    };
    let on_refresh = {
        let (dispatcher, scoped) = (state.dispatcher(), scoped.clone());
        Callback::from(move |_: MouseEvent| {
            spawn_local(flows::list_certificates(dispatcher.clone(), scoped.clone()))
        })
    };

    let selected = match &state.certificate {
        CertSlot::Loaded {
            uuid: Some(uuid), ..
        } => uuid.clone(),
        _ => String::new(),
    };
    let list = match &state.certificates {
        None => html! { <p class="muted">{ "Listing the project's certificates…" }</p> },
        Some(Err(message)) => html! { <p class="bad">{ format!("Barbican: {message}") }</p> },
        Some(Ok(entries)) if entries.is_empty() => {
            html! { <p id="cert-none" class="muted">{ "No certificate in Barbican yet: store one below." }</p> }
        }
        Some(Ok(entries)) => html! {
            <label>{ "Certificate in Barbican" }
                <select id="cert-select" onchange={on_select}>
                    <option value="" selected={selected.is_empty()}>{ "— choose —" }</option>
                    { for entries.iter().map(|entry| {
                        let warning = match entry.content_type.as_deref() {
                            Some("application/octet-stream") | None => "",
                            Some(_) => " (stored in a form castellan cannot read)",
                        };
                        html! {
                            <option value={entry.uuid.clone()} selected={entry.uuid == selected}>
                                { format!("{} · {}{}{}", entry.name, entry.uuid, entry.expiration.as_ref().map(|e| format!(" · expires {e}")).unwrap_or_default(), warning) }
                            </option>
                        }
                    }) }
                </select>
            </label>
        },
    };
    let status = match &state.certificate {
        CertSlot::Empty => {
            html! { <p id="cert-status" data-status="empty" class="muted">{ "No certificate chosen." }</p> }
        }
        CertSlot::Loading => {
            html! { <p id="cert-status" data-status="loading" class="muted">{ "Reading the certificate…" }</p> }
        }
        CertSlot::Failed(message) => {
            html! { <p id="cert-status" data-status="failed" class="bad">{ message }</p> }
        }
        CertSlot::Loaded { uuid, summary } => html! {
            <div id="cert-status" data-status="loaded" data-uuid={uuid.clone().unwrap_or_default()}>
                <p>{ format!("{} · {} · {}", summary.subject, summary.key, summary.validity) }</p>
                <p class="muted">{ format!("SHA-256 fingerprint {}", summary.fingerprint) }</p>
                <p class="muted">{ match uuid { Some(uuid) => format!("Barbican secret {uuid}: this id goes into img_signature_certificate_uuid."), None => "Not stored in Barbican yet.".to_owned() } }</p>
            </div>
        },
    };
    let matching = match state.key_matches {
        Some(true) => {
            html! { <p id="key-match" data-match="true" class="ok">{ "The private key matches this certificate." }</p> }
        }
        Some(false) => {
            html! { <p id="key-match" data-match="false" class="bad">{ KEY_MISMATCH }</p> }
        }
        None => html! {},
    };
    html! {
        <section class="card" id="cert-panel">
            <h2>{ "2. Signing certificate" }</h2>
            { list }
            <button id="cert-refresh" onclick={on_refresh}>{ "Refresh list" }</button>
            <FileBox id="cert-file" label="Or store a PEM certificate in Barbican (secret type certificate, as castellan reads it; an identical one already there is reused)"
                accept=".pem,.crt,.cer" chosen={(*cert_file).clone()} onchange={on_file} />
            { status }
            { matching }
        </section>
    }
}
