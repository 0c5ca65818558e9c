//! `glance-sig-bench` (built only with the `bench` feature, never shipped): the in-memory rate
//! of an engine's signing session, the yardstick for the streaming rates in bench/component.sh.
//! Zeros made in memory are fed through the engine's public signing session (for the
//! component: copied into wasm memory, as any host does), so no file reading is timed.

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use std::path::PathBuf;

use glance_sig_cli::args::common::{parse_hash, EngineArgs, EngineKind};
use glance_sig_cli::commands::inputs;
use glance_sig_cli::engine::{Engine, SignRequest, SigningKey};
use glance_sig_cli::error::CliError;
use glance_sig_cli::io::image::{ImageData, ImageSource};
use glance_sig_cli::output::render;
use glance_sig_core::HashMethod;
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
    /// The signing key (an unencrypted PEM or DER key).
    #[arg(long, default_value = "crates/glance-sig-core/tests/data/p384-key.pem")]
    key: PathBuf,
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
    glance_sig_cli::with_engine!(args.engine, |engine| measure(engine, args))
}

/// `mib` MiB of zeros, made in memory: no file is read.
struct Zeros(u64);

impl ImageSource for Zeros {
    fn open(&mut self, label: &'static str) -> Result<ImageData<'_>, CliError> {
        let reader = std::io::Read::take(std::io::repeat(0), self.0);
        Ok(ImageData::new(reader, self.0, label, |source| {
            CliError::Read {
                what: "zeros",
                path: "memory".to_owned(),
                source,
            }
        }))
    }
}

fn measure<E: Engine>(engine: &mut E, args: &BenchArgs) -> Result<(), CliError> {
    const MIB: u64 = 1024 * 1024;
    let bytes = args.mib * MIB;
    let key = inputs::private_key(engine, &args.key, None)?;
    let start = Instant::now();
    let signed = engine.sign(
        SignRequest {
            key: SigningKey::Parsed(&key),
            certificate: None,
            hash: args.hash_method,
            certificate_uuid: "bench",
            at: 0,
        },
        &mut |_| {},
        &mut Zeros(bytes),
    )?;
    let seconds = start.elapsed().as_secs_f64();
    signed.map_err(|e| CliError::Sign(format!("{e:?}")))?;
    render::json(&json!({
        "engine": match args.engine.engine { EngineKind::Native => "native", EngineKind::Component => "component" },
        "hash_method": args.hash_method.name(),
        "bytes": bytes,
        "seconds": seconds,
        "mb_per_s": bytes as f64 / seconds.max(1e-9) / 1e6,
    }));
    Ok(())
}
