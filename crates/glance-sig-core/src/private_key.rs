//! Private keys: PKCS#8 (plain and passphrase-encrypted), PKCS#1 RSA, SEC1 EC and
//! OpenSSL's DSA format, in PEM or DER.

use der::asn1::UintRef;
use der::{Decode, Reader};
use pkcs8::{EncryptedPrivateKeyInfo, PrivateKeyInfo};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey};

use crate::error::KeyError;
use crate::oid;
use crate::pem;
use crate::properties::KeyType;
use crate::public_key::{EcPublicKey, PublicKey};

/// The largest RSA key the `rsa` crate loads for signing.
pub const MAX_RSA_SIGN_BITS: usize = 4096;

/// A private key that can sign Glance images.
#[derive(Clone)]
pub enum PrivateKey {
    /// RSA, signing RSA-PSS.
    Rsa(Box<RsaPrivateKey>),
    /// ECDSA P-384, signing `ECC_SECP384R1`.
    P384(p384::ecdsa::SigningKey),
    /// ECDSA P-521, signing `ECC_SECP521R1`.
    P521(p521::ecdsa::SigningKey),
    /// DSA.
    Dsa(dsa::SigningKey),
}

impl std::fmt::Debug for PrivateKey {
    // Never print key material.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({})", self.key_type())
    }
}

/// PBKDF2 iterations allowed: OpenSSL 3 writes 2048, cryptography and OWASP's advice for
/// PBKDF2-SHA256 are 600,000; ten million take a few seconds.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
/// scrypt memory allowed (128 * r * N bytes): 256 MiB, sixteen times OpenSSL's default.
pub const MAX_SCRYPT_MEMORY: u64 = 256 << 20;
/// scrypt parallelization allowed (each lane costs the memory again, in time).
pub const MAX_SCRYPT_PARALLELIZATION: u16 = 16;

