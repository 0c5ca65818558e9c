//! The two procedures every door runs, whole: verifying an image and signing one. A door
//! opens the bytes, feeds a session and renders what it returns; no door re-implements a
//! step (explain-if-worth-it, the chain, the date notes, the key-match check).

mod sign;
mod verify;

pub use sign::{Signed, SigningSession};
pub use verify::{Pass, VerificationSession};
