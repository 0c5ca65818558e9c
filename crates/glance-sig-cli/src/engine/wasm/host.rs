//! Loading the component, and the [`Engine`] that runs it.
//!
//! The component gets exactly one import, `wasi:random/random`; nothing else is linked, so a
//! component that wanted a clock, files or sockets would fail to instantiate. Its verdicts are
//! turned back into the core's types and go through the same `Report::new` and rendering as
//! the native engine.

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use glance_sig_core::{ChainVerdict, Diagnosis, HashMethod, SignatureProperties, SignatureVerdict};
use wasmtime::component::{Component, Linker, ResourceAny};
use wasmtime::{Cache, CacheConfig, Config, Engine as Wasmtime, Store};
use wasmtime_wasi::random::{WasiRandom, WasiRandomCtx};

use crate::engine::wasm::bindings::exports::openstack::image_signature::{
    signing as ws, verification as wv,
};
use crate::engine::wasm::bindings::ImageSignature;
use crate::engine::wasm::convert::{
    certificate_error_message, chain_in, diagnosis_in, hash_method, key_error_message,
    properties_in, properties_out, property_error_message, verdict_in,
};
use crate::engine::{CertFacts, Engine};
use crate::error::CliError;
use crate::io::image::ImageSource;

/// What the store holds: the random source, the only import.
struct HostState {
    random: WasiRandomCtx,
}

/// The component, instantiated once per command.
pub struct ComponentEngine {
    store: Store<HostState>,
    bindings: ImageSignature,
    /// Resources to drop at the end (the guest frees them; the process ends right after).
    handles: Vec<ResourceAny>,
}

fn engine_error(context: &str, e: impl std::fmt::Display) -> CliError {
    CliError::Component {
        detail: format!("{context}: {e}"),
    }
}

impl ComponentEngine {
    /// Finds the component ([`component_path`]) and loads it.
    ///
    /// # Errors
    /// [`CliError::ComponentMissing`] when there is none; those of [`ComponentEngine::load`].
    pub fn locate(given: Option<&Path>) -> Result<Self, CliError> {
        Self::load(&component_path(given)?)
    }

    /// Compiles and instantiates the component at `path`.
    ///
    /// # Errors
    /// [`CliError::Component`] when the file cannot be read, is not this component, or
    /// needs imports other than `wasi:random/random`.
    pub fn load(path: &Path) -> Result<Self, CliError> {
        let at = |what: &str| format!("{what} {}", path.display());
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.cache(compilation_cache());
        let engine =
            Wasmtime::new(&config).map_err(|e| engine_error("cannot start wasmtime", e))?;
        let bytes =
            std::fs::read(path).map_err(|e| engine_error(&at("cannot read the component"), e))?;
        let component = Component::from_binary(&engine, &bytes)
            .map_err(|e| engine_error(&at("cannot compile the component"), e))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::bindings::random::random::add_to_linker::<HostState, WasiRandom>(
            &mut linker,
            |s| &mut s.random,
        )
        .map_err(|e| engine_error("cannot link wasi:random", e))?;
        let mut store = Store::new(
            &engine,
            HostState {
                random: WasiRandomCtx::default(),
            },
        );
        let bindings = ImageSignature::instantiate(&mut store, &component, &linker)
            .map_err(|e| engine_error(&at("cannot instantiate the component"), e))?;
        Ok(Self {
            store,
            bindings,
            handles: Vec::new(),
        })
    }

    /// Hashes `length` zero bytes inside the component; for `glance-sig-bench`.
    ///
    /// # Errors
    /// [`CliError::Component`] when the component traps.
    #[cfg(feature = "bench")]
    pub fn hash_zeros(&mut self, hash: HashMethod, length: u64) -> Result<Vec<u8>, CliError> {
        self.bindings
            .openstack_image_signature_self_test()
            .call_hash_zeros(&mut self.store, hash_method(hash), length)
            .map_err(trap)
    }

    fn keep(&mut self, handle: ResourceAny) -> ResourceAny {
        self.handles.push(handle);
        handle
    }
}