/// Refuses key derivations too costly to run, before the passphrase is asked for.
fn check_kdf_cost(scheme: &pkcs8::pkcs5::EncryptionScheme<'_>) -> Result<(), KeyError> {
    use pkcs8::pkcs5::pbes2::Kdf;
    let pkcs8::pkcs5::EncryptionScheme::Pbes2(params) = scheme else {
        return Ok(());
    };
    match &params.kdf {
        Kdf::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => {
            Err(KeyError::KdfTooCostly {
                cost: format!("{} PBKDF2 iterations", p.iteration_count),
                limit: format!("{MAX_PBKDF2_ITERATIONS}"),
            })
        }
        Kdf::Scrypt(p) => {
            let memory = 128u64
                .saturating_mul(u64::from(p.block_size))
                .saturating_mul(p.cost_parameter);
            if memory > MAX_SCRYPT_MEMORY {
                return Err(KeyError::KdfTooCostly {
                    cost: format!(
                        "{} MiB of scrypt memory (N = {}, r = {})",
                        memory >> 20,
                        p.cost_parameter,
                        p.block_size
                    ),
                    limit: format!("{} MiB", MAX_SCRYPT_MEMORY >> 20),
                });
            }
            if p.parallelization > MAX_SCRYPT_PARALLELIZATION {
                return Err(KeyError::KdfTooCostly {
                    cost: format!("scrypt parallelization {}", p.parallelization),
                    limit: format!("{MAX_SCRYPT_PARALLELIZATION}"),
                });
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

type KeyDecoder = fn(&[u8], Option<&[u8]>) -> Result<PrivateKey, KeyError>;

/// Whether the key file is passphrase-protected, so a caller knows to ask for one.
pub fn is_encrypted(bytes: &[u8]) -> bool {
    if pem::looks_like_pem(bytes) {
        return pem::blocks(bytes)
            .iter()
            .any(|b| b.label == "ENCRYPTED PRIVATE KEY" || b.legacy_encrypted);
    }
    EncryptedPrivateKeyInfo::try_from(bytes).is_ok()
}

impl PrivateKey {
    /// Reads a private key in any supported format.
    ///
    /// # Errors
    /// [`KeyError::PassphraseRequired`] / [`KeyError::WrongPassphrase`] for encrypted keys,
    /// [`KeyError::LegacyEncryptedPem`], [`KeyError::NotAKey`], [`KeyError::Malformed`],
    /// [`KeyError::UnsupportedAlgorithm`], [`KeyError::UnsupportedCurve`],
    /// [`KeyError::RsaTooLarge`].
    pub fn from_bytes(bytes: &[u8], passphrase: Option<&[u8]>) -> Result<Self, KeyError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(KeyError::Empty);
        }
        if !pem::looks_like_pem(bytes) {
            return Self::from_der_any(bytes, passphrase);
        }
        let blocks = pem::blocks(bytes);
        let mut labels = Vec::new();
        for block in blocks {
            let decoder: KeyDecoder = match block.label.as_str() {
                "PRIVATE KEY" => |d, _| Self::from_pkcs8(d),
                "ENCRYPTED PRIVATE KEY" => Self::from_encrypted_pkcs8,
                "RSA PRIVATE KEY" => |d, _| Self::from_pkcs1(d),
                "EC PRIVATE KEY" => |d, _| Self::from_sec1(d),
                "DSA PRIVATE KEY" => |d, _| Self::from_openssl_dsa(d),
                _ => {
                    labels.push(block.label);
                    continue;
                }
            };
            if block.legacy_encrypted {
                return Err(KeyError::LegacyEncryptedPem);
            }
            let der = block.der.map_err(|detail| KeyError::Malformed {
                format: "PEM",
                detail,
            })?;
            return decoder(&der, passphrase);
        }
        Err(KeyError::NotAKey { found: labels })
    }

    fn from_der_any(der: &[u8], passphrase: Option<&[u8]>) -> Result<Self, KeyError> {
        if PrivateKeyInfo::try_from(der).is_ok() {
            return Self::from_pkcs8(der);
        }
        if EncryptedPrivateKeyInfo::try_from(der).is_ok() {
            return Self::from_encrypted_pkcs8(der, passphrase);
        }
        if let Ok(k) = Self::from_pkcs1(der) {
            return Ok(k);
        }
        if let Ok(k) = Self::from_sec1(der) {
            return Ok(k);
        }
        if let Ok(k) = Self::from_openssl_dsa(der) {
            return Ok(k);
        }
        Err(KeyError::NotAKey { found: Vec::new() })
    }

    fn from_encrypted_pkcs8(der: &[u8], passphrase: Option<&[u8]>) -> Result<Self, KeyError> {
        let info =
            EncryptedPrivateKeyInfo::try_from(der).map_err(|e| malformed("encrypted PKCS#8", e))?;
        check_kdf_cost(&info.encryption_algorithm)?;
        let passphrase = passphrase.ok_or(KeyError::PassphraseRequired)?;
        let doc = info
            .decrypt(passphrase)
            .map_err(|_| KeyError::WrongPassphrase)?;
        Self::from_pkcs8(doc.as_bytes())
    }

    fn from_pkcs8(der: &[u8]) -> Result<Self, KeyError> {
        let info = PrivateKeyInfo::try_from(der).map_err(|e| malformed("PKCS#8", e))?;
        match info.algorithm.oid {
            oid::RSA_ENCRYPTION | oid::RSASSA_PSS => Self::from_pkcs1(info.private_key),
            oid::EC_PUBLIC_KEY => {
                let curve = info
                    .algorithm
                    .parameters_oid()
                    .map_err(|e| malformed("PKCS#8 EC parameters", e))?;
                // PKCS#8 wraps a SEC1 key; its curve is named here, not (always) inside.
                Self::from_ec(curve, info.private_key, "PKCS#8 EC key")
            }
            oid::DSA => dsa::SigningKey::try_from(info)
                .map(PrivateKey::Dsa)
                .map_err(|e| malformed("PKCS#8 DSA key", e)),
            other => Err(KeyError::UnsupportedAlgorithm {
                algorithm: oid::algorithm_name(&other),
            }),
        }
    }

    fn from_pkcs1(der: &[u8]) -> Result<Self, KeyError> {
        let parsed =
            pkcs1::RsaPrivateKey::from_der(der).map_err(|e| malformed("PKCS#1 RSA key", e))?;
        let bits = BigUint::from_bytes_be(parsed.modulus.as_bytes()).bits();
        if bits > MAX_RSA_SIGN_BITS {
            return Err(KeyError::RsaTooLarge {
                bits,
                max: MAX_RSA_SIGN_BITS,
            });
        }
        RsaPrivateKey::from_pkcs1_der(der)
            .map(|k| PrivateKey::Rsa(Box::new(k)))
            .map_err(|e| malformed("PKCS#1 RSA key", e))
    }

    fn from_sec1(der: &[u8]) -> Result<Self, KeyError> {
        let parsed = sec1::EcPrivateKey::from_der(der).map_err(|e| malformed("SEC1 EC key", e))?;
        let curve = parsed
            .parameters
            .and_then(|p| p.named_curve())
            .ok_or_else(|| malformed("SEC1 EC key", "no named curve"))?;
        Self::from_ec(curve, der, "SEC1 EC key")
    }

    /// A SEC1 `ECPrivateKey` on `curve`; `form` names the container in errors.
    fn from_ec(
        curve: der::asn1::ObjectIdentifier,
        sec1: &[u8],
        form: &'static str,
    ) -> Result<Self, KeyError> {
        match curve {
            oid::SECP384R1 => p384::SecretKey::from_sec1_der(sec1)
                .map(|k| PrivateKey::P384(k.into()))
                .map_err(|e| malformed(form, e)),
            oid::SECP521R1 => p521::SecretKey::from_sec1_der(sec1)
                .map_err(|e| malformed(form, e))
                .and_then(|k| p521_signing_key(&k)),
            other => Err(KeyError::UnsupportedCurve {
                curve: oid::curve_name(&other),
            }),
        }
    }

    /// OpenSSL's `DSA PRIVATE KEY`: SEQUENCE { version, p, q, g, y, x }.
    fn from_openssl_dsa(der: &[u8]) -> Result<Self, KeyError> {
        let fail = |e: &dyn std::fmt::Display| malformed("OpenSSL DSA key", e);
        let any = der::asn1::AnyRef::from_der(der).map_err(|e| fail(&e))?;
        let ints = any
            .sequence(|r| {
                let mut v = Vec::with_capacity(6);
                for _ in 0..6 {
                    let i: UintRef<'_> = r.decode()?;
                    v.push(BigUint::from_bytes_be(i.as_bytes()));
                }
                Ok(v)
            })
            .map_err(|e| fail(&e))?;
        let [_, p, q, g, y, x] =
            <[BigUint; 6]>::try_from(ints).map_err(|_| fail(&"wrong field count"))?;
        let to_dsa = |b: BigUint| dsa::BigUint::from_bytes_be(&b.to_bytes_be());
        let components = dsa::Components::from_components(to_dsa(p), to_dsa(q), to_dsa(g))
            .map_err(|e| fail(&e))?;
        let vk = dsa::VerifyingKey::from_components(components, to_dsa(y)).map_err(|e| fail(&e))?;
        dsa::SigningKey::from_components(vk, to_dsa(x))
            .map(PrivateKey::Dsa)
            .map_err(|e| fail(&e))
    }

    /// The key type its signatures carry.
    pub fn key_type(&self) -> KeyType {
        match self {
            PrivateKey::Rsa(_) => KeyType::RsaPss,
            PrivateKey::P384(_) => KeyType::EccSecp384r1,
            PrivateKey::P521(_) => KeyType::EccSecp521r1,
            PrivateKey::Dsa(_) => KeyType::Dsa,
        }
    }

    /// The matching public key.
    pub fn public_key(&self) -> PublicKey {
        match self {
            PrivateKey::Rsa(k) => PublicKey::Rsa(k.to_public_key()),
            PrivateKey::P384(k) => PublicKey::Ec(EcPublicKey::P384(*k.verifying_key())),
            PrivateKey::P521(k) => {
                PublicKey::Ec(EcPublicKey::P521(p521::ecdsa::VerifyingKey::from(k)))
            }
            PrivateKey::Dsa(k) => PublicKey::Dsa(k.verifying_key().clone()),
        }
    }

    /// Whether this key made (can make) signatures that `public` verifies.
    pub fn matches(&self, public: &PublicKey) -> bool {
        self.public_key().same_key(public)
    }

    /// RSA modulus size, for reports.
    pub fn rsa_bits(&self) -> Option<usize> {
        match self {
            PrivateKey::Rsa(k) => Some(k.n().bits()),
            _ => None,
        }
    }
}

fn p521_signing_key(k: &p521::SecretKey) -> Result<PrivateKey, KeyError> {
    p521::ecdsa::SigningKey::from_bytes(&k.to_bytes())
        .map(PrivateKey::P521)
        .map_err(|e| malformed("P-521 key", e))
}

fn malformed(format: &'static str, e: impl std::fmt::Display) -> KeyError {
    KeyError::Malformed {
        format,
        detail: e.to_string(),
    }
}
