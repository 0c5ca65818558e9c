//! Public keys as certificates carry them, and the verification primitives the scheme uses.
//!
//! Every check here is a RustCrypto call. The one piece of encoding logic of our own,
//! [`locate_pss_salt_len`], only finds which salt length to ask the `rsa` crate to verify.

use std::borrow::Cow;

use der::{Decode, Encode};
use digest::{Digest, DynDigest};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use serde::Serialize;
use sha2::{Sha224, Sha256, Sha384, Sha512};
use signature::hazmat::PrehashVerifier;
use spki::SubjectPublicKeyInfoRef;

use crate::error::KeyError;
use crate::oid;
use crate::properties::{HashMethod, KeyClass, KeyType};

/// The largest RSA modulus accepted for verification (OpenSSL's limit as well).
pub const MAX_RSA_VERIFY_BITS: usize = 16384;

/// The largest DSA prime accepted (OpenSSL's limit as well).
pub const MAX_DSA_BITS: usize = 10_000;

/// A public key from a certificate (or a key file).
#[derive(Debug, Clone)]
pub enum PublicKey {
    /// RSA
    Rsa(RsaPublicKey),
    /// ECDSA on a curve we can verify.
    Ec(EcPublicKey),
    /// DSA
    Dsa(dsa::VerifyingKey),
    /// A key of an algorithm the scheme has no key type for (Ed25519, ...).
    Other {
        /// Readable name of the algorithm.
        algorithm: String,
    },
}

/// An ECDSA public key. P-256 is here because cursive accepts any EC certificate for the
/// `ECC_*` key types, so a P-256 signature under `ECC_SECP384R1` verifies in a cloud.
#[derive(Clone)]
pub enum EcPublicKey {
    /// NIST P-256
    P256(p256::ecdsa::VerifyingKey),
    /// NIST P-384
    P384(p384::ecdsa::VerifyingKey),
    /// NIST P-521
    P521(p521::ecdsa::VerifyingKey),
}

impl std::fmt::Debug for EcPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EcPublicKey({})", self.curve_name())
    }
}

impl EcPublicKey {
    /// Field size in bytes.
    pub fn field_len(&self) -> usize {
        match self {
            EcPublicKey::P256(_) => 32,
            EcPublicKey::P384(_) => 48,
            EcPublicKey::P521(_) => 66,
        }
    }
    /// The curve's name.
    pub fn curve_name(&self) -> &'static str {
        match self {
            EcPublicKey::P256(_) => "P-256",
            EcPublicKey::P384(_) => "P-384",
            EcPublicKey::P521(_) => "P-521",
        }
    }
    /// The key type naming this curve, if the scheme has one.
    pub fn key_type(&self) -> Option<KeyType> {
        match self {
            EcPublicKey::P256(_) => None,
            EcPublicKey::P384(_) => Some(KeyType::EccSecp384r1),
            EcPublicKey::P521(_) => Some(KeyType::EccSecp521r1),
        }
    }
    fn encoded_point(&self) -> Vec<u8> {
        match self {
            EcPublicKey::P256(k) => k.to_encoded_point(false).as_bytes().to_vec(),
            EcPublicKey::P384(k) => k.to_encoded_point(false).as_bytes().to_vec(),
            EcPublicKey::P521(k) => k.to_encoded_point(false).as_bytes().to_vec(),
        }
    }
}

/// A short description of a key, for people and JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyDescription {
    /// `RSA`, `EC`, `DSA`, or the other algorithm's name.
    pub algorithm: String,
    /// Key size in bits (modulus, field, or p).
    pub bits: Option<usize>,
    /// EC curve.
    pub curve: Option<String>,
    /// The key type a signature by this key carries, if the scheme has one.
    pub key_type: Option<KeyType>,
}

impl std::fmt::Display for KeyDescription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.curve, self.bits) {
            (Some(c), _) => write!(f, "an EC {c} key"),
            (None, Some(b)) => write!(f, "a {b}-bit {} key", self.algorithm),
            (None, None) => write!(f, "an {} key", self.algorithm),
        }
    }
}

