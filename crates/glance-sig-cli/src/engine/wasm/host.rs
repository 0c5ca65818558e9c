//! Loading the component, and the [`Engine`] that runs it.
//!
//! The component gets exactly one import, `wasi:random/random`; nothing else is linked, so a
//! component that wanted a clock, files or sockets would fail to instantiate. Its sessions'
//! reports come back as the core's JSON, read into the core's `Report`, and are rendered by
//! the same code as the native engine's.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use glance_sig_core::{Note, Report, SignatureProperties};
use wasmtime::component::{Component, Linker, ResourceAny};
use wasmtime::{Cache, CacheConfig, Config, Engine as Wasmtime, Store};
use wasmtime_wasi::random::{WasiRandom, WasiRandomCtx};

use crate::engine::wasm::bindings::exports::openstack::image_signature::sessions as wss;
use crate::engine::wasm::bindings::ImageSignature;
use crate::engine::wasm::convert::{
    certificate_error_message, hash_method, key_error_message, properties_in, properties_out,
    property_error_message, report_in, sign_refusal,
};
use crate::engine::{Engine, SignOutcome, SignRefusal, SignRequest, SigningKey, VerifyRequest};
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
        let path = component_path(given)?;
        let bytes = std::fs::read(&path).map_err(|e| {
            engine_error(&format!("cannot read the component {}", path.display()), e)
        })?;
        let found = sha256_hex(&bytes);
        match (given, PINNED_SHA256) {
            // The user's choice: run it, and say so when it is not the pinned one.
            (Some(_), pin) if found != pin => crate::output::render::err_line(&format!(
                "note: --engine component runs {} (sha256 {found}), chosen with --component or \
                 GLANCE_SIG_COMPONENT; {}",
                path.display(),
                if pin.is_empty() {
                    "this glance-sig was built without a component to pin".to_owned()
                } else {
                    format!("it is not the component this glance-sig was built with (sha256 {pin})")
                }
            )),
            (Some(_), _) => {}
            (None, pin) if found != pin => {
                return Err(CliError::ComponentNotPinned {
                    path: path.display().to_string(),
                    found,
                    pinned: (!pin.is_empty()).then(|| pin.to_owned()),
                })
            }
            (None, _) => {}
        }
        Self::from_bytes(&bytes, &path)
    }

    /// Compiles and instantiates the component at `path`.
    ///
    /// # Errors
    /// [`CliError::Component`] when the file cannot be read, is not this component, or
    /// needs imports other than `wasi:random/random`.
    pub fn load(path: &Path) -> Result<Self, CliError> {
        let bytes = std::fs::read(path).map_err(|e| {
            engine_error(&format!("cannot read the component {}", path.display()), e)
        })?;
        Self::from_bytes(&bytes, path)
    }

    fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, CliError> {
        let at = |what: &str| format!("{what} {}", path.display());
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.cache(compilation_cache());
        let engine =
            Wasmtime::new(&config).map_err(|e| engine_error("cannot start wasmtime", e))?;
        let component = Component::from_binary(&engine, bytes)
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

    fn keep(&mut self, handle: ResourceAny) -> ResourceAny {
        self.handles.push(handle);
        handle
    }
}