/// Streams the image through `update` calls on a guest resource. A reader thread reads the
/// next chunks while the component hashes the current one, so file reading costs no time
/// (the component hashes at ~300 MB/s; reading from the page cache is ~5% of that).
fn stream(
    store: &mut Store<HostState>,
    image: &mut dyn ImageSource,
    label: &'static str,
    mut update: impl FnMut(&mut Store<HostState>, &[u8]) -> wasmtime::Result<()>,
) -> Result<(), CliError> {
    // Filled chunks go one way, emptied buffers come back: three buffers in flight, no
    // allocation per chunk.
    let (full_tx, full_rx) = mpsc::sync_channel::<Vec<u8>>(1);
    let (empty_tx, empty_rx) = mpsc::sync_channel::<Vec<u8>>(READ_AHEAD_BUFFERS);
    for _ in 0..READ_AHEAD_BUFFERS {
        // The channel holds READ_AHEAD_BUFFERS, and the receiver is alive.
        let _ = empty_tx.send(Vec::new());
    }
    // Opened here, so that an unreadable source fails before the reader thread starts.
    let data = image.open(label)?;
    let mut failed = None;
    let read = std::thread::scope(|s| {
        let reader = s.spawn(move || {
            data.feed(|chunk| {
                // After a failed update the hasher stops taking chunks; the rest is skipped.
                let Ok(mut buf) = empty_rx.recv() else { return };
                buf.clear();
                buf.extend_from_slice(chunk);
                let _ = full_tx.send(buf);
            })
        });
        for chunk in full_rx {
            if let Err(e) = update(store, &chunk) {
                failed = Some(e);
                break;
            }
            let _ = empty_tx.send(chunk);
        }
        drop(empty_tx);
        reader.join()
    });
    match read {
        Ok(r) => {
            r?;
        }
        Err(panic) => std::panic::resume_unwind(panic),
    }
    failed.map_or(Ok(()), |e| Err(trap(e)))
}

/// Buffers between the reader thread and the component.
const READ_AHEAD_BUFFERS: usize = 3;

impl Drop for ComponentEngine {
    fn drop(&mut self) {
        for h in self.handles.drain(..) {
            // Nothing useful to do if the guest destructor traps while we are exiting.
            let _ = h.resource_drop(&mut self.store);
        }
    }
}

/// wasmtime's on-disk cache of compiled code, in `$GLANCE_SIG_CACHE/wasmtime` (default
/// `~/.cache/glance-sig/wasmtime`): compiling the component takes about 2 s, loading it from
/// the cache a few milliseconds. Without a usable directory, every run compiles.
fn compilation_cache() -> Option<Cache> {
    let base = match std::env::var_os("GLANCE_SIG_CACHE") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(std::env::var_os("HOME")?).join(".cache/glance-sig"),
    };
    let dir = std::path::absolute(base.join("wasmtime")).ok()?;
    std::fs::create_dir_all(&dir).ok()?;
    let mut config = CacheConfig::new();
    config.with_directory(dir);
    Cache::new(config).ok()
}

fn trap(e: wasmtime::Error) -> CliError {
    engine_error("the component failed", e)
}

impl Engine for ComponentEngine {
    type Cert = ResourceAny;
    type Key = ResourceAny;

    fn properties(&mut self, json: &[u8]) -> Result<Result<SignatureProperties, String>, CliError> {
        let r = self
            .bindings
            .openstack_image_signature_properties()
            .call_from_json(&mut self.store, json)
            .map_err(trap)?;
        Ok(r.map(properties_in).map_err(|e| property_error_message(&e)))
    }

    fn certificate(&mut self, bytes: &[u8]) -> Result<Result<ResourceAny, String>, CliError> {
        let r = self
            .bindings
            .openstack_image_signature_certificates()
            .certificate()
            .call_parse(&mut self.store, bytes)
            .map_err(trap)?;
        Ok(r.map(|h| self.keep(h))
            .map_err(|e| certificate_error_message(&e)))
    }

    fn certificates(&mut self, bytes: &[u8]) -> Result<Result<Vec<ResourceAny>, String>, CliError> {
        let r = self
            .bindings
            .openstack_image_signature_certificates()
            .certificate()
            .call_parse_all(&mut self.store, bytes)
            .map_err(trap)?;
        Ok(r.map(|hs| hs.into_iter().map(|h| self.keep(h)).collect())
            .map_err(|e| certificate_error_message(&e)))
    }

    fn facts(&mut self, cert: &ResourceAny) -> Result<CertFacts, CliError> {
        // The time only sets `validity`, which is not used here.
        let info = self
            .bindings
            .openstack_image_signature_certificates()
            .certificate()
            .call_info(&mut self.store, *cert, 0)
            .map_err(trap)?;
        Ok(CertFacts {
            subject: info.subject,
            not_before: info.not_before,
            not_after: info.not_after,
            key: info.public_key.summary,
        })
    }

    fn private_key(
        &mut self,
        bytes: &[u8],
        passphrase: Option<&[u8]>,
    ) -> Result<Result<ResourceAny, String>, CliError> {
        let r = self
            .bindings
            .openstack_image_signature_signing()
            .private_key()
            .call_parse(&mut self.store, bytes, passphrase)
            .map_err(trap)?;
        Ok(r.map(|h| self.keep(h)).map_err(|e| key_error_message(&e)))
    }

    fn key_matches(&mut self, key: &ResourceAny, cert: &ResourceAny) -> Result<bool, CliError> {
        self.bindings
            .openstack_image_signature_signing()
            .private_key()
            .call_matches(&mut self.store, *key, *cert)
            .map_err(trap)
    }

