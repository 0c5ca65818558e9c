//! Mounts the portal (see the library's docs).

fn main() {
    yew::Renderer::<glance_sig_portal::components::App>::new().render();
}