impl PublicKey {
    /// Reads a DER `SubjectPublicKeyInfo`.
    ///
    /// # Errors
    /// [`KeyError::Malformed`] for broken encodings, [`KeyError::UnsupportedCurve`] for EC
    /// keys on curves other than P-256, P-384 and P-521.
    pub fn from_spki_der(der: &[u8]) -> Result<Self, KeyError> {
        let spki = SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| malformed("SubjectPublicKeyInfo", e))?;
        Self::from_spki(&spki)
    }

    /// An RSA key from its modulus and public exponent, big-endian (a token's CKA_MODULUS
    /// and CKA_PUBLIC_EXPONENT).
    ///
    /// # Errors
    /// [`KeyError::Malformed`] for a zero or oversized modulus or exponent.
    pub fn from_rsa_parts(modulus: &[u8], exponent: &[u8]) -> Result<Self, KeyError> {
        rsa_public(modulus, exponent).map(PublicKey::Rsa)
    }

    /// An EC key from DER ECParameters (a named curve) and its point, either as SEC 1 bytes
    /// or wrapped in a DER OCTET STRING (PKCS#11's CKA_EC_PARAMS and CKA_EC_POINT; tokens
    /// differ in the wrapping).
    ///
    /// # Errors
    /// [`KeyError::Malformed`], [`KeyError::UnsupportedCurve`].
    pub fn from_ec_parts(params: &[u8], point: &[u8]) -> Result<Self, KeyError> {
        let curve = der::asn1::ObjectIdentifier::from_der(params)
            .map_err(|e| malformed("EC parameters (a named curve)", e))?;
        let wrapped = der::asn1::OctetStringRef::from_der(point).ok();
        let candidates = wrapped.map(|o| o.as_bytes()).into_iter().chain([point]);
        let mut last = None;
        for sec1 in candidates {
            let spki = spki::SubjectPublicKeyInfoRef {
                algorithm: spki::AlgorithmIdentifierRef {
                    oid: oid::EC_PUBLIC_KEY,
                    parameters: Some(der::asn1::AnyRef::from(&curve)),
                },
                subject_public_key: der::asn1::BitStringRef::from_bytes(sec1)
                    .map_err(|e| malformed("EC point", e))?,
            };
            match Self::from_spki(&spki) {
                Ok(key) => return Ok(key),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| malformed("EC point", "empty")))
    }

    pub(crate) fn from_spki(spki: &SubjectPublicKeyInfoRef<'_>) -> Result<Self, KeyError> {
        let bits = spki.subject_public_key.raw_bytes();
        match spki.algorithm.oid {
            oid::RSA_ENCRYPTION | oid::RSASSA_PSS => {
                let k = pkcs1::RsaPublicKey::from_der(bits)
                    .map_err(|e| malformed("RSA public key", e))?;
                rsa_public(k.modulus.as_bytes(), k.public_exponent.as_bytes()).map(PublicKey::Rsa)
            }
            oid::EC_PUBLIC_KEY => {
                let curve = match spki.algorithm.parameters_oid() {
                    Ok(curve) => curve,
                    // Explicit parameters: the named curve they equal, as OpenSSL (and so
                    // cursive) reads them.
                    Err(e) => match &spki.algorithm.parameters {
                        Some(p) if der::Tagged::tag(p) == der::Tag::Sequence => p
                            .to_der()
                            .ok()
                            .and_then(|der| crate::ec_params::named_curve(&der))
                            .ok_or_else(|| KeyError::UnsupportedCurve {
                                curve: "explicit curve parameters that equal no named curve (P-256, P-384, P-521)".to_owned(),
                            })?,
                        _ => return Err(malformed("EC public key parameters", e)),
                    },
                };
                let ec = match curve {
                    oid::SECP256R1 => {
                        p256::ecdsa::VerifyingKey::from_sec1_bytes(bits).map(EcPublicKey::P256)
                    }
                    oid::SECP384R1 => {
                        p384::ecdsa::VerifyingKey::from_sec1_bytes(bits).map(EcPublicKey::P384)
                    }
                    oid::SECP521R1 => {
                        p521::ecdsa::VerifyingKey::from_sec1_bytes(bits).map(EcPublicKey::P521)
                    }
                    other => {
                        return Err(KeyError::UnsupportedCurve {
                            curve: oid::curve_name(&other),
                        })
                    }
                };
                ec.map(PublicKey::Ec)
                    .map_err(|e| malformed("EC public key", e))
            }
            oid::DSA => {
                let key = dsa::VerifyingKey::try_from(spki.clone())
                    .map_err(|e| malformed("DSA public key", e))?;
                // OpenSSL's OPENSSL_DSA_MAX_MODULUS_BITS: a certificate from a cloud could
                // otherwise make every verification take minutes.
                let bits = key.components().p().bits();
                if bits > MAX_DSA_BITS {
                    return Err(malformed(
                        "DSA public key",
                        format!(
                            "p has {bits} bits, more than the {MAX_DSA_BITS} OpenSSL verifies with"
                        ),
                    ));
                }
                Ok(PublicKey::Dsa(key))
            }
            other => Ok(PublicKey::Other {
                algorithm: oid::algorithm_name(&other),
            }),
        }
    }

    /// The class cursive compares with the key type (`None` for other algorithms).
    pub fn class(&self) -> Option<KeyClass> {
        match self {
            PublicKey::Rsa(_) => Some(KeyClass::Rsa),
            PublicKey::Ec(_) => Some(KeyClass::Ec),
            PublicKey::Dsa(_) => Some(KeyClass::Dsa),
            PublicKey::Other { .. } => None,
        }
    }

    /// What a signature by this key is labelled with.
    pub fn key_type(&self) -> Option<KeyType> {
        match self {
            PublicKey::Rsa(_) => Some(KeyType::RsaPss),
            PublicKey::Ec(ec) => ec.key_type(),
            PublicKey::Dsa(_) => Some(KeyType::Dsa),
            PublicKey::Other { .. } => None,
        }
    }

    /// Algorithm, size and curve.
    pub fn describe(&self) -> KeyDescription {
        let (algorithm, bits, curve) = match self {
            PublicKey::Rsa(k) => ("RSA".to_owned(), Some(k.n().bits()), None),
            PublicKey::Ec(ec) => (
                "EC".to_owned(),
                Some(match ec {
                    EcPublicKey::P256(_) => 256,
                    EcPublicKey::P384(_) => 384,
                    EcPublicKey::P521(_) => 521,
                }),
                Some(ec.curve_name().to_owned()),
            ),
            PublicKey::Dsa(k) => ("DSA".to_owned(), Some(k.components().p().bits()), None),
            PublicKey::Other { algorithm } => (algorithm.clone(), None, None),
        };
        KeyDescription {
            algorithm,
            bits,
            curve,
            key_type: self.key_type(),
        }
    }

    /// Whether two keys are the same key.
    pub fn same_key(&self, other: &PublicKey) -> bool {
        match (self, other) {
            (PublicKey::Rsa(a), PublicKey::Rsa(b)) => a.n() == b.n() && a.e() == b.e(),
            (PublicKey::Ec(a), PublicKey::Ec(b)) => a.encoded_point() == b.encoded_point(),
            (PublicKey::Dsa(a), PublicKey::Dsa(b)) => a == b,
            _ => false,
        }
    }
}

