//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) and every crash reproducer
//! (`fuzz/regressions/<target>/`) through the targets on stable: what a fuzzer once found
//! stays fixed, without nightly.

use std::path::{Path, PathBuf};

use glance_sig_fuzz::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_has_a_corpus_and_survives_it() {
    for target in TARGETS {
        let corpus = inputs(&fuzz_dir().join("corpus").join(target.name));
        assert!(
            corpus.len() >= 10,
            "fuzz/corpus/{} holds {} inputs: run scripts/fuzz/run.sh",
            target.name,
            corpus.len()
        );
        let regressions = inputs(&fuzz_dir().join("regressions").join(target.name));
        let mut parsed = 0;
        for input in corpus.iter().chain(&regressions) {
            let bytes = std::fs::read(input).expect("readable corpus file");
            match std::panic::catch_unwind(|| (target.run)(&bytes)) {
                Ok(true) => parsed += 1,
                Ok(false) => {}
                Err(_) => panic!("{} panics on {}", target.name, input.display()),
            }
        }
        // A corpus of refusals only would never reach the checks on what parses.
        assert!(parsed > 0, "no input in fuzz/corpus/{} parses", target.name);
    }
}

#[test]
fn every_target_has_a_cargo_fuzz_entry_point() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for target in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{}\"", target.name)),
            "fuzz/Cargo.toml has no [[bin]] for {}",
            target.name
        );
        let source = fuzz_dir()
            .join("fuzz_targets")
            .join(format!("{}.rs", target.name));
        let text = std::fs::read_to_string(&source).expect("the target's source");
        assert!(
            text.contains(&format!("::{}(", target.name)),
            "{} calls another harness",
            source.display()
        );
    }
}
