//! `glance-sig-bench` (built only with the `bench` feature, never shipped): the in-memory hash
//! rate of an engine, the yardstick for the streaming rates in bench/component.sh. Zeros are
//! hashed where the engine runs (in this process, or inside the component with no host copy);
//! only the hashing is timed.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use glance_sig_cli::args::common::{parse_hash, EngineArgs, EngineKind};
use glance_sig_cli::engine::wasm::host::ComponentEngine;
use glance_sig_cli::error::CliError;
use glance_sig_cli::output::render;
use glance_sig_core::{HashMethod, ImageHasher};
use serde_json::json;

/// Hash zeros in memory and print the rate as JSON (bench/component.sh).
#[derive(Debug, Parser)]
#[command(name = "glance-sig-bench")]
struct BenchArgs {
    /// Mebibytes of zeros to hash.
    #[arg(long, default_value_t = 1024)]
    mib: u64,
    /// SHA-224, SHA-256, SHA-384 or SHA-512.
    #[arg(long, default_value = "SHA-256", value_parser = parse_hash)]
    hash_method: HashMethod,
    #[command(flatten)]
    engine: EngineArgs,
}

fn main() -> ExitCode {
    match run(&BenchArgs::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("glance-sig-bench: error: {e}");
            if let Some(fix) = e.fix() {
                eprintln!("  fix: {fix}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(args: &BenchArgs) -> Result<(), CliError> {
    const MIB: u64 = 1024 * 1024;
    let bytes = args.mib * MIB;
    let (seconds, digest) = match args.engine.engine {
        EngineKind::Native => {
            let zeros = vec![0u8; 1 << 20];
            let start = Instant::now();
            let mut hasher = ImageHasher::new(args.hash_method);
            for _ in 0..args.mib {
                hasher.update(&zeros);
            }
            let digest = hasher.finalize().as_bytes().to_vec();
            (start.elapsed().as_secs_f64(), digest)
        }
        EngineKind::Component => {
            let mut engine = ComponentEngine::locate(args.engine.component.as_deref())?;
            let start = Instant::now();
            let digest = engine.hash_zeros(args.hash_method, bytes)?;
            (start.elapsed().as_secs_f64(), digest)
        }
    };
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    render::json(&json!({
        "engine": match args.engine.engine { EngineKind::Native => "native", EngineKind::Component => "component" },
        "hash_method": args.hash_method.name(),
        "bytes": bytes,
        "seconds": seconds,
        "mb_per_s": bytes as f64 / seconds.max(1e-9) / 1e6,
        "digest": hex,
    }));
    Ok(())
}