/// The RSA key of modulus `n` and exponent `e` (big-endian), as OpenSSL (and so cursive)
/// verifies with it. The `rsa` crate caps the public exponent at 2^33 - 1; OpenSSL takes any
/// exponent below the modulus, of at most 64 bits for moduli above 3072 bits
/// (`OPENSSL_RSA_MAX_PUBEXP_BITS`), so such a key is kept as it is.
fn rsa_public(n: &[u8], e: &[u8]) -> Result<RsaPublicKey, KeyError> {
    let (n, e) = (BigUint::from_bytes_be(n), BigUint::from_bytes_be(e));
    let odd = |x: &BigUint| x.to_bytes_be().last().is_some_and(|b| b & 1 == 1);
    match RsaPublicKey::new_with_max_size(n.clone(), e.clone(), MAX_RSA_VERIFY_BITS) {
        Ok(key) => Ok(key),
        Err(rsa::Error::PublicExponentTooLarge)
            if e < n && (n.bits() <= 3072 || e.bits() <= 64) && odd(&n) && odd(&e) =>
        {
            Ok(RsaPublicKey::new_unchecked(n, e))
        }
        Err(err) => Err(malformed("RSA public key", err)),
    }
}

/// An RSA signature as the modulus-length string RSASSA verification takes. OpenSSL (and so
/// cursive) reads a shorter one as the same integer: a signer that drops leading zero bytes
/// makes one about once in 256 signatures. A longer one is refused, as OpenSSL does.
pub(crate) fn rsa_signature_bytes<'s>(key: &RsaPublicKey, sig: &'s [u8]) -> Option<Cow<'s, [u8]>> {
    let size = key.size();
    match sig.len() {
        n if n == size => Some(Cow::Borrowed(sig)),
        n if n < size => {
            let mut padded = vec![0u8; size - n];
            padded.extend_from_slice(sig);
            Some(Cow::Owned(padded))
        }
        _ => None,
    }
}

fn malformed(format: &'static str, e: impl std::fmt::Display) -> KeyError {
    KeyError::Malformed {
        format,
        detail: e.to_string(),
    }
}

/// `emLen - hLen - 2`: the salt length signers use and clouds on cryptography <= 41 require.
pub fn pss_max_salt_len(key: &RsaPublicKey, hash: HashMethod) -> usize {
    let em_len = (key.n().bits() - 1).div_ceil(8);
    em_len.saturating_sub(hash.output_len() + 2)
}

