//! glance-sig: sign, verify and inspect OpenStack image signatures, upload signed images and
//! audit a cloud. The binary (`main.rs`) parses the arguments and calls [`commands::run`].
//!
//! The modules point one way: [`commands`] use [`engine`] (the scheme work, over bytes and
//! chunks), [`io`] (files, the terminal, the clock), [`cloud`] (Keystone, Barbican, Glance over
//! HTTP), [`keys`] (signers outside the engine: PKCS#11 tokens, external commands) and
//! [`output`] (what is printed); [`args`] are the flags, [`error`] and [`exit`] how a command
//! ends.

pub mod args;
pub mod cloud;
pub mod commands;
pub mod engine;
pub mod error;
pub mod exit;
pub mod io;
pub mod keys;
pub mod output;
