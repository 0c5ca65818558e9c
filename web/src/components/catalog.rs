//! The catalog: every image the project sees, classified signed / partially signed /
//! unsigned, with what to do about each.

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::use_ctx;
use crate::flows;
use crate::format::bytes;
use crate::state::{Catalog, SignClass};

/// The catalog screen.
#[function_component]
pub fn CatalogScreen() -> Html {
    let ctx = use_ctx();
    let state = &ctx.state;
    {
        let (dispatcher, scoped) = (state.dispatcher(), state.scoped().cloned());
        let needs = state.catalog == Catalog::NotLoaded;
        use_effect_with(needs, move |needs| {
            if *needs {
                if let Some(scoped) = scoped {
                    spawn_local(flows::load_catalog(dispatcher, scoped));
                }
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
    let body = match &state.catalog {
        Catalog::NotLoaded | Catalog::Loading => {
            html! { <p class="muted">{ "Listing images…" }</p> }
        }
        Catalog::Failed(message) => html! { <p id="catalog-error" class="bad">{ message }</p> },
        Catalog::Loaded(rows) => {
            let count = |class| rows.iter().filter(|row| row.class == class).count();
            html! {
                <>
                    <p id="catalog-summary">{ format!("{} images: {} signed, {} partially signed, {} unsigned.",
                        rows.len(), count(SignClass::Signed), count(SignClass::Partial), count(SignClass::Unsigned)) }</p>
                    <table id="catalog-table">
                        <thead><tr><th>{ "Image" }</th><th>{ "Status" }</th><th>{ "Size" }</th><th>{ "Signature" }</th><th>{ "What to do" }</th><th></th></tr></thead>
                        <tbody>
                        { for rows.iter().map(|row| {
                            let image = &row.image;
                            // Every image: the verification session reports unsigned and
                            // partially signed ones too, as glance-sig verify does.
                            let verify = {
                                let (scoped, anchors, id) = (state.scoped().cloned(), anchors.clone(), image.id.clone());
                                let onclick = ctx.flow(move |_: MouseEvent, dispatch, worker| {
                                    Some(flows::verify_image(dispatch, worker, scoped.clone()?, anchors.clone(), id.clone()))
                                });
                                html! { <button class="verify" {onclick}>{ "Verify in browser" }</button> }
                            };
                            let class = match row.class { SignClass::Signed => "signed", SignClass::Partial => "partial", SignClass::Unsigned => "unsigned" };
                            html! {
                                <tr data-image-id={image.id.clone()} data-class={class}>
                                    <td>{ image.name.clone().unwrap_or_default() }<br /><span class="mono muted">{ &image.id }</span></td>
                                    <td>{ &image.status }</td>
                                    <td>{ image.size.map(bytes).unwrap_or_default() }</td>
                                    <td class={class}>{ row.class.label() }
                                        { for (!row.missing.is_empty()).then(|| html! { <><br /><span class="muted">{ format!("missing {}", row.missing.join(", ")) }</span></> }) }
                                    </td>
                                    <td class="advice">{ &row.advice }</td>
                                    <td>{ verify }</td>
                                </tr>
                            }
                        }) }
                        </tbody>
                    </table>
                </>
            }
        }
    };
    html! {
        <section class="card" id="catalog-panel">
            <h2>{ "Catalog" }</h2>
            <button id="catalog-refresh" onclick={refresh}>{ "Refresh" }</button>
            { body }
        </section>
    }
}
