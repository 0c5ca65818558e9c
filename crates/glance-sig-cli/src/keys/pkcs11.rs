//! Keys in PKCS#11 tokens and HSMs, named by RFC 7512 URIs, through `cryptoki`.
//!
//! The token signs the digest the engine computed: RSA with CKM_RSA_PKCS_PSS (MGF1 over the
//! same hash, the maximum salt, as cursive's older clouds require), ECDSA with CKM_ECDSA
//! (raw `r||s`, which the signing session makes DER). The private key never leaves the
//! token.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{
    Attribute, AttributeType, KeyType as P11KeyType, ObjectClass, ObjectHandle,
};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use glance_sig_core::{pss_max_salt_len, HashMethod, KeyType, PublicKey};

use super::uri::{hex_escaped, Pkcs11Uri};
use crate::error::CliError;

/// Where PKCS#11 modules usually are, for `module-name=`.
const MODULE_DIRS: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/pkcs11",
    "/usr/lib/aarch64-linux-gnu/pkcs11",
    "/usr/lib64/pkcs11",
    "/usr/lib/pkcs11",
    "/usr/lib/softhsm",
    "/usr/local/lib/pkcs11",
];

fn error(uri: &Pkcs11Uri, detail: impl Into<String>, fix: impl Into<String>) -> CliError {
    CliError::Signer {
        signer: uri.display(),
        detail: detail.into(),
        fix: Some(fix.into()),
    }
}

/// A logged-in session on the token a URI names.
pub struct Token {
    session: Session,
    uri: Pkcs11Uri,
    label: String,
}

/// The module a URI or `--pkcs11-module` names.
fn module_path(uri: &Pkcs11Uri, flag: Option<&Path>) -> Result<PathBuf, CliError> {
    if let Some(path) = &uri.module_path {
        return Ok(PathBuf::from(path));
    }
    if let Some(path) = flag {
        return Ok(path.to_owned());
    }
    if let Some(name) = &uri.module_name {
        let file = if name.ends_with(".so") {
            name.clone()
        } else {
            format!("{name}.so")
        };
        return MODULE_DIRS
            .iter()
            .map(|d| Path::new(d).join(&file))
            .find(|p| p.exists())
            .ok_or_else(|| {
                error(
                    uri,
                    format!("no module {file} in {}", MODULE_DIRS.join(", ")),
                    "give its path: module-path=/path/to/module.so in the URI, or --pkcs11-module",
                )
            });
    }
    Err(error(
        uri,
        "no PKCS#11 module named",
        "give the token's module: --pkcs11-module /usr/lib/softhsm/libsofthsm2.so (or GLANCE_SIG_PKCS11_MODULE, or module-path= in the URI)",
    ))
}

impl Token {
    /// Loads the module, finds the one token the URI selects, and logs in.
    ///
    /// # Errors
    /// [`CliError::Signer`] naming the cause: a module that cannot be loaded, no or several
    /// matching tokens, a missing or wrong PIN, a locked token.
    pub fn open(
        uri: &Pkcs11Uri,
        module_flag: Option<&Path>,
        log_in: bool,
    ) -> Result<Self, CliError> {
        let module = module_path(uri, module_flag)?;
        let ctx = Pkcs11::new(&module).map_err(|e| {
            error(
                uri,
                format!("cannot load the PKCS#11 module {}: {e}", module.display()),
                "check the module's path and that it is a PKCS#11 library for this machine (dpkg -L softhsm2 | grep '\\.so' shows SoftHSM2's)",
            )
        })?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(P11Error::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => {
                return Err(error(
                    uri,
                    format!("the module {} failed to start: {e}", module.display()),
                    "check the module's configuration (SoftHSM2: SOFTHSM2_CONF and its tokendir)",
                ))
            }
        }
        let p11 = |e: P11Error| error(uri, e.to_string(), "check the token and its module");
        let mut matches = Vec::new();
        let mut present = Vec::new();
        for slot in ctx.get_slots_with_initialized_token().map_err(p11)? {
            let info = ctx.get_token_info(slot).map_err(p11)?;
            let label = info.label().trim().to_owned();
            present.push(format!(
                "{label:?} (serial {})",
                info.serial_number().trim()
            ));
            if uri.token.matches(
                slot.id(),
                &label,
                info.manufacturer_id(),
                info.serial_number(),
                info.model(),
            ) {
                matches.push((slot, label, info.login_required()));
            }
        }
        let (slot, label, login) = match matches.len() {
            1 => matches.remove(0),
            0 => {
                let there = if present.is_empty() {
                    "the module has no token".to_owned()
                } else {
                    format!("tokens there: {}", present.join(", "))
                };
                return Err(error(
                    uri,
                    format!("no token matches; {there}"),
                    "name the token with token=LABEL (or serial=)",
                ));
            }
            n => {
                return Err(error(
                    uri,
                    format!("{n} tokens match: {}", present.join(", ")),
                    "name one token with token=LABEL or serial=",
                ))
            }
        };
        let session = ctx.open_ro_session(slot).map_err(p11)?;
        let token = Self {
            session,
            uri: uri.clone(),
            label,
        };
        if login && log_in {
            token.login()?;
        }
        Ok(token)
    }