fn pss_with_salt(hash: HashMethod, salt: usize) -> rsa::Pss {
    match hash {
        HashMethod::Sha224 => rsa::Pss::new_with_salt::<Sha224>(salt),
        HashMethod::Sha256 => rsa::Pss::new_with_salt::<Sha256>(salt),
        HashMethod::Sha384 => rsa::Pss::new_with_salt::<Sha384>(salt),
        HashMethod::Sha512 => rsa::Pss::new_with_salt::<Sha512>(salt),
    }
}

/// The RSA public operation on the signature: the encoded message, or `None` when the
/// signature cannot be one for this key (wrong length, or not below the modulus).
pub(crate) fn rsa_encoded_message(key: &RsaPublicKey, sig: &[u8]) -> Option<Vec<u8>> {
    rsa_signature_bytes(key, sig)?;
    let s = BigUint::from_bytes_be(sig);
    if &s >= key.n() {
        return None;
    }
    let m = rsa::hazmat::rsa_encrypt(key, &s).ok()?;
    let bytes = m.to_bytes_be();
    let mut em = vec![0u8; key.size().saturating_sub(bytes.len())];
    em.extend_from_slice(&bytes);
    Some(em)
}

/// Finds the salt length of an RSA-PSS signature (RFC 8017 9.1.2 steps 4-10), without
/// deciding validity: the `rsa` crate then verifies with exactly that length.
///
/// Why not try every length with the `rsa` crate: that is one RSA operation per length,
/// up to 500 for a 4096-bit key; this is one.
pub fn locate_pss_salt_len(key: &RsaPublicKey, hash: HashMethod, sig: &[u8]) -> Option<usize> {
    let em_full = rsa_encoded_message(key, sig)?;
    let em_bits = key.n().bits() - 1;
    let em_len = em_bits.div_ceil(8);
    let em = &em_full[em_full.len() - em_len..];
    let h_len = hash.output_len();
    if em_len < h_len + 2 || em.last() != Some(&0xbc) {
        return None;
    }
    let (masked_db, rest) = em.split_at(em_len - h_len - 1);
    let h = &rest[..h_len];
    let mut hasher: Box<dyn DynDigest> = match hash {
        HashMethod::Sha224 => Box::new(Sha224::new()),
        HashMethod::Sha256 => Box::new(Sha256::new()),
        HashMethod::Sha384 => Box::new(Sha384::new()),
        HashMethod::Sha512 => Box::new(Sha512::new()),
    };
    // MGF1(H, len): the mask, so the 0x01 separator can be found.
    let mut db = Vec::with_capacity(masked_db.len());
    let mut counter: u32 = 0;
    while db.len() < masked_db.len() {
        hasher.update(h);
        hasher.update(&counter.to_be_bytes());
        db.extend_from_slice(&hasher.finalize_reset());
        counter += 1;
    }
    db.truncate(masked_db.len());
    for (d, m) in db.iter_mut().zip(masked_db) {
        *d ^= m;
    }
    let unused_bits = 8 * em_len - em_bits;
    if let Some(first) = db.first_mut() {
        *first &= 0xffu8 >> unused_bits;
    }
    let sep = db.iter().position(|&b| b != 0)?;
    (db[sep] == 0x01).then(|| db.len() - sep - 1)
}

/// Verifies RSASSA-PSS with MGF1 over `hash` and any salt length (what cursive does on
/// cryptography >= 42). Returns the salt length on success.
pub fn verify_rsa_pss_any_salt(
    key: &RsaPublicKey,
    hash: HashMethod,
    digest: &[u8],
    sig: &[u8],
) -> Option<usize> {
    let sig = &*rsa_signature_bytes(key, sig)?;
    let max = pss_max_salt_len(key, hash);
    let mut candidates: Vec<usize> = locate_pss_salt_len(key, hash, sig).into_iter().collect();
    // Should the locating step ever miss, the common lengths are still tried.
    for s in [max, hash.output_len(), 0] {
        if !candidates.contains(&s) {
            candidates.push(s);
        }
    }
    candidates
        .into_iter()
        .filter(|&s| s <= max)
        .find(|&s| key.verify(pss_with_salt(hash, s), digest, sig).is_ok())
}

