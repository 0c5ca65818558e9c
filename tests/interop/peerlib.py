"""Shared helpers of the interop suite: the reference peers and the glance-sig runner.

Reference behaviour is cursive 0.3.1 (what Glance, Nova and Cinder run) used in-process, with only
its Barbican lookup (`cursive.signature_utils.get_certificate`) replaced by a mock that hands back
the certificate we generated. Signatures from other peers come from the OpenSSL CLI
(`openssl dgst -sign`) and openstacksdk's `ImageSigner`.

Key material is deterministic: primes and scalars come from seeded `random.Random` streams (test
keys, not secrets), so a failure can be reproduced with the same keys. Generation is pure Python
and takes ~20 s once; the PEM files are cached under
`${GLANCE_SIG_CACHE:-~/.cache/glance-sig}/interop-keys/<KEYGEN_VERSION>/` (set
GLANCE_SIG_INTEROP_KEY_CACHE=0 to regenerate every run). Images are seeded random bytes.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import functools
import hashlib
import json
import os
import random
import re
import subprocess
import time
import sys
import warnings
from pathlib import Path
from typing import Any, Iterable, Sequence
from unittest import mock

from cryptography import exceptions as crypto_exceptions
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa, utils
from cryptography.x509.oid import NameOID

from cursive import certificate_utils, exception as cursive_exception, signature_utils
from oslo_utils import timeutils

REPO = Path(__file__).resolve().parents[2]

# --------------------------------------------------------------------------------------------
# Names and algorithm tables
# --------------------------------------------------------------------------------------------

HASH_METHODS = ("SHA-224", "SHA-256", "SHA-384", "SHA-512")
OPENSSL_DGST = {"SHA-224": "sha224", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
HASHLIB = {"SHA-224": "sha224", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
HASH_LEN = {"SHA-224": 28, "SHA-256": 32, "SHA-384": 48, "SHA-512": 64}

PROP_SIGNATURE = "img_signature"
PROP_HASH = "img_signature_hash_method"
PROP_KEY_TYPE = "img_signature_key_type"
PROP_CERT_UUID = "img_signature_certificate_uuid"
PROPERTY_NAMES = (PROP_SIGNATURE, PROP_HASH, PROP_KEY_TYPE, PROP_CERT_UUID)

# Passphrase of the encrypted key fixtures.
PASSPHRASE = b"correct horse battery staple"

# Fixed "now" of the certificate-chain tests (Nova's check), and the glance-sig spelling of it.
CHAIN_NOW = datetime.datetime(2030, 1, 1, 0, 0, 0, tzinfo=datetime.timezone.utc)
CHAIN_NOW_RFC3339 = "2030-01-01T00:00:00Z"


@dataclasses.dataclass(frozen=True)
class KeySpec:
    name: str
    kind: str  # "rsa" | "ec" | "dsa" | "ed25519"
    size: Any  # RSA/DSA bits, EC curve class
    key_type: str | None  # the img_signature_key_type glance-sig must derive
    dsa_q_bits: int = 256
    dsa_params_from: str | None = None  # share DSA domain parameters with this key


# The six signing keys of the matrix.
MAIN_KEYS: dict[str, KeySpec] = {
    "rsa2048": KeySpec("rsa2048", "rsa", 2048, "RSA-PSS"),
    "rsa4096": KeySpec("rsa4096", "rsa", 4096, "RSA-PSS"),
    "p384": KeySpec("p384", "ec", ec.SECP384R1, "ECC_SECP384R1"),
    "p521": KeySpec("p521", "ec", ec.SECP521R1, "ECC_SECP521R1"),
    # 2048-bit DSA with a 224-bit q (OpenSSL's default for L=2048): SHA-256..512 get truncated.
    "dsa2048": KeySpec("dsa2048", "dsa", 2048, "DSA", dsa_q_bits=224),
    "dsa3072": KeySpec("dsa3072", "dsa", 3072, "DSA", dsa_q_bits=256),
}
# Keys used only as "another key", for curve games and for certificate chains.
EXTRA_KEYS: dict[str, KeySpec] = {
    "rsa2048-other": KeySpec("rsa2048-other", "rsa", 2048, "RSA-PSS"),
    # For the PKCS#11 token matrix (tests/signers): RSA 2048, 3072 and 4096.
    "rsa3072": KeySpec("rsa3072", "rsa", 3072, "RSA-PSS"),
    "p384-other": KeySpec("p384-other", "ec", ec.SECP384R1, "ECC_SECP384R1"),
    "dsa2048-other": KeySpec("dsa2048-other", "dsa", 2048, "DSA", dsa_q_bits=224,
                             dsa_params_from="dsa2048"),
    "p256": KeySpec("p256", "ec", ec.SECP256R1, None),
    "ca-root-rsa": KeySpec("ca-root-rsa", "rsa", 2048, None),
    "ca-root2-rsa": KeySpec("ca-root2-rsa", "rsa", 2048, None),
    "ca-inter-p384": KeySpec("ca-inter-p384", "ec", ec.SECP384R1, None),
    "ca-forger-p384": KeySpec("ca-forger-p384", "ec", ec.SECP384R1, None),
    "ca-loop-a": KeySpec("ca-loop-a", "ec", ec.SECP384R1, None),
    "ca-loop-b": KeySpec("ca-loop-b", "ec", ec.SECP384R1, None),
    "ca-inter-ed25519": KeySpec("ca-inter-ed25519", "ed25519", None, None),
}
ALL_KEYS = {**MAIN_KEYS, **EXTRA_KEYS}

# --------------------------------------------------------------------------------------------
# Deterministic key generation
# --------------------------------------------------------------------------------------------

KEYGEN_VERSION = "v1"


def _small_primes(limit: int) -> list[int]:
    sieve = bytearray([1]) * (limit + 1)
    sieve[0] = sieve[1] = 0
    for i in range(2, int(limit**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(range(i * i, limit + 1, i)))
    return [i for i in range(3, limit + 1) if sieve[i]]


_SMALL_PRIMES = _small_primes(1 << 16)


def _miller_rabin(n: int, rng: random.Random, rounds: int) -> bool:
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _first_prime(base: int, step: int, count: int, rng: random.Random) -> int | None:
    """First probable prime of base + i*step (0 <= i < count), sieved by small primes."""
    alive = bytearray([1]) * count
    for p in _SMALL_PRIMES:
        if step % p == 0:
            continue
        i0 = (-base * pow(step, -1, p)) % p
        alive[i0::p] = bytes(len(range(i0, count, p)))
    for i in range(count):
        if alive[i]:
            c = base + i * step
            if _miller_rabin(c, rng, 1) and _miller_rabin(c, rng, 24):
                return c
    return None


def _prime(bits: int, rng: random.Random, e: int | None = None) -> int:
    while True:
        start = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        p = _first_prime(start, 2, 1 << 13, rng)
        if p is None or p.bit_length() != bits:
            continue
        if e is not None and (p - 1) % e == 0:
            continue
        return p


def _dsa_params(bits: int, q_bits: int, rng: random.Random) -> tuple[int, int, int]:
    q = _prime(q_bits, rng)
    while True:
        x = rng.getrandbits(bits) | (3 << (bits - 2))
        p = _first_prime(x - (x % (2 * q)) + 1, 2 * q, 1 << 13, rng)
        if p is not None and p.bit_length() == bits:
            break
    h = 2
    while True:
        g = pow(h, (p - 1) // q, p)
        if g > 1:
            return p, q, g
        h += 1


def _rng(name: str) -> random.Random:
    return random.Random(f"glance-sig-interop/{KEYGEN_VERSION}/{name}")


def generate_key(spec: KeySpec):
    rng = _rng(spec.name)
    if spec.kind == "rsa":
        e = 65537
        while True:
            p = _prime(spec.size // 2, rng, e)
            q = _prime(spec.size // 2, rng, e)
            if p != q and (p * q).bit_length() == spec.size:
                break
        if p < q:
            p, q = q, p
        d = pow(e, -1, (p - 1) * (q - 1))
        return rsa.RSAPrivateNumbers(
            p=p, q=q, d=d,
            dmp1=rsa.rsa_crt_dmp1(d, p), dmq1=rsa.rsa_crt_dmq1(d, q),
            iqmp=rsa.rsa_crt_iqmp(p, q),
            public_numbers=rsa.RSAPublicNumbers(e, p * q),
        ).private_key()
    if spec.kind == "ec":
        curve = spec.size()
        # Any scalar in [1, n-1] will do; n > 2^(bits-2) on the NIST prime curves.
        scalar = rng.getrandbits(curve.key_size - 2) | 1
        return ec.derive_private_key(scalar, curve)
    if spec.kind == "dsa":
        if spec.dsa_params_from:
            params = load_or_generate_key(spec.dsa_params_from).parameters().parameter_numbers()
            p, q, g = params.p, params.q, params.g
        else:
            p, q, g = _dsa_params(spec.size, spec.dsa_q_bits, rng)
        x = rng.randrange(1, q)
        pn = dsa.DSAParameterNumbers(p, q, g)
        return dsa.DSAPrivateNumbers(x, dsa.DSAPublicNumbers(pow(g, x, p), pn)).private_key()
    if spec.kind == "ed25519":
        return ed25519.Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
    raise ValueError(spec.kind)


def key_cache_dir() -> Path | None:
    if os.environ.get("GLANCE_SIG_INTEROP_KEY_CACHE", "1") in ("0", "", "no", "false"):
        return None
    base = Path(os.environ.get("GLANCE_SIG_CACHE") or Path.home() / ".cache" / "glance-sig")
    return base / "interop-keys" / KEYGEN_VERSION


@functools.lru_cache(maxsize=None)
def load_or_generate_key(name: str):
    spec = ALL_KEYS[name]
    cache = key_cache_dir()
    if cache is not None:
        path = cache / f"{name}.pem"
        if path.exists():
            return serialization.load_pem_private_key(path.read_bytes(), password=None)
    key = generate_key(spec)
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cache / f".{name}.{os.getpid()}.tmp"
        tmp.write_bytes(pem_pkcs8(key))
        os.replace(tmp, cache / f"{name}.pem")  # atomic; concurrent writers write equal bytes
    return key


# --------------------------------------------------------------------------------------------
# Serialisation helpers
# --------------------------------------------------------------------------------------------


def pem_pkcs8(key, password: bytes | None = None) -> bytes:
    enc = (serialization.BestAvailableEncryption(password) if password
           else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, enc)


def der_pkcs8(key) -> bytes:
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def pem_traditional(key) -> bytes:
    """PKCS#1 for RSA, SEC1 for EC, OpenSSL's DSA format for DSA."""
    return key.private_bytes(serialization.Encoding.PEM,
                             serialization.PrivateFormat.TraditionalOpenSSL,
                             serialization.NoEncryption())


