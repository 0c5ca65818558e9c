//! The catalog: every image the project sees, where it stands (unsigned, partially signed,
//! signed but not checked here, verified here, failing), who signed it once verified, the
//! advice once per kind, and "Verify all".

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{use_catalog_loaded, use_ctx};
use crate::flows;
use crate::format::bytes;
use crate::state::{advice_kinds, Action, Catalog, CatalogRow, SignClass, Signers, VerifyAll};

/// The catalog screen.
#[function_component]
pub fn CatalogScreen() -> Html {
    let ctx = use_ctx();
    let state = &ctx.state;
    use_catalog_loaded();
    // The signer column: the certificates of the signed images, each read once.
    {
        let unread: Vec<String> = match &state.catalog {
            Catalog::Loaded(rows) => {
                let mut uuids: Vec<String> = rows
                    .iter()
                    .filter_map(CatalogRow::certificate_uuid)
                    .filter(|uuid| !state.signers.contains_key(*uuid))
                    .map(str::to_owned)
                    .collect();
                uuids.sort();
                uuids.dedup();
                uuids
            }
            _ => Vec::new(),
        };
        let (dispatcher, worker, scoped) = (
            state.dispatcher(),
            ctx.worker.clone(),
            state.scoped().cloned(),
        );
        use_effect_with(unread, move |unread| {
            if let (Some(worker), Some(scoped), false) = (worker, scoped, unread.is_empty()) {
                spawn_local(flows::read_signers(
                    dispatcher,
                    worker,
                    scoped,
                    unread.clone(),
                ));
            }
        });
    }
    let refresh = {
        let (dispatcher, scoped) = (state.dispatcher(), state.scoped().cloned());
        Callback::from(move |_: MouseEvent| {
            if let Some(scoped) = scoped.clone() {
                spawn_local(flows::load_catalog(dispatcher.clone(), scoped));
            }
        })
    };
    let anchors = state
        .config
        .as_ref()
        .map(|config| config.trust_anchors())
        .unwrap_or_default();
    let running = state.verify_all.as_ref().is_some_and(VerifyAll::is_running);
    let body = match &state.catalog {
        Catalog::NotLoaded | Catalog::Loading => {
            html! { <p class="muted">{ "Listing images…" }</p> }
        }
        Catalog::Failed(message) => html! { <p id="catalog-error" class="bad">{ message }</p> },
        Catalog::Loaded(rows) => {
            let count = |class| rows.iter().filter(|row| row.class == class).count();
            // Only signed images have data worth downloading: the others' report needs none.
            let signed: Vec<String> = rows
                .iter()
                .filter(|row| row.class == SignClass::Signed && row.image.status == "active")
                .map(|row| row.image.id.clone())
                .collect();
            let verify_all = {
                let (scoped, anchors, ids) =
                    (state.scoped().cloned(), anchors.clone(), signed.clone());
                ctx.flow(move |_: MouseEvent, dispatch, worker| {
                    Some(flows::verify_all(
                        dispatch,
                        worker,
                        scoped.clone()?,
                        anchors.clone(),
                        ids.clone(),
                    ))
                })
            };
            html! {
                <>
                    <p id="catalog-summary">{ format!("{} images: {} signed, {} partially signed, {} unsigned.",
                        rows.len(), count(SignClass::Signed), count(SignClass::Partial), count(SignClass::Unsigned)) }</p>
                    <p>
                        <button id="catalog-verify-all" onclick={verify_all} disabled={running || signed.is_empty() || ctx.worker.is_none()}>
                            { format!("Verify all ({} signed images with data)", signed.len()) }
                        </button>
                    </p>
                    { for state.verify_all.as_ref().map(|run| html! { <RunProgress run={run.clone()} /> }) }
                    <table id="catalog-table">
                        <thead><tr><th>{ "Image" }</th><th>{ "Status" }</th><th>{ "Size" }</th><th>{ "Signature" }</th><th>{ "Signer" }</th><th></th></tr></thead>
                        <tbody>
                        { for rows.iter().map(|row| html! { <Row row={row.clone()} signers={state.signers.clone()} /> }) }
                        </tbody>
                    </table>
                    <section id="catalog-advice">
                        <h3>{ "What to do" }</h3>
                        <ul>
                            { for advice_kinds(rows).into_iter().map(|kind| html! {
                                <li data-state={kind.state.code()} class={kind.state.code()}>
                                    <span class="advice-text">{ kind.text }</span>
                                    <br /><span class="muted">{ format!("For: {}", kind.images.join(", ")) }</span>
                                </li>
                            }) }
                        </ul>
                    </section>
                </>
            }
        }
    };
    html! {
        <section class="card" id="catalog-panel">
            <h2>{ "Catalog" }</h2>
            <button id="catalog-refresh" onclick={refresh} disabled={running}>{ "Refresh" }</button>
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct RunProps {
    run: VerifyAll,
}

/// "Verify all": images done of all, the one being verified, and Cancel.
#[function_component]
fn RunProgress(props: &RunProps) -> Html {
    let ctx = use_ctx();
    let run = &props.run;
    let cancel = {
        let dispatcher = ctx.state.dispatcher();
        Callback::from(move |_: MouseEvent| dispatcher.dispatch(Action::VerifyAllCancel))
    };
    let cancelled = run.cancel.is_cancelled();
    let label = match (&run.current, run.ended, cancelled) {
        (_, true, true) => format!(
            "Verify all cancelled: {} of {} images verified",
            run.done, run.total
        ),
        (_, true, false) => format!(
            "Verify all done: {} of {} images verified",
            run.done, run.total
        ),
        (Some(id), false, true) => format!(
            "Cancelling after {id}: {} of {} images verified",
            run.done, run.total
        ),
        (Some(id), false, false) => format!(
            "Verifying {id}: {} of {} images verified",
            run.done, run.total
        ),
        (None, false, _) => format!("{} of {} images verified", run.done, run.total),
    };
    html! {
        <div id="catalog-verify-progress" class="progress" data-done={run.done.to_string()} data-total={run.total.to_string()}
            data-ended={run.ended.to_string()} data-cancelled={cancelled.to_string()}>
            <span class="label">{ label }</span>
            <progress max={run.total.max(1).to_string()} value={run.done.to_string()}></progress>
            { for (!run.ended).then(|| html! {
                <button id="catalog-verify-cancel" onclick={cancel} disabled={cancelled}>{ "Cancel" }</button>
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct RowProps {
    row: CatalogRow,
    signers: Signers,
}

/// One image: where it stands, who signed it, and "Verify in browser" (every image: the
/// verification session reports unsigned and partially signed ones too, as glance-sig verify
/// does).
#[function_component]
fn Row(props: &RowProps) -> Html {
    let ctx = use_ctx();
    let row = &props.row;
    let image = &row.image;
    let verify = {
        let (scoped, id) = (ctx.state.scoped().cloned(), image.id.clone());
        let anchors = ctx
            .state
            .config
            .as_ref()
            .map(|config| config.trust_anchors())
            .unwrap_or_default();
        let onclick = ctx.flow(move |_: MouseEvent, dispatch, worker| {
            Some(flows::verify_image(
                dispatch,
                worker,
                scoped.clone()?,
                anchors.clone(),
                id.clone(),
            ))
        });
        let running = ctx
            .state
            .verify_all
            .as_ref()
            .is_some_and(VerifyAll::is_running);
        html! { <button class="verify" {onclick} disabled={running}>{ "Verify in browser" }</button> }
    };
    let class = match row.class {
        SignClass::Signed => "signed",
        SignClass::Partial => "partial",
        SignClass::Unsigned => "unsigned",
    };
    let state = row.state().code();
    let signer = match row.signer(&props.signers) {
        Some(Ok(signer)) => html! {
            <>
                <span class="signer-name">{ &signer.name }</span><br />
                <span class="muted">{ format!("expires {}", signer.not_after) }</span><br />
                { match signer.trusted {
                    Some(true) => html! { <span class="ok signer-trust" data-trusted="true">{ "trusted" }</span> },
                    Some(false) => html! { <span class="warn signer-trust" data-trusted="false">{ "not trusted" }</span> },
                    None => html! { <span class="muted signer-trust" data-trusted="">{ "trust: verify to check" }</span> },
                } }
            </>
        },
        Some(Err(message)) => {
            html! { <span class="bad">{ format!("certificate unreadable: {message}") }</span> }
        }
        None if row.class == SignClass::Signed => {
            html! { <span class="muted">{ "reading the certificate…" }</span> }
        }
        None => html! {},
    };
    html! {
        <tr data-image-id={image.id.clone()} data-class={class} data-state={state}>
            <td>{ image.name.clone().unwrap_or_default() }<br /><span class="mono muted">{ &image.id }</span></td>
            <td>{ &image.status }</td>
            <td>{ image.size.map(bytes).unwrap_or_default() }</td>
            <td class={classes!("state", state)}>{ row.state_label() }
                { for (!row.missing.is_empty()).then(|| html! { <><br /><span class="muted">{ format!("missing {}", row.missing.join(", ")) }</span></> }) }
            </td>
            <td class="signer">{ signer }</td>
            <td>{ verify }</td>
        </tr>
    }
}