    /// The URI it was opened with.
    pub fn uri(&self) -> &Pkcs11Uri {
        &self.uri
    }

    fn login(&self) -> Result<(), CliError> {
        let uri = &self.uri;
        let pin = self.pin()?;
        match self.session.login(UserType::User, Some(&pin)) {
            Ok(()) | Err(P11Error::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
            Err(P11Error::Pkcs11(RvError::PinIncorrect, _)) => Err(error(
                uri,
                format!("wrong PIN for token {:?}", self.label),
                "check the PIN's source; tokens lock after a few wrong PINs",
            )),
            Err(P11Error::Pkcs11(RvError::PinLocked, _)) => Err(error(
                uri,
                format!("token {:?} is locked after too many wrong PINs", self.label),
                "unlock it with the security officer's PIN (softhsm2-util / pkcs11-tool --init-pin)",
            )),
            Err(P11Error::Pkcs11(RvError::PinExpired, _)) => Err(error(
                uri,
                format!("the PIN of token {:?} has expired", self.label),
                "set a new user PIN on the token",
            )),
            Err(e) => Err(error(uri, format!("login failed: {e}"), "check the PIN and the token")),
        }
    }

    /// The user PIN: `pin-source=` (a file, its first line), else `pin-value=` (with a
    /// warning), else a prompt on a terminal.
    fn pin(&self) -> Result<AuthPin, CliError> {
        let uri = &self.uri;
        if let Some(source) = &uri.pin_source {
            let path = source.strip_prefix("file:").unwrap_or(source);
            let path = path.strip_prefix("//").unwrap_or(path);
            let line = crate::io::files::secret_line("PIN file", Path::new(path))?;
            let text = std::str::from_utf8(&line).map(str::to_owned).map_err(|_| {
                error(
                    uri,
                    format!("the PIN file {path} is not UTF-8 text"),
                    "write the PIN as text on its first line",
                )
            })?;
            return Ok(AuthPin::new(text.into()));
        }
        if let Some(value) = &uri.pin_value {
            eprintln!("glance-sig: warning: pin-value puts the PIN on the command line, where other users can read it (ps, shell history); use pin-source=file:PATH");
            return Ok(AuthPin::new(value.clone().into()));
        }
        if std::io::stdin().is_terminal() {
            let typed = rpassword::prompt_password(format!("PIN for token {:?}: ", self.label))
                .map_err(|e| {
                    error(
                        uri,
                        format!("cannot read the PIN: {e}"),
                        "give pin-source=file:PATH in the URI",
                    )
                })?;
            return Ok(AuthPin::new(typed.into()));
        }
        Err(error(
            uri,
            format!(
                "token {:?} needs a PIN, and there is no terminal to ask on",
                self.label
            ),
            "add pin-source=file:PATH to the URI (a file holding the PIN on its first line)",
        ))
    }

    /// Objects of `class` that the URI's `object=` and `id=` select.
    fn find(&self, class: ObjectClass) -> Result<Vec<ObjectHandle>, CliError> {
        let mut template = vec![Attribute::Class(class)];
        if let Some(label) = &self.uri.object {
            template.push(Attribute::Label(label.as_bytes().to_vec()));
        }
        if let Some(id) = &self.uri.id {
            template.push(Attribute::Id(id.clone()));
        }
        self.session
            .find_objects(&template)
            .map_err(|e| error(&self.uri, e.to_string(), "check the token"))
    }

    /// What objects the token holds, for a message about a missing one.
    fn inventory(&self) -> String {
        let Ok(all) = self.session.find_objects(&[]) else {
            return String::new();
        };
        let names: Vec<String> = all
            .into_iter()
            .filter_map(|h| {
                let attrs = self
                    .session
                    .get_attributes(
                        h,
                        &[
                            AttributeType::Class,
                            AttributeType::Label,
                            AttributeType::Id,
                        ],
                    )
                    .ok()?;
                let mut class = String::new();
                let mut label = String::new();
                let mut id = String::new();
                for a in attrs {
                    match a {
                        Attribute::Class(c) => class = class_name(c).to_owned(),
                        Attribute::Label(l) => label = String::from_utf8_lossy(&l).into_owned(),
                        Attribute::Id(i) => id = hex_escaped(&i),
                        _ => {}
                    }
                }
                Some(format!("{class} object={label:?} id={id}"))
            })
            .collect();
        if names.is_empty() {
            "the token holds no objects this session can see".to_owned()
        } else {
            format!("the token holds: {}", names.join("; "))
        }
    }

    /// The one private key the URI names.
    ///
    /// # Errors
    /// [`CliError::Signer`]: none (with what the token holds), several, or one that cannot
    /// sign or has no Glance key type.
    pub fn private_key(&self) -> Result<KeyObject, CliError> {
        let uri = &self.uri;
        if uri.object_type.as_deref().is_some_and(|t| t != "private") {
            return Err(error(
                uri,
                format!(
                    "type={} names no private key",
                    uri.object_type.as_deref().unwrap_or_default()
                ),
                "a signing key is type=private (or leave type= out)",
            ));
        }
        let mut found = self.find(ObjectClass::PRIVATE_KEY)?;
        let handle = match found.len() {
            1 => found.remove(0),
            0 => {
                return Err(error(
                    uri,
                    format!("no private key on token {:?} matches; {}", self.label, self.inventory()),
                    "name the key by its label (object=) or id (id=%XX) as the token lists it (pkcs11-tool --list-objects --login)",
                ))
            }
            n => {
                return Err(error(
                    uri,
                    format!("{n} private keys on token {:?} match", self.label),
                    "add id=%XX to the URI to name one",
                ))
            }
        };
        let attrs = self
            .session
            .get_attributes(handle, &[AttributeType::KeyType, AttributeType::Sign])
            .map_err(|e| error(uri, e.to_string(), "check the token"))?;
        let mut kind = None;
        let mut can_sign = true;
        for a in attrs {
            match a {
                Attribute::KeyType(k) => kind = Some(k),
                Attribute::Sign(s) => can_sign = s,
                _ => {}
            }
        }
        if !can_sign {
            return Err(error(
                uri,
                "the key cannot sign (its CKA_SIGN attribute is false)",
                "use a key made for signing, or set CKA_SIGN when creating or importing it",
            ));
        }
        let public = self.public_key(handle, kind)?;
        let key_type = public.key_type().ok_or_else(|| {
            error(
                uri,
                format!(
                    "the key is {}, which no Glance key type names",
                    public.describe()
                ),
                "use an RSA key (2048 bits or more), an EC P-384 or P-521 key, or DSA",
            )
        })?;
        Ok(KeyObject {
            handle,
            public,
            key_type,
        })
    }

    /// The key's public half: from the private object (RSA), else from the public object
    /// with the same id or label (EC, DSA).
    fn public_key(
        &self,
        private: ObjectHandle,
        kind: Option<P11KeyType>,
    ) -> Result<PublicKey, CliError> {
        let uri = &self.uri;
        let get = |h: ObjectHandle, types: &[AttributeType]| {
            self.session
                .get_attributes(h, types)
                .map_err(|e| error(uri, e.to_string(), "check the token"))
        };
        let bad = |e: glance_sig_core::KeyError| {
            error(
                uri,
                format!("the token's public key: {e}"),
                "check the key object on the token",
            )
        };
        // The two byte-string attributes of a public key, in the order asked for.
        let pair = |h: ObjectHandle, first: AttributeType, second: AttributeType| {
            let mut values = [Vec::new(), Vec::new()];
            for a in get(h, &[first, second])? {
                let (which, bytes) = match a {
                    Attribute::Modulus(v) => (AttributeType::Modulus, v),
                    Attribute::PublicExponent(v) => (AttributeType::PublicExponent, v),
                    Attribute::EcParams(v) => (AttributeType::EcParams, v),
                    Attribute::EcPoint(v) => (AttributeType::EcPoint, v),
                    _ => continue,
                };
                values[usize::from(which == second)] = bytes;
            }
            Ok::<_, CliError>(values)
        };
        match kind {
            Some(P11KeyType::RSA) => {
                let [n, e] = pair(private, AttributeType::Modulus, AttributeType::PublicExponent)?;
                PublicKey::from_rsa_parts(&n, &e).map_err(bad)
            }
            Some(P11KeyType::EC) => {
                let public = self.public_object()?;
                let [params, point] = pair(public, AttributeType::EcParams, AttributeType::EcPoint)?;
                PublicKey::from_ec_parts(&params, &point).map_err(bad)
            }
            other => Err(error(
                uri,
                format!("the key is of PKCS#11 type {}, which glance-sig cannot sign Glance images with", other.map_or_else(|| "unknown".to_owned(), |k| k.to_string())),
                "use an RSA key or an EC P-384 or P-521 key",
            )),
        }
    }

    fn public_object(&self) -> Result<ObjectHandle, CliError> {
        self.find(ObjectClass::PUBLIC_KEY)?.into_iter().next().ok_or_else(|| {
            error(
                &self.uri,
                format!("token {:?} has no public key object with the same label or id as the private key, and PKCS#11 keeps an EC key's point there", self.label),
                "import the public key too (softhsm2-util --import imports both halves)",
            )
        })
    }

    /// The DER certificate the URI names on the token, if there is one.
    ///
    /// # Errors
    /// [`CliError::Signer`] for several matches.
    pub fn certificate(&self) -> Result<Option<Vec<u8>>, CliError> {
        let found = self.find(ObjectClass::CERTIFICATE)?;
        if found.len() > 1 {
            return Err(error(
                &self.uri,
                format!(
                    "{} certificates on token {:?} match",
                    found.len(),
                    self.label
                ),
                "add id=%XX to the certificate's URI to name one",
            ));
        }
        let Some(&handle) = found.first() else {
            return Ok(None);
        };
        for a in self
            .session
            .get_attributes(handle, &[AttributeType::Value])
            .map_err(|e| error(&self.uri, e.to_string(), "check the token"))?
        {
            if let Attribute::Value(der) = a {
                return Ok(Some(der));
            }
        }
        Ok(None)
    }

    /// The token's label.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// How the token signs for `key_type`, in words.
pub fn mechanism_words(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::RsaPss => "signs with CKM_RSA_PKCS_PSS, MGF1 over the same hash, the maximum salt",
        _ => "signs with CKM_ECDSA over the digest; the raw r||s is made DER",
    }
}

fn class_name(class: ObjectClass) -> &'static str {
    match class {
        ObjectClass::PRIVATE_KEY => "private key",
        ObjectClass::PUBLIC_KEY => "public key",
        ObjectClass::CERTIFICATE => "certificate",
        ObjectClass::SECRET_KEY => "secret key",
        _ => "object",
    }
}