/// Verifies RSASSA-PKCS1-v1_5 (used for certificate signatures and for diagnosis).
pub fn verify_rsa_pkcs1v15(key: &RsaPublicKey, hash: CertHash, digest: &[u8], sig: &[u8]) -> bool {
    let scheme = match hash {
        CertHash::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
        CertHash::Sha2(HashMethod::Sha224) => Pkcs1v15Sign::new::<Sha224>(),
        CertHash::Sha2(HashMethod::Sha256) => Pkcs1v15Sign::new::<Sha256>(),
        CertHash::Sha2(HashMethod::Sha384) => Pkcs1v15Sign::new::<Sha384>(),
        CertHash::Sha2(HashMethod::Sha512) => Pkcs1v15Sign::new::<Sha512>(),
    };
    rsa_signature_bytes(key, sig).is_some_and(|sig| key.verify(scheme, digest, &sig).is_ok())
}

/// ECDSA needs the digest to be at least half the field size; shorter digests (SHA-256
/// on P-521) are left-padded with zeros, which keeps their integer value, as SEC 1 and
/// OpenSSL treat them.
pub(crate) fn ecdsa_prehash(digest: &[u8], field_len: usize) -> Vec<u8> {
    if digest.len() >= field_len {
        return digest.to_vec();
    }
    let mut padded = vec![0u8; field_len - digest.len()];
    padded.extend_from_slice(digest);
    padded
}

/// Verifies a DER-encoded ECDSA signature over a prehashed digest.
pub fn verify_ecdsa_der(key: &EcPublicKey, digest: &[u8], sig: &[u8]) -> bool {
    let prehash = ecdsa_prehash(digest, key.field_len());
    match key {
        EcPublicKey::P256(k) => p256::ecdsa::Signature::from_der(sig)
            .is_ok_and(|s| k.verify_prehash(&prehash, &s).is_ok()),
        EcPublicKey::P384(k) => p384::ecdsa::Signature::from_der(sig)
            .is_ok_and(|s| k.verify_prehash(&prehash, &s).is_ok()),
        EcPublicKey::P521(k) => p521::ecdsa::Signature::from_der(sig)
            .is_ok_and(|s| k.verify_prehash(&prehash, &s).is_ok()),
    }
}

/// Verifies a DER-encoded DSA signature over a prehashed digest.
pub fn verify_dsa_der(key: &dsa::VerifyingKey, digest: &[u8], sig: &[u8]) -> bool {
    dsa::Signature::from_der(sig).is_ok_and(|s| {
        // Strict DER: the crate's decoder accepts trailing bytes inside, OpenSSL does not.
        s.to_der().is_ok_and(|re| re == sig) && key.verify_prehash(digest, &s).is_ok()
    })
}

/// Converts raw `r||s` (WebCrypto's format) to DER, when the length fits the key.
pub(crate) fn raw_to_der(key: &PublicKey, sig: &[u8]) -> Option<Vec<u8>> {
    let half = match key {
        PublicKey::Ec(ec) => ec.field_len(),
        PublicKey::Dsa(k) => k.components().q().bits().div_ceil(8),
        _ => return None,
    };
    if sig.len() != 2 * half {
        return None;
    }
    let r = der::asn1::UintRef::new(&sig[..half]).ok()?;
    let s = der::asn1::UintRef::new(&sig[half..]).ok()?;
    let seq_len = (r.encoded_len().ok()? + s.encoded_len().ok()?).ok()?;
    let mut out = Vec::new();
    der::Header::new(der::Tag::Sequence, seq_len)
        .ok()?
        .encode_to_vec(&mut out)
        .ok()?;
    r.encode_to_vec(&mut out).ok()?;
    s.encode_to_vec(&mut out).ok()?;
    Some(out)
}

/// Hashes that certificate signatures use (SHA-1 included: cursive still accepts it there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertHash {
    /// SHA-1
    Sha1,
    /// One of the SHA-2 methods.
    Sha2(HashMethod),
}

impl CertHash {
    pub(crate) fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            CertHash::Sha1 => sha1::Sha1::digest(data).to_vec(),
            CertHash::Sha2(m) => {
                let mut h = crate::hasher::ImageHasher::new(m);
                h.update(data);
                h.finalize().as_bytes().to_vec()
            }
        }
    }
}

/// Verifies a signature made by `key` over `digest` the way the key's class signs
/// certificates in cursive: PKCS#1 v1.5 for RSA, DER ECDSA, DER DSA.
pub(crate) fn verify_certificate_signature(
    key: &PublicKey,
    hash: CertHash,
    digest: &[u8],
    sig: &[u8],
) -> bool {
    match key {
        PublicKey::Rsa(k) => verify_rsa_pkcs1v15(k, hash, digest, sig),
        PublicKey::Ec(k) => verify_ecdsa_der(k, digest, sig),
        PublicKey::Dsa(k) => verify_dsa_der(k, digest, sig),
        PublicKey::Other { .. } => false,
    }
}