def pem_public(key) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def load_cert(path: Path | str) -> x509.Certificate:
    data = Path(path).read_bytes()
    if b"-----BEGIN" in data:
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    path.write_bytes(data)
    return path


def write_json(path: Path, obj: Any) -> Path:
    return write(path, json.dumps(obj, indent=2, sort_keys=True) + "\n")


def seeded_bytes(name: str, size: int) -> bytes:
    return random.Random(f"glance-sig-interop/image/{name}").randbytes(size)


# --------------------------------------------------------------------------------------------
# Certificates
# --------------------------------------------------------------------------------------------

UTC = datetime.timezone.utc


def dt(y, m=1, d=1, hh=0, mm=0, ss=0) -> datetime.datetime:
    return datetime.datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


def name(cn: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "glance-sig interop"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _serial(label: str) -> int:
    return int.from_bytes(hashlib.sha256(label.encode()).digest()[:16], "big") | 1


def _sign_algorithm(issuer_key):
    if isinstance(issuer_key, rsa.RSAPrivateKey):
        return hashes.SHA256()
    if isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        return hashes.SHA384()
    if isinstance(issuer_key, dsa.DSAPrivateKey):
        return hashes.SHA256()
    return None  # Ed25519


def make_cert(
    *,
    subject_cn: str,
    subject_key,
    issuer_cn: str | None = None,
    issuer_key=None,
    not_before: datetime.datetime = dt(2020),
    not_after: datetime.datetime = dt(2040),
    ca: bool | None = None,  # None: no basicConstraints extension
    path_length: int | None = None,
    key_usage: str | None = "auto",  # "auto", "ca", "leaf", "ca-no-certsign", None (absent)
    serial_label: str | None = None,
    rsa_pss: bool = False,
) -> x509.Certificate:
    """A certificate. Self-signed when issuer_key is None (issuer name defaults to subject)."""
    issuer_key = issuer_key or subject_key
    issuer_cn = issuer_cn or subject_cn
    b = (
        x509.CertificateBuilder()
        .subject_name(name(subject_cn))
        .issuer_name(name(issuer_cn))
        .public_key(subject_key.public_key())
        .serial_number(_serial(serial_label or f"{subject_cn}<-{issuer_cn}"))
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    if ca is not None:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None),
                            critical=True)
    if key_usage == "auto":
        key_usage = "ca" if ca else "leaf"
    if key_usage is not None:
        cert_sign = key_usage == "ca"
        b = b.add_extension(
            x509.KeyUsage(
                digital_signature=not cert_sign or key_usage == "ca-no-certsign",
                content_commitment=False, key_encipherment=False, data_encipherment=False,
                key_agreement=False, key_cert_sign=cert_sign, crl_sign=cert_sign,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
    b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(subject_key.public_key()),
                        critical=False)
    kwargs: dict[str, Any] = {}
    if isinstance(issuer_key, ec.EllipticCurvePrivateKey):
        kwargs["ecdsa_deterministic"] = True
    if rsa_pss:
        kwargs["rsa_padding"] = padding.PSS(padding.MGF1(hashes.SHA256()),
                                            padding.PSS.DIGEST_LENGTH)
    return b.sign(issuer_key, _sign_algorithm(issuer_key), **kwargs)


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def self_signed_cert(key_name: str) -> x509.Certificate:
    """The signing certificate of a key: self-signed, no extensions that matter to Glance."""
    key = load_or_generate_key(key_name)
    return make_cert(subject_cn=f"interop signer {key_name}", subject_key=key, ca=False)


# --------------------------------------------------------------------------------------------
# Peer signers
# --------------------------------------------------------------------------------------------


def openssl(*args: str, input: bytes | None = None) -> bytes:
    p = subprocess.run(["openssl", *args], input=input, capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {p.stderr.decode(errors='replace')}")
    return p.stdout


def openssl_sign(key_path: Path, image_path: Path, hash_method: str,
                 sigopts: Sequence[str] = ()) -> bytes:
    """`openssl dgst -<hash> -sign KEY [-sigopt ...] IMAGE` (what the Glance docs tell users)."""
    args = ["dgst", "-" + OPENSSL_DGST[hash_method], "-sign", str(key_path)]
    for opt in sigopts:
        args += ["-sigopt", opt]
    args += ["-binary", str(image_path)]
    return openssl(*args)


def openssl_verify(pub_path: Path, image_path: Path, hash_method: str, signature: bytes,
                   sig_path: Path, sigopts: Sequence[str] = ()) -> bool:
    write(sig_path, signature)
    args = ["openssl", "dgst", "-" + OPENSSL_DGST[hash_method], "-verify", str(pub_path),
            "-signature", str(sig_path)]
    for opt in sigopts:
        args += ["-sigopt", opt]
    args.append(str(image_path))
    return subprocess.run(args, capture_output=True).returncode == 0


def sdk_sign(key_path: Path, image_path: Path, hash_method: str) -> bytes:
    """openstacksdk's ImageSigner (RSA-PSS, maximum salt), as `openstack image create --sign-*`."""
    from openstack.image.image_signer import ImageSigner

    signer = ImageSigner(hash_method=hash_method, padding_method="RSA-PSS")
    signer.load_private_key(str(key_path), password=None)
    with open(image_path, "rb") as f:
        return signer.generate_signature(f)


def b64(sig: bytes) -> str:
    return base64.b64encode(sig).decode("ascii")


def props(signature: str | None, hash_method: str | None, key_type: str | None,
          cert_uuid: str | None = "0f0e2c53-5cb5-4a4c-9d24-d6b0d2b3a1e1") -> dict[str, str]:
    """The four properties; a None value means the property is absent."""
    out = {PROP_SIGNATURE: signature, PROP_HASH: hash_method, PROP_KEY_TYPE: key_type,
           PROP_CERT_UUID: cert_uuid}
    return {k: v for k, v in out.items() if v is not None}


def raw_rs(der_sig: bytes, size: int) -> bytes:
    r, s = utils.decode_dss_signature(der_sig)
    return r.to_bytes(size, "big") + s.to_bytes(size, "big")


# --------------------------------------------------------------------------------------------
# EMSA-PSS decoding (independent reference for the salt length a signature carries)
# --------------------------------------------------------------------------------------------


def _mgf1(seed: bytes, length: int, hname: str) -> bytes:
    out = b""
    counter = 0
    while len(out) < length:
        out += hashlib.new(hname, seed + counter.to_bytes(4, "big")).digest()
        counter += 1
    return out[:length]


def pss_max_salt(key_bits: int, hash_method: str) -> int:
    em_len = (key_bits - 1 + 7) // 8
    return em_len - HASH_LEN[hash_method] - 2


def pss_salt_length(signature: bytes, public_key: rsa.RSAPublicKey, hash_method: str,
                    data: bytes | None = None) -> int | None:
    """Salt length of an RSA-PSS signature (MGF1 with the same hash), or None if not PSS-shaped.
    When `data` is given the whole encoding is checked against it."""
    nums = public_key.public_numbers()
    mod_bits = nums.n.bit_length()
    em_bits = mod_bits - 1
    em_len = (em_bits + 7) // 8
    h_len = HASH_LEN[hash_method]
    hname = HASHLIB[hash_method]
    s = int.from_bytes(signature, "big")
    if len(signature) != (mod_bits + 7) // 8 or s >= nums.n:
        return None
    m = pow(s, nums.e, nums.n)
    if m >= 1 << (8 * em_len):
        return None
    em = m.to_bytes(em_len, "big")
    if em[-1] != 0xBC:
        return None
    masked_db, h = em[: em_len - h_len - 1], em[em_len - h_len - 1 : -1]
    db = bytearray(a ^ b for a, b in zip(masked_db, _mgf1(h, len(masked_db), hname)))
    db[0] &= 0xFF >> (8 * em_len - em_bits)
    i = 0
    while i < len(db) and db[i] == 0:
        i += 1
    if i == len(db) or db[i] != 1:
        return None
    salt = bytes(db[i + 1 :])
    if data is not None:
        m_hash = hashlib.new(hname, data).digest()
        if hashlib.new(hname, b"\0" * 8 + m_hash + salt).digest() != h:
            return None
    return len(salt)


# --------------------------------------------------------------------------------------------
# cursive as the reference verifier
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str  # str(exception) for SignatureVerificationError, "Type: text" otherwise
    exc_type: str | None  # exception class name, None when ok


def cursive_outcome(properties: dict[str, Any], cert_path: Path | str | None,
                    image_path: Path | str, chunk_size: int = 65536) -> Outcome:
    """Run cursive's image-signature verification exactly as Glance/Nova/Cinder do, with Barbican
    replaced by the certificate at cert_path. Absent property -> None argument (what Glance's
    `extra_properties.get` / Nova's `image_meta.properties.get` pass)."""
    cert = load_cert(cert_path) if cert_path is not None else None
    with mock.patch.object(signature_utils, "get_certificate", return_value=cert):
        try:
            verifier = signature_utils.get_verifier(
                context=None,
                img_signature_certificate_uuid=properties.get(PROP_CERT_UUID),
                img_signature_hash_method=properties.get(PROP_HASH),
                img_signature=properties.get(PROP_SIGNATURE),
                img_signature_key_type=properties.get(PROP_KEY_TYPE),
            )
            with open(image_path, "rb") as f:
                for chunk in iter(lambda: f.read(chunk_size), b""):
                    verifier.update(chunk)
            verifier.verify()
        except cursive_exception.SignatureVerificationError as e:
            return Outcome(False, str(e), type(e).__name__)
        except crypto_exceptions.InvalidSignature as e:
            return Outcome(False, "InvalidSignature", type(e).__name__)
        except Exception as e:  # noqa: BLE001 - any exception is a rejection
            return Outcome(False, f"{type(e).__name__}: {e}", type(e).__name__)
    return Outcome(True, "", None)


def cursive_verdict(properties: dict[str, Any], cert_path, image_path) -> tuple[bool, str]:
    """(ok, message) of cursive's verification of image_path under `properties`."""
    o = cursive_outcome(properties, cert_path, image_path)
    return o.ok, o.message


def expected_error_code(o: Outcome) -> str | None:
    """The glance-sig `error.code` that corresponds to a cursive outcome."""
    if o.ok:
        return None
    m = o.message
    if "Missing property" in m:
        return "missing-property"
    if "not properly encoded using base64" in m:
        return "invalid-base64"
    if o.exc_type == "ValueError" and "ASCII" in m:  # b64decode of a str with non-ASCII chars
        return "invalid-base64"
    if "Error occurred while creating the verifier" in m:  # decoded signature is b""
        return "empty-signature"
    if "Invalid signature hash method" in m:
        return "invalid-hash-method"
    if "Invalid signature key type: ECC_SECT" in m:
        return "binary-curve-removed"
    if "Invalid signature key type" in m:
        return "invalid-key-type"
    if "Invalid public key type for signature key type" in m:
        return "public-key-type-mismatch"
    if o.exc_type == "InvalidSignature":
        return "signature-mismatch"
    raise AssertionError(f"no glance-sig error code known for cursive outcome {o}")


def cursive_chain_outcome(leaf_path: Path, trusted_paths: Sequence[Path],
                         now: datetime.datetime = CHAIN_NOW) -> Outcome:
    """Nova's certificate validation (cursive.certificate_utils) at a fixed time. The trusted
    certificates' "uuids" are their file names."""
    if now.tzinfo is None:
        # timeutils' override is returned as is: a naive datetime makes cursive compare naive with
        # aware datetimes and raise TypeError.
        raise ValueError("now must be timezone-aware")
    leaf = load_cert(leaf_path)
    trusted = [(Path(p).name, load_cert(p)) for p in trusted_paths]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        timeutils.set_time_override(now)
    try:
        ctx = certificate_utils.CertificateVerificationContext(trusted)
        ctx.update(leaf)
        ctx.verify()
    except cursive_exception.SignatureVerificationError as e:
        return Outcome(False, str(e), type(e).__name__)
    except Exception as e:  # noqa: BLE001
        return Outcome(False, f"{type(e).__name__}: {e}", type(e).__name__)
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            timeutils.clear_time_override()
    return Outcome(True, "", None)


def cursive_chain_verdict(leaf_path: Path, trusted_paths: Sequence[Path],
                          now: datetime.datetime = CHAIN_NOW) -> tuple[bool, str]:
    o = cursive_chain_outcome(leaf_path, trusted_paths, now)
    return o.ok, o.message


_CHAIN_CHILD = r"""
import datetime, sys, warnings
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import peerlib
ok, msg = peerlib.cursive_chain_verdict(Path(sys.argv[2]), [Path(p) for p in sys.argv[3:]])
print("OK" if ok else "REJECTED " + msg)
"""


def cursive_chain_verdict_subprocess(leaf_path: Path, trusted_paths: Sequence[Path],
                                     timeout: float) -> tuple[bool, str] | None:
    """Like cursive_chain_verdict, in a child process; None when cursive did not answer in time."""
    try:
        p = subprocess.run(
            [sys.executable, "-c", _CHAIN_CHILD, str(Path(__file__).parent), str(leaf_path),
             *map(str, trusted_paths)],
            capture_output=True, timeout=timeout, text=True,
        )
    except subprocess.TimeoutExpired:
        return None
    out = p.stdout.strip()
    return out == "OK", out


# --------------------------------------------------------------------------------------------
# glance-sig runner and output checks
# --------------------------------------------------------------------------------------------


# Text that tries to drive a terminal: clear the screen, set the window title, an 8-bit CSI, a
# right-to-left override.
EVIL = "\x1b[2J\x1b]0;owned\x07\x9b31m\u202e"
# Raw C0 (but the line feed), DEL, C1 and the bidirectional marks, as UTF-8.
RAW_CONTROL = re.compile(
    rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]")


def assert_no_raw_controls(r: "Run", what: str = "") -> None:
    """Neither stdout nor stderr holds a raw control character or bidirectional mark."""
    for name, data in (("stdout", r.stdout), ("stderr", r.stderr)):
        m = RAW_CONTROL.search(data)
        assert m is None, f"{what}: raw control character {m.group()!r} in {name}:\n{r.describe()}"


def glance_sig_path() -> Path:
    return Path(os.environ.get("GLANCE_SIG_BIN") or REPO / "target" / "release" / "glance-sig")


@dataclasses.dataclass
class Run:
    argv: list[str]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except ValueError as e:
            raise AssertionError(f"stdout is not JSON ({e}):\n{self.describe()}") from None

    def describe(self) -> str:
        return (f"$ {' '.join(self.argv)}\nexit {self.returncode}\n--- stdout\n{self.out[:4000]}"
                f"\n--- stderr\n{self.err[:4000]}")


def _run_one(binary: Path, args: Sequence[str], timeout: float,
             env: dict[str, str] | None = None) -> Run:
    argv = [str(binary), *args]
    p = subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL,
                       env={**os.environ, **env} if env else None)
    r = Run(argv, p.returncode, p.stdout, p.stderr)
    assert b"panicked" not in p.stderr and p.returncode != 101, f"glance-sig panicked:\n{r.describe()}"
    assert p.returncode >= 0, f"glance-sig killed by signal {-p.returncode}:\n{r.describe()}"
    return r


def run_glance_sig(binary: Path, *args: Any, timeout: float = 120,
                   env: dict[str, str] | None = None) -> Run:
    """Runs glance-sig. With GLANCE_SIG_COMPARE (other engines' binaries, `:`-separated),
    every `verify` also runs through each of them, judged at the same instant (`--at`), and
    their exit code and stdout (the report, text or JSON) must be identical to this one's."""
    argv = list(map(str, args))
    others = [Path(b) for b in os.environ.get("GLANCE_SIG_COMPARE", "").split(":") if b]
    if not others or not argv or argv[0] != "verify":
        return _run_one(binary, argv, timeout, env)
    if "--at" not in argv:
        argv += ["--at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())]
    first = _run_one(binary, argv, timeout, env)
    for other in others:
        r = _run_one(other, argv, timeout, env)
        assert (r.returncode, r.out) == (first.returncode, first.out), (
            f"the engines disagree:\n{first.describe()}\n=== {other}\n{r.describe()}")
    return first


def check_verify_doc(doc: Any) -> None:
    """The documented shape of `glance-sig verify --json` (extra keys are tolerated)."""
    assert isinstance(doc, dict), doc
    for k in ("valid", "signature", "chain", "error", "diagnosis", "warnings", "checks"):
        assert k in doc, f"verify --json lacks {k!r}: {doc}"
    assert isinstance(doc["valid"], bool)
    sig = doc["signature"]
    assert isinstance(sig, dict), sig
    assert isinstance(sig.get("valid"), bool), sig
    for k in ("key_type", "hash_method", "certificate_uuid"):
        assert k in sig and (sig[k] is None or isinstance(sig[k], str)), (k, sig)
    assert "pss" in sig
    if sig["pss"] is not None:
        pss = sig["pss"]
        assert pss.get("salt_length") is None or isinstance(pss["salt_length"], int), pss
        assert isinstance(pss.get("max_salt_length"), int), pss
        assert isinstance(pss.get("accepted_by_older_clouds"), bool), pss
    if doc["chain"] is not None:
        ch = doc["chain"]
        assert isinstance(ch.get("valid"), bool), ch
        assert isinstance(ch.get("path"), list) and all(isinstance(s, str) for s in ch["path"]), ch
        assert "error" in ch
        if ch["error"] is not None:
            assert isinstance(ch["error"].get("code"), str) and isinstance(
                ch["error"].get("message"), str), ch
    if doc["error"] is not None:
        for k in ("code", "message", "cursive_message"):
            assert isinstance(doc["error"].get(k), str), doc["error"]
    for k in ("diagnosis", "warnings"):
        assert isinstance(doc[k], list), doc[k]
        for item in doc[k]:
            assert isinstance(item.get("code"), str) and isinstance(item.get("message"), str), item
    assert isinstance(doc["checks"], list)
    for c in doc["checks"]:
        assert isinstance(c.get("name"), str) and isinstance(c.get("passed"), bool), c
    # Internal consistency.
    if doc["valid"]:
        assert doc["signature"]["valid"] and doc["error"] is None, doc
        assert doc["chain"] is None or doc["chain"]["valid"], doc
        assert all(c["passed"] for c in doc["checks"]), doc["checks"]
    else:
        assert doc["checks"] == [] or not all(c["passed"] for c in doc["checks"]), doc["checks"]


def diagnosis_codes(doc: dict) -> list[str]:
    return [d["code"] for d in doc.get("diagnosis", [])]


def verify_args(image: Path, cert: Path, properties: Path, *extra: Any) -> list[Any]:
    return ["verify", "--image", image, "--cert", cert, "--properties", properties, *extra]


def strict_b64decode(s: str) -> bytes:
    return base64.b64decode(s, validate=True)


def chunks(seq: str, n: int) -> Iterable[str]:
    return (seq[i : i + n] for i in range(0, len(seq), n))