    fn sign(
        &mut self,
        key: &ResourceAny,
        hash: HashMethod,
        cert_uuid: &str,
        image: &mut dyn ImageSource,
    ) -> Result<Result<SignatureProperties, String>, CliError> {
        let Self {
            store,
            bindings,
            handles,
        } = self;
        let signing = bindings.openstack_image_signature_signing().signer();
        let signer = signing
            .call_constructor(&mut *store, *key, hash_method(hash))
            .map_err(trap)?;
        handles.push(signer);
        stream(store, image, "signing", |store, chunk| {
            signing.call_update(store, signer, chunk)
        })?;
        let r = signing
            .call_finish(&mut *store, signer, cert_uuid)
            .map_err(trap)?;
        Ok(r.map(properties_in).map_err(|e| match e {
            ws::SignError::Crypto(m) | ws::SignError::Other(m) => m,
            ws::SignError::AlreadyFinished => "the signer was already finished".to_owned(),
        }))
    }

    fn verify(
        &mut self,
        props: &SignatureProperties,
        cert: &ResourceAny,
        image: &mut dyn ImageSource,
    ) -> Result<SignatureVerdict, CliError> {
        let Self {
            store,
            bindings,
            handles,
        } = self;
        let verifying = bindings.openstack_image_signature_verification().verifier();
        let verifier = verifying
            .call_constructor(&mut *store, &properties_out(props), *cert)
            .map_err(trap)?;
        handles.push(verifier);
        // Refused before any data is read, as Glance answers at once.
        if verifying
            .call_needs_data(&mut *store, verifier)
            .map_err(trap)?
        {
            stream(store, image, "verifying", |store, chunk| {
                verifying.call_update(store, verifier, chunk)
            })?;
        }
        match verifying.call_finish(&mut *store, verifier).map_err(trap)? {
            Ok(v) => verdict_in(v),
            Err(wv::VerifyError::AlreadyFinished) => Err(engine_error(
                "the component",
                "the verifier was already finished",
            )),
        }
    }

    fn explain(
        &mut self,
        props: &SignatureProperties,
        cert: &ResourceAny,
        image: &mut dyn ImageSource,
    ) -> Result<Vec<Diagnosis>, CliError> {
        let Self {
            store,
            bindings,
            handles,
        } = self;
        let explaining = bindings
            .openstack_image_signature_verification()
            .explainer();
        let explainer = explaining
            .call_constructor(&mut *store, &properties_out(props), *cert)
            .map_err(trap)?;
        handles.push(explainer);
        // As natively: no second read when there is nothing to explain with data.
        if explaining
            .call_needs_data(&mut *store, explainer)
            .map_err(trap)?
        {
            stream(store, image, "explaining", |store, chunk| {
                explaining.call_update(store, explainer, chunk)
            })?;
        }
        match explaining
            .call_finish(&mut *store, explainer)
            .map_err(trap)?
        {
            Ok(ds) => ds.into_iter().map(diagnosis_in).collect(),
            Err(wv::VerifyError::AlreadyFinished) => Err(engine_error(
                "the component",
                "the explainer was already finished",
            )),
        }
    }

    fn chain(
        &mut self,
        cert: &ResourceAny,
        trusted: &[ResourceAny],
        at: i64,
    ) -> Result<ChainVerdict, CliError> {
        let Self {
            store,
            bindings,
            handles,
        } = self;
        let trust = bindings
            .openstack_image_signature_certificates()
            .trust_store();
        let trusted_set = trust.call_constructor(&mut *store).map_err(trap)?;
        handles.push(trusted_set);
        for t in trusted {
            trust.call_add(&mut *store, trusted_set, *t).map_err(trap)?;
        }
        let v = trust
            .call_validate(&mut *store, trusted_set, *cert, at)
            .map_err(trap)?;
        chain_in(v)
    }
}

/// Where the component is: `--component` / `GLANCE_SIG_COMPONENT`, else the output of
/// `scripts/component/build.sh` under the current directory, else next to this executable
/// (`target/release/glance-sig` finds `target/component/`).
///
/// # Errors
/// [`CliError::ComponentMissing`], naming every place looked at.
pub fn component_path(given: Option<&Path>) -> Result<PathBuf, CliError> {
    let tried = match given {
        Some(p) => vec![p.to_owned()],
        None => {
            let mut tried = vec![Path::new("target").join(COMPONENT_REL)];
            if let Some(dir) = std::env::current_exe()
                .ok()
                .as_deref()
                .and_then(Path::parent)
            {
                tried.push(dir.join(COMPONENT_FILE));
                tried.push(dir.join("..").join(COMPONENT_REL));
            }
            tried
        }
    };
    match tried.iter().find(|p| p.is_file()) {
        Some(p) => Ok(p.clone()),
        None => Err(CliError::ComponentMissing {
            tried: tried.iter().map(|p| p.display().to_string()).collect(),
        }),
    }
}

/// The file `scripts/component/build.sh` writes.
pub const COMPONENT_FILE: &str = "glance_sig_component.wasm";
const COMPONENT_REL: &str = "component/glance_sig_component.wasm";
