//! `--engine component`: the scheme work done by the WebAssembly component
//! (`openstack:image-signature@0.1.0`, built by `scripts/component/build.sh`) under wasmtime.
//!
//! - [`bindings`]: the host side of the WIT world, generated;
//! - [`host`]: loading the component, and [`host::ComponentEngine`], the [`super::Engine`];
//! - [`convert`]: the component's WIT values back into the core's types.

pub mod bindings;
pub mod convert;
pub mod host;