/// A signing key on a token.
pub struct KeyObject {
    handle: ObjectHandle,
    public: PublicKey,
    key_type: KeyType,
}

impl KeyObject {
    /// Its public half, read from the token.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// The key type its signatures carry.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }
}

impl Token {
    /// The token signs `digest` (made with `hash`) with `key`.
    ///
    /// # Errors
    /// [`CliError::Signer`] with the token's refusal.
    pub fn sign(
        &self,
        key: &KeyObject,
        digest: &[u8],
        hash: HashMethod,
    ) -> Result<Vec<u8>, CliError> {
        let uri = &self.uri;
        let mechanism = match (&key.public, key.key_type) {
            (PublicKey::Rsa(k), _) => {
                let (hash_alg, mgf) = match hash {
                    HashMethod::Sha224 => (MechanismType::SHA224, PkcsMgfType::MGF1_SHA224),
                    HashMethod::Sha256 => (MechanismType::SHA256, PkcsMgfType::MGF1_SHA256),
                    HashMethod::Sha384 => (MechanismType::SHA384, PkcsMgfType::MGF1_SHA384),
                    HashMethod::Sha512 => (MechanismType::SHA512, PkcsMgfType::MGF1_SHA512),
                };
                let salt = pss_max_salt_len(k, hash);
                Mechanism::RsaPkcsPss(PkcsPssParams {
                    hash_alg,
                    mgf,
                    s_len: (salt as u64).into(),
                })
            }
            _ => Mechanism::Ecdsa,
        };
        self.session
            .sign(&mechanism, key.handle, digest)
            .map_err(|e| match e {
                P11Error::Pkcs11(RvError::KeyFunctionNotPermitted, _) => error(
                    uri,
                    "the token refuses to sign with this key (CKR_KEY_FUNCTION_NOT_PERMITTED)",
                    "use a key whose CKA_SIGN is true",
                ),
                P11Error::Pkcs11(RvError::MechanismInvalid | RvError::MechanismParamInvalid, _) => error(
                    uri,
                    format!("the token does not offer {} for this key and {hash}", mechanism_words(key.key_type)),
                    "check the token's mechanisms (pkcs11-tool --list-mechanisms); glance-sig needs raw-digest signing",
                ),
                e => error(uri, format!("the token failed to sign: {e}"), "check the token"),
            })
    }
}
