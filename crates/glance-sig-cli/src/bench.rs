//! `glance-sig bench-hash` (hidden): the in-memory hash rate of an engine, the yardstick for
//! the streaming rates in bench/component.sh. Zeros are hashed where the engine runs (in
//! this process, or inside the component with no host copy); only the hashing is timed.

use std::time::Instant;

use glance_sig_core::ImageHasher;
use serde_json::json;

use crate::cli::{BenchHashArgs, EngineKind};
use crate::component::ComponentEngine;
use crate::engine::component_path;
use crate::exit::{CliError, Outcome};
use crate::render;

pub fn run(args: &BenchHashArgs) -> Result<Outcome, CliError> {
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
            let mut engine =
                ComponentEngine::load(&component_path(args.engine.component.as_deref())?)?;
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
    Ok(Outcome::Success)
}
