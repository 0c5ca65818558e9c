//! `--engine component`: the scheme work done by the WebAssembly component
//! (`openstack:image-signature@0.2.0`, built by `scripts/component/build.sh`) under wasmtime.
//!
//! - [`bindings`]: the host side of the WIT world, generated;
//! - [`host`]: loading the component, and [`host::ComponentEngine`], the [`super::Engine`];
//! - [`convert`]: the few WIT values that cross as values (the reports cross as JSON).

pub mod bindings;
pub mod convert;
pub mod host;