/// Streams the image through `update` calls on a guest resource, read ahead as every pass is
/// (`io::image::stream_reader`); after a trap nothing more is read.
fn stream(
    store: &mut Store<HostState>,
    image: &mut dyn ImageSource,
    label: &'static str,
    mut update: impl FnMut(&mut Store<HostState>, &[u8]) -> wasmtime::Result<()>,
) -> Result<(), CliError> {
    let mut failed = None;
    image
        .open(label)?
        .feed_while(|chunk| match update(store, chunk) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        })?;
    failed.map_or(Ok(()), |e| Err(trap(e)))
}

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

    fn private_key(
        &mut self,
        bytes: &[u8],
        passphrase: Option<&[u8]>,
    ) -> Result<Result<ResourceAny, String>, CliError> {
        let r = self
            .bindings
            .openstack_image_signature_keys()
            .private_key()
            .call_parse(&mut self.store, bytes, passphrase)
            .map_err(trap)?;
        Ok(r.map(|h| self.keep(h)).map_err(|e| key_error_message(&e)))
    }

    fn verify(
        &mut self,
        request: VerifyRequest<'_, ResourceAny>,
        image: &mut dyn ImageSource,
    ) -> Result<Report, CliError> {
        let sessions = self
            .bindings
            .openstack_image_signature_sessions()
            .verification();
        let (store, handles) = (&mut self.store, &mut self.handles);
        let session = sessions
            .call_constructor(
                &mut *store,
                &properties_out(&request.properties),
                request.certificate.copied(),
                request.anchors,
                request.at,
                request.explain,
            )
            .map_err(trap)?;
        handles.push(session);
        while let Some(pass) = sessions
            .call_wants_data(&mut *store, session)
            .map_err(trap)?
        {
            let label = match pass {
                wss::Pass::Verify => "verifying",
                wss::Pass::Explain => "explaining",
            };
            stream(store, image, label, |store, chunk| {
                sessions.call_update(store, session, chunk)
            })?;
            sessions.call_end_pass(&mut *store, session).map_err(trap)?;
        }
        match sessions.call_report(&mut *store, session).map_err(trap)? {
            Ok(report) => report_in(&report),
            Err(wss::SessionError::AlreadyFinished) => Err(engine_error(
                "the component",
                "the verification was already finished",
            )),
        }
    }

    fn sign(
        &mut self,
        request: SignRequest<'_, ResourceAny, ResourceAny>,
        notes: &mut dyn FnMut(&Note),
        image: &mut dyn ImageSource,
    ) -> Result<Result<SignOutcome, SignRefusal>, CliError> {
        let signing = self.bindings.openstack_image_signature_sessions().signing();
        let (store, handles) = (&mut self.store, &mut self.handles);
        let (hash, uuid, at) = (
            hash_method(request.hash),
            request.certificate_uuid,
            request.at,
        );
        let (started, outside) = match (request.key, request.certificate) {
            (SigningKey::Parsed(key), cert) => (
                signing.call_start(&mut *store, *key, cert.copied(), hash, uuid, at),
                None,
            ),
            (SigningKey::Outside(signer), Some(cert)) => (
                signing.call_start_outside(&mut *store, *cert, hash, uuid, at),
                Some(signer),
            ),
            (SigningKey::Outside(_), None) => return Ok(Err(SignRefusal::NoCertificate)),
        };
        let session = match started.map_err(trap)? {
            Ok(session) => session,
            Err(e) => return Ok(Err(sign_refusal(e))),
        };
        handles.push(session);
        let told = signing.call_notes(&mut *store, session).map_err(trap)?;
        for note in &told {
            notes(&Note {
                code: note.code.clone(),
                message: note.message.clone(),
            });
        }
        stream(store, image, "signing", |store, chunk| {
            signing.call_update(store, session, chunk)
        })?;
        let finished = match outside {
            None => signing.call_finish(&mut *store, session),
            Some(sign) => {
                let digest = signing.call_digest(&mut *store, session).map_err(trap)?;
                let signature = sign(&digest)?;
                signing.call_finish_with(&mut *store, session, &signature)
            }
        };
        Ok(finished
            .map_err(trap)?
            .map(|signed| SignOutcome {
                properties: properties_in(signed.properties),
                notes: signed
                    .notes
                    .into_iter()
                    .skip(told.len())
                    .map(|n| Note {
                        code: n.code,
                        message: n.message,
                    })
                    .collect(),
                pss_salt_length: signed.pss_salt_length.map(|s| s as usize),
            })
            .map_err(sign_refusal))
    }
}

/// Where the component is: `--component` / `GLANCE_SIG_COMPONENT` (the user's choice), else
/// beside this executable or in `../component/` (`target/release/glance-sig` finds
/// `target/component/`), where [`ComponentEngine::locate`] checks it against the pin. Never
/// the current directory: a file planted there would get the private key.
///
/// # Errors
/// [`CliError::ComponentMissing`], naming every place looked at.
pub fn component_path(given: Option<&Path>) -> Result<PathBuf, CliError> {
    let tried = match given {
        Some(p) => vec![p.to_owned()],
        None => std::env::current_exe()
            .ok()
            .as_deref()
            .and_then(Path::parent)
            .map(|dir| vec![dir.join(COMPONENT_FILE), dir.join("..").join(COMPONENT_REL)])
            .unwrap_or_default(),
    };
    match tried.iter().find(|p| p.is_file()) {
        Some(p) => Ok(p.clone()),
        None => Err(CliError::ComponentMissing {
            tried: tried.iter().map(|p| p.display().to_string()).collect(),
        }),
    }
}

/// The SHA-256 (hex) of the component built beside this binary (build.rs); empty when there
/// was none at build time.
pub const PINNED_SHA256: &str = env!("GLANCE_SIG_COMPONENT_SHA256");

fn sha256_hex(bytes: &[u8]) -> String {
    let mut hasher = glance_sig_core::ImageHasher::new(glance_sig_core::HashMethod::Sha256);
    hasher.update(bytes);
    hasher.finalize().to_hex()
}

/// The file `scripts/component/build.sh` writes.
pub const COMPONENT_FILE: &str = "glance_sig_component.wasm";
const COMPONENT_REL: &str = "component/glance_sig_component.wasm";
