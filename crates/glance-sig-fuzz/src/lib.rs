//! One function per fuzz target. Each hands hostile bytes to a parser the doors expose to
//! input (files, the cloud's answers) and checks what a user relies on: no panic, and for what
//! parses, that it means the same thing when written out and read back.
//!
//! The cargo-fuzz crate (`fuzz/`, outside the workspace, nightly) calls these from its
//! `fuzz_target!`s; `tests/corpus.rs` replays the committed corpus and every crash
//! reproducer through them on stable, in the test suite.

pub mod cloud;
pub mod scheme;

/// A target: its name (the directory under `fuzz/corpus/`) and the function it fuzzes.
pub struct Target {
    /// The cargo-fuzz target name.
    pub name: &'static str,
    /// Feeds one input to the parser and checks the result; panics on a broken invariant.
    /// Returns whether the input parsed, so a corpus can be shown to reach past the refusals.
    pub run: fn(&[u8]) -> bool,
}

/// Every target, in the order `scripts/fuzz/run.sh` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "properties_json",
        run: scheme::properties_json,
    },
    Target {
        name: "base64",
        run: scheme::base64,
    },
    Target {
        name: "certificate",
        run: scheme::certificate,
    },
    Target {
        name: "private_key",
        run: scheme::private_key,
    },
    Target {
        name: "glance_response",
        run: cloud::glance_response,
    },
    Target {
        name: "keystone_response",
        run: cloud::keystone_response,
    },
    Target {
        name: "barbican_response",
        run: cloud::barbican_response,
    },
    Target {
        name: "clouds_yaml",
        run: cloud::clouds_yaml,
    },
];
