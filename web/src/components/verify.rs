//! Verify an image already in Glance, in the browser: its certificate from Barbican, the
//! trusted certificates of config.json, its data streamed through the worker's verification
//! session. The verdict is the session's report, shown whole: the same facts, in the same
//! order, as `glance-sig verify` prints.

use glance_sig_core::report::{CertificateSection, ChainSection, ErrorSection, TrustSection};
use glance_sig_core::{Note, Report};
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{input_text, select_value, use_catalog_loaded, use_ctx, ProgressBar};
use crate::flows;
use crate::state::{Catalog, Verify};

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
    let anchors = state
        .config
        .as_ref()
        .map(|config| config.trust_anchors())
        .unwrap_or_default();
    // The picker lists the catalog's images.
    use_catalog_loaded();
    let oninput = {
        let image_id = image_id.clone();
        Callback::from(move |event: InputEvent| image_id.set(input_text(&event)))
    };
    let onpick = {
        let image_id = image_id.clone();
        Callback::from(move |event: Event| {
            let picked = select_value(&event);
            if !picked.is_empty() {
                image_id.set(picked);
            }
        })
    };
    let picker = match &state.catalog {
        Catalog::Loaded(rows) => html! {
            <select id="verify-pick" onchange={onpick}>
                <option value="" selected={true}>{ format!("Choose one of {} images…", rows.len()) }</option>
                { for rows.iter().map(|row| {
                    let image = &row.image;
                    let label = format!("{} · {} · {}", image.name.as_deref().unwrap_or("(no name)"), image.id, image.status);
                    html! { <option value={image.id.clone()} selected={*image_id == image.id}>{ label }</option> }
                }) }
            </select>
        },
        Catalog::Failed(message) => {
            html! { <span class="bad">{ format!("The image list failed: {message}") }</span> }
        }
        _ => html! { <span class="muted">{ "Listing images…" }</span> },
    };
    let onsubmit = {
        let (dispatcher, worker, scoped, image_id, anchors) = (
            state.dispatcher(),
            ctx.worker.clone(),
            state.scoped().cloned(),
            image_id.clone(),
            anchors.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            if let (Some(worker), Some(scoped)) = (worker.clone(), scoped.clone()) {
                if !image_id.trim().is_empty() {
                    spawn_local(flows::verify_image(
                        dispatcher.clone(),
                        worker,
                        scoped,
                        anchors.clone(),
                        (*image_id).clone(),
                    ));
                }
            }
        })
    };
    let running = matches!(state.verify, Verify::Running { .. });
    let result = match &state.verify {
        Verify::Idle => html! {},
        Verify::Running {
            image_id,
            progress,
            explaining,
        } => {
            let label = if *explaining {
                format!(
                    "The signature does not verify: downloading {image_id} again to explain why"
                )
            } else {
                format!("Downloading {image_id} and verifying in the worker")
            };
            html! { <ProgressBar id="verify-progress" {label} progress={*progress} /> }
        }
        Verify::Failed { image_id, message } => html! {
            <div id="verdict" data-valid="error" data-image-id={image_id.clone()} class="outcome bad">
                <h3>{ format!("Could not verify {image_id}") }</h3><p>{ message }</p>
            </div>
        },
        Verify::Done {
            image_id,
            name,
            report,
        } => html! {
            <Verdict image_id={image_id.clone()} name={name.clone()} report={(**report).clone()} />
        },
    };
    let trust_config = if anchors.is_empty() {
        html! { <p id="trust-config" data-anchors="0" class="muted">{ "No trusted certificates in config.json: a valid signature proves only that the holder of the image's certificate key signed, not who that is." }</p> }
    } else {
        html! { <p id="trust-config" data-anchors={anchors.len().to_string()} class="muted">{ format!("Trusted certificates from config.json: {} from Barbican, {} inline. Certificates are validated against them as Nova does.", anchors.barbican_ids.len(), anchors.pems.len()) }</p> }
    };
    html! {
        <section class="card" id="verify-panel">
            <h2>{ "Verify an image in Glance" }</h2>
            <p class="muted">{ "Downloads the image data and checks its signature here, exactly as Glance, Nova and Cinder do (the certificate comes from Barbican)." }</p>
            { trust_config }
            <form {onsubmit}>
                <label>{ "Image" }{ picker }</label>
                <label>{ "or its id" }<input id="verify-image-id" placeholder="a uuid, e.g. 6f0c2a4e-1b5d-4c3e-9a7f-0d8e2b1c4a5f" value={(*image_id).clone()} {oninput} /></label>
                <button id="verify-run" type="submit" disabled={running}>{ "Verify" }</button>
            </form>
            { result }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct VerdictProps {
    image_id: AttrValue,
    name: AttrValue,
    report: Report,
}

/// The whole report: headline, trust, certificate, error, checks, RSA-PSS salt, chain,
/// likely cause, warnings, and the CLI's text.
#[function_component]
fn Verdict(props: &VerdictProps) -> Html {
    let report = &props.report;
    let (image_id, name) = (&props.image_id, &props.name);
    let headline = if report.valid {
        format!("\"{name}\" ({image_id}): signature valid")
    } else if report.error.is_some() {
        format!("\"{name}\" ({image_id}): signature NOT valid")
    } else {
        format!("\"{name}\" ({image_id}): signature valid, but the certificate chain is NOT valid as Nova judges it")
    };
    // Valid with authenticity not established is not the green of a proven signer.
    let class = match (report.valid, report.trust.established) {
        (true, true) => "ok",
        (true, false) => "warn",
        (false, _) => "bad",
    };
    let pss = report
        .signature
        .pss
        .as_ref()
        .and_then(|pss| pss.salt_length.map(|salt| (pss, salt)));
    html! {
        <div id="verdict" class={classes!("outcome", class)}
            data-image-id={image_id.clone()}
            data-valid={report.valid.to_string()}
            data-signature-valid={report.signature.valid.to_string()}
            data-trust={if report.trust.established { "established" } else { "not-established" }}
            data-trust-code={report.trust.code.clone()}
            data-error-code={report.error.as_ref().map(|e| e.code.clone()).unwrap_or_default()}>
            <h3 id="verdict-headline">{ headline }</h3>
            { signer_view(report) }
            { trust_view(&report.trust) }
            { for report.error.as_ref().map(|error| refusal_view(error, report.diagnosis.is_empty())) }
            { notes_view("verdict-diagnosis", "Cause and fix", &report.diagnosis) }
            { for report.certificate.as_ref().map(certificate_view) }
            <section id="verdict-checks">
                <h4>{ "Checks performed" }</h4>
                <ul class="checks">
                    { for report.checks.iter().map(|check| html! {
                        <li class={if check.passed { "ok" } else { "bad" }} data-check={check.name.clone()} data-passed={check.passed.to_string()}>
                            { format!("{} {}", if check.passed { "✔" } else { "✘" }, check.description) }
                        </li>
                    }) }
                </ul>
            </section>
            { salt_view(report, pss) }
            { for report.chain.as_ref().map(|chain| chain_view(chain, &report.at)) }
            { notes_view("verdict-warnings", "Warnings", &report.warnings) }
            <details id="verdict-text">
                <summary>{ "As glance-sig verify prints it" }</summary>
                <pre>{ report.text() }</pre>
            </details>
        </div>
    }
}

/// The signer: the certificate's subject and validity, and whether a trusted certificate
/// vouches for it.
fn signer_view(report: &Report) -> Html {
    let Some(c) = &report.certificate else {
        return html! { <p id="verdict-signer" class="muted">{ "Signer: none (the image names no certificate)" }</p> };
    };
    let trust = if report.trust.established {
        "trusted"
    } else {
        "not trusted"
    };
    html! {
        <p id="verdict-signer" data-trusted={report.trust.established.to_string()}>
            <strong>{ "Signed by: " }</strong>{ &c.subject }
            { format!(" · certificate valid {} to {} · {trust}", c.not_before, c.not_after) }
        </p>
    }
}

/// The RSA-PSS salt report, or why there is none.
fn salt_view(report: &Report, pss: Option<(&glance_sig_core::report::PssReport, usize)>) -> Html {
    match pss {
        Some((pss, salt)) => html! {
            <p id="verdict-pss" data-salt={salt.to_string()}>{ format!("RSA-PSS salt length: {salt} bytes (maximum {}): {}", pss.max_salt_length,
                if pss.accepted_by_older_clouds { "every cloud accepts it" } else { "clouds on cryptography <= 41 refuse it" }) }</p>
        },
        None => {
            let why = match report.signature.key_type {
                Some(key_type) if key_type.name() != "RSA-PSS" => {
                    format!("none: {} signatures have no salt", key_type.name())
                }
                Some(_) => "not found: the signature did not verify".to_owned(),
                None => return html! {},
            };
            html! { <p id="verdict-pss" data-salt="">{ format!("RSA-PSS salt length: {why}") }</p> }
        }
    }
}

/// Who signed, as far as proven.
fn trust_view(trust: &TrustSection) -> Html {
    let (class, mark, label) = if trust.established {
        ("trust established", "✔", "Authenticity established")
    } else {
        ("trust not-established", "!", "Authenticity NOT established")
    };
    // The core's message starts with its own "authenticity NOT established: ".
    let reason = trust
        .message
        .strip_prefix("authenticity NOT established: ")
        .unwrap_or(&trust.message);
    html! {
        <p id="verdict-trust" {class} data-code={trust.code.clone()}>
            <strong>{ format!("{mark} {label}: ") }</strong>{ reason }
        </p>
    }
}

/// Why the signature is refused, what Glance and Nova answer, and the fix: the error's own,
/// unless the report's diagnosis (shown next, as "Cause and fix") says more precisely.
fn refusal_view(error: &ErrorSection, own_fix: bool) -> Html {
    html! {
        <section id="verdict-error" data-code={error.code.clone()}>
            <p>{ &error.message }</p>
            <p>{ "Glance/Nova would answer: " }<q id="verdict-cursive">{ &error.cursive_message }</q></p>
            if own_fix {
                <p id="verdict-fix">{ format!("Fix: {}", error.fix) }</p>
            }
        </section>
    }
}

/// The certificate the signature was checked with.
fn certificate_view(c: &CertificateSection) -> Html {
    html! {
        <table id="verdict-certificate" class="props" data-fingerprint={c.fingerprint_sha256.clone()}>
            <tr><th>{ "Certificate subject" }</th><td>{ &c.subject }</td></tr>
            <tr><th>{ "Issuer" }</th><td>{ &c.issuer }</td></tr>
            <tr><th>{ "SHA-256 fingerprint" }</th><td class="mono">{ &c.fingerprint_sha256 }</td></tr>
            <tr><th>{ "Valid" }</th><td>{ format!("{} to {}", c.not_before, c.not_after) }</td></tr>
            <tr><th>{ "Key" }</th><td>{ &c.key }</td></tr>
        </table>
    }
}

/// Nova's chain validation against the trusted certificates, at `at`.
fn chain_view(chain: &ChainSection, at: &str) -> Html {
    html! {
        <section id="verdict-chain" data-valid={chain.valid.to_string()}
            data-error-code={chain.error.as_ref().map(|e| e.code.clone()).unwrap_or_default()}>
            <h4>{ format!("Certificate chain, as Nova validates it at {at}") }</h4>
            <ol class="chain">
                { for chain.path.iter().map(|subject| html! { <li>{ subject }</li> }) }
            </ol>
            { match &chain.error {
                None => html! { <p class="ok">{ "✔ chain valid" }</p> },
                Some(error) => html! { <p class="bad" id="verdict-chain-error">{ format!("✘ {}", error.message) }<br />
                    <span class="muted">{ "Nova would answer: " }<q>{ &error.cursive_message }</q></span></p> },
            } }
            { for chain.skipped_trusted.iter().map(|skipped| html! {
                <p class="warn skipped">{ format!("! trusted certificate {} cannot issue: {}", skipped.subject, skipped.reason) }</p>
            }) }
        </section>
    }
}

/// A titled list of notes (nothing when there are none).
fn notes_view(id: &'static str, title: &'static str, notes: &[Note]) -> Html {
    if notes.is_empty() {
        return html! {};
    }
    html! {
        <section {id}>
            <h4>{ title }</h4>
            <ul>
                { for notes.iter().map(|note| html! { <li data-code={note.code.clone()}>{ &note.message }</li> }) }
            </ul>
        </section>
    }
}
