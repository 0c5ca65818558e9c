//! Local I/O, for every command: small files read whole, passphrases, image data streamed in
//! chunks with a progress line, many images at once (`batch`), the clock. Nothing here parses
//! keys, certificates or properties (the engines do) or knows a command.
//!
//! The cloud's HTTP transport is not here but in `cloud/` (see there why).

pub mod batch;
pub mod files;
pub mod image;
pub mod time;

pub use crate::output::render::human_bytes;
pub use files::{malformed, private_key_material, read_small};
pub use image::{stream_image, stream_reader, ImageData, ImageFile, ImageSource, Progress};
pub use time::{rfc3339, time};
