//! The image file (drag and drop or a file input; never read whole) and the image form.

use openstack_proto::diskformat::GLANCE_DISK_FORMATS as DISK_FORMATS;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::{chosen_file, input_text, select_value, use_ctx, FileBox};
use crate::flows;
use crate::format::bytes;
use crate::state::{Action, FormField};

/// Chooses the file and fills the form.
#[function_component]
pub fn ImagePanel() -> Html {
    let ctx = use_ctx();
    let state = &ctx.state;
    let dragging = use_state(|| false);

    let onchange = {
        let dispatcher = state.dispatcher();
        Callback::from(move |event: Event| {
            if let Some(file) = chosen_file(&event) {
                spawn_local(flows::choose_image(dispatcher.clone(), file));
            }
        })
    };
    let ondragover = {
        let dragging = dragging.clone();
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(true);
        })
    };
    let ondragleave = {
        let dragging = dragging.clone();
        Callback::from(move |_: DragEvent| dragging.set(false))
    };
    let ondrop = {
        let (dispatcher, dragging) = (state.dispatcher(), dragging.clone());
        Callback::from(move |event: DragEvent| {
            event.prevent_default();
            dragging.set(false);
            let file = event
                .data_transfer()
                .and_then(|transfer| transfer.files())
                .and_then(|files| files.get(0));
            if let Some(file) = file {
                spawn_local(flows::choose_image(dispatcher.clone(), file));
            }
        })
    };
    let field = |make: fn(String) -> FormField| {
        let dispatcher = state.dispatcher();
        Callback::from(move |event: InputEvent| {
            dispatcher.dispatch(Action::Form(make(input_text(&event))))
        })
    };
    let select = |make: fn(String) -> FormField| {
        let dispatcher = state.dispatcher();
        Callback::from(move |event: Event| {
            dispatcher.dispatch(Action::Form(make(select_value(&event))))
        })
    };
    let form = &state.form;
    let options = |values: &[&str], current: &str| -> Html {
        values.iter().map(|value| html! { <option value={value.to_string()} selected={*value == current}>{ *value }</option> }).collect()
    };
    html! {
        <section class="card" id="image-panel">
            <h2>{ "3. Image file" }</h2>
            <div id="drop-zone" class={classes!("drop", (*dragging).then_some("over"))} {ondragover} {ondragleave} {ondrop}>
                <p>{ "Drop the image file here, or choose it:" }</p>
                <FileBox id="image-file" label="Image file" chosen={state.image.as_ref().map(|image| AttrValue::from(image.file_name.clone()))} {onchange} />
                <p class="muted">{ "The file is read in slices while it is signed and streamed to Glance from disk: any size works." }</p>
            </div>
            { for state.image.as_ref().map(|image| html! {
                <p id="image-chosen" data-format={image.detected_format.clone()} data-size={image.size.to_string()}>
                    { format!("{} · {} · detected format {}", image.file_name, bytes(image.size), image.detected_format) }
                </p>
            }) }
            <div class="grid">
                <label>{ "Name" }<input id="image-name" value={form.name.clone()} oninput={field(FormField::Name)} /></label>
                <label>{ "Disk format" }<select id="image-disk-format" onchange={select(FormField::DiskFormat)}>{ options(DISK_FORMATS, &form.disk_format) }</select></label>
                <label>{ "Visibility" }<select id="image-visibility" onchange={select(FormField::Visibility)}>{ options(&["private", "shared", "community", "public"], &form.visibility) }</select></label>
                <label>{ "Hash" }<select id="hash-method" onchange={select(FormField::HashMethod)}>{ options(&["SHA-256", "SHA-384", "SHA-512", "SHA-224"], &form.hash_method) }</select></label>
            </div>
        </section>
    }
}
