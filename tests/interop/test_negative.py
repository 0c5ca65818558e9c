"""Same verdict as cursive on broken, odd and hostile properties.

Every case is run twice: once through cursive alone (`peer` test: pins what cursive 0.3.1 does, so
a change of peer behaviour shows up as a failure here), once through glance-sig, which must give
exit 0 when cursive accepts and exit 1 when it rejects, with the error code that matches cursive's
reason, cursive's own text in `error.cursive_message`, and the diagnoses listed for the case.
"""

from __future__ import annotations

import base64
import dataclasses
from typing import Any, Callable

import pytest
from cryptography.hazmat.primitives.asymmetric import utils as asym_utils

import peerlib as pl

ANY = object()  # "whatever cursive says" (the outcome depends on random signature bytes)

PSS_MAX = ("rsa_padding_mode:pss", "rsa_pss_saltlen:-2")
P384_ORDER = int(
    "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973",
    16,
)


@dataclasses.dataclass(frozen=True)
class Neg:
    id: str
    cursive_ok: Any  # True / False / ANY
    code: Any  # expected glance-sig error.code (None when valid), or ANY
    diagnosis: tuple[str, ...]
    build: Callable[..., tuple[dict, Any, Any]]


def _build(mat, key="rsa2048", h="SHA-256", *, sign_hash=None, sigopts=None, signer_key=None,
           sig_fn=None, b64_fn=None, sig_text=None, hash_prop=None, key_type=None, cert_key=None,
           image="small", drop=(), null=()):
    signer_key = signer_key or key
    sign_hash = sign_hash or h
    if sig_text is None:
        if sigopts is None:
            sig = mat.good_sig(signer_key, sign_hash)
        else:
            sig = mat.openssl_sig(signer_key, sign_hash, sigopts)
        if sig_fn is not None:
            sig = sig_fn(sig, mat)
        sig_text = pl.b64(sig)
        if b64_fn is not None:
            sig_text = b64_fn(sig_text)
    p: dict[str, Any] = {
        pl.PROP_SIGNATURE: sig_text,
        pl.PROP_HASH: h if hash_prop is None else hash_prop,
        pl.PROP_KEY_TYPE: key_type if key_type is not None else pl.ALL_KEYS[key].key_type,
        pl.PROP_CERT_UUID: "7a2a1d5e-3f0b-4c5e-9a53-2f1f2c1b9e10",
    }
    for name in drop:
        del p[name]
    for name in null:
        p[name] = None
    return p, mat.cert_file(cert_key or key), mat.image(image)


def case(id, cursive_ok, code, diagnosis=(), **kw) -> Neg:
    return Neg(id, cursive_ok, code, tuple(diagnosis), lambda mat: _build(mat, **kw))


def _noncanonical_tail(s: str) -> str:
    """Set the unused low bits of the last base64 data character ('w==' -> 'x==')."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    body = s.rstrip("=")
    pad = len(s) - len(body)
    assert pad in (1, 2), "needs a padded signature"
    idx = alphabet.index(body[-1]) | (0x0F if pad == 2 else 0x03)
    return body[:-1] + alphabet[idx] + "=" * pad


def _der_int(v: int, extra_zero: bool = False) -> bytes:
    b = v.to_bytes((v.bit_length() + 8) // 8, "big")  # minimal two's-complement, positive
    if extra_zero:
        b = b"\x00" + b
    return b"\x02" + bytes([len(b)]) + b


def _der_seq(body: bytes) -> bytes:
    if len(body) < 0x80:
        return b"\x30" + bytes([len(body)]) + body
    return b"\x30\x81" + bytes([len(body)]) + body


def _high_s(sig: bytes, _mat) -> bytes:
    r, s = asym_utils.decode_dss_signature(sig)
    s = P384_ORDER - s if s < P384_ORDER // 2 else s
    return asym_utils.encode_dss_signature(r, s)


def _low_s(sig: bytes, _mat) -> bytes:
    r, s = asym_utils.decode_dss_signature(sig)
    s = P384_ORDER - s if s > P384_ORDER // 2 else s
    return asym_utils.encode_dss_signature(r, s)


def _nonminimal_der(sig: bytes, _mat) -> bytes:
    r, s = asym_utils.decode_dss_signature(sig)
    return _der_seq(_der_int(r, extra_zero=True) + _der_int(s))


def _raw(n: int):
    return lambda sig, _mat: pl.raw_rs(sig, n)


def _cases() -> list[Neg]:
    c: list[Neg] = []
    # --- data changed after signing -----------------------------------------------------
    for k in ("rsa2048", "p384", "dsa2048"):
        for op in ("tampered", "truncated", "extended"):
            c.append(case(f"data-{op}-{k}", False, "signature-mismatch",
                          ("data-changed",) if k.startswith("rsa") else (), key=k,
                          image=f"{op}-small"))
    # --- hash method names (case-sensitive, exact) ----------------------------------------
    for label, hn in [("sha256", "sha256"), ("SHA256", "SHA256"), ("SHA-1", "SHA-1"),
                      ("MD5", "MD5"), ("empty", ""), ("trailing-space", "SHA-256 "),
                      ("leading-space", " SHA-256"), ("sha-256", "sha-256"),
                      ("SHA3-256", "SHA3-256"), ("SHA-512-224", "SHA-512/224")]:
        c.append(case(f"hash-method-{label}", False, "invalid-hash-method", hash_prop=hn))
    # --- key type names -------------------------------------------------------------------
    for label, kt, k in [("RSA", "RSA", "rsa2048"), ("rsa-pss", "rsa-pss", "rsa2048"),
                         ("RSA_PSS", "RSA_PSS", "rsa2048"), ("empty", "", "rsa2048"),
                         ("ECC_SECP256R1", "ECC_SECP256R1", "p384"), ("ECDSA", "ECDSA", "p384"),
                         ("ECC_SECP384R1-trailing-space", "ECC_SECP384R1 ", "p384"),
                         ("ecc_secp384r1", "ecc_secp384r1", "p384"), ("dsa", "dsa", "dsa2048")]:
        c.append(case(f"key-type-{label}", False, "invalid-key-type", key=k, key_type=kt))
    for kt in ("ECC_SECT571K1", "ECC_SECT409K1", "ECC_SECT571R1", "ECC_SECT409R1"):
        c.append(case(f"key-type-{kt}", False, "binary-curve-removed", key="p384", key_type=kt))
    # --- signature by another key than the certificate's ------------------------------------
    c.append(case("other-key-rsa2048", False, "signature-mismatch", ("certificate-mismatch",),
                  signer_key="rsa2048-other"))
    c.append(case("other-key-p384", False, "signature-mismatch", key="p384",
                  signer_key="p384-other"))
    c.append(case("other-key-dsa2048-same-domain", False, "signature-mismatch", key="dsa2048",
                  signer_key="dsa2048-other"))
    # --- certificate key class does not fit the key type ------------------------------------
    for label, k, kt in [("rsa-cert-ECC_SECP384R1", "rsa2048", "ECC_SECP384R1"),
                         ("rsa-cert-DSA", "rsa2048", "DSA"),
                         ("p384-cert-RSA-PSS", "p384", "RSA-PSS"),
                         ("p521-cert-DSA", "p521", "DSA"),
                         ("dsa-cert-ECC_SECP521R1", "dsa2048", "ECC_SECP521R1"),
                         ("dsa-cert-RSA-PSS", "dsa2048", "RSA-PSS")]:
        c.append(case(f"key-class-{label}", False, "public-key-type-mismatch", key=k,
                      key_type=kt))
    # --- EC curve named in the key type differs from the certificate's curve ----------------
    # cursive only checks "is an EC key", so these verify.
    for label, k, kt in [("p521-as-ECC_SECP384R1", "p521", "ECC_SECP384R1"),
                         ("p384-as-ECC_SECP521R1", "p384", "ECC_SECP521R1"),
                         ("p256-as-ECC_SECP384R1", "p256", "ECC_SECP384R1"),
                         ("p256-as-ECC_SECP521R1", "p256", "ECC_SECP521R1")]:
        c.append(case(f"curve-{label}", True, None, key=k, key_type=kt))
    # --- signature encodings ------------------------------------------------------------------
    c.append(case("raw-rs-p384", False, "signature-mismatch", ("raw-ecdsa-signature",),
                  key="p384", h="SHA-384", sig_fn=_raw(48)))
    c.append(case("raw-rs-p521", False, "signature-mismatch", ("raw-ecdsa-signature",),
                  key="p521", h="SHA-512", sig_fn=_raw(66)))
    c.append(case("raw-rs-dsa2048", False, "signature-mismatch", key="dsa2048", sig_fn=_raw(28)))
    c.append(case("ecdsa-high-s-p384", True, None, key="p384", sig_fn=_high_s))
    c.append(case("ecdsa-low-s-p384", True, None, key="p384", sig_fn=_low_s))
    c.append(case("ecdsa-der-trailing-byte-p384", False, "signature-mismatch", key="p384",
                  sig_fn=lambda s, _m: s + b"\x00"))
    c.append(case("ecdsa-der-nonminimal-int-p384", False, "signature-mismatch", key="p384",
                  sig_fn=_nonminimal_der))
    c.append(case("rsa-signature-left-padded-zero", False, "signature-mismatch",
                  sig_fn=lambda s, _m: b"\x00" + s))
    c.append(case("rsa-signature-truncated", False, "signature-mismatch",
                  sig_fn=lambda s, _m: s[:-1]))
    c.append(case("pkcs1v15-rsa2048-SHA-256", False, "signature-mismatch", ("pkcs1v15-padding",),
                  sigopts=()))
    c.append(case("pkcs1v15-rsa4096-SHA-512", False, "signature-mismatch", ("pkcs1v15-padding",),
                  key="rsa4096", h="SHA-512", sigopts=()))
    c.append(case("pss-mgf1-sha1", False, "signature-mismatch",
                  sigopts=PSS_MAX + ("rsa_mgf1_md:sha1",)))
    # --- signed with one hash, property names another ----------------------------------------
    for k in ("rsa2048", "p384", "dsa2048"):
        c.append(case(f"signed-SHA-384-claims-SHA-256-{k}", False, "signature-mismatch",
                      ("other-hash-method",), key=k, h="SHA-256", sign_hash="SHA-384"))
    c.append(case("signed-SHA-256-claims-SHA-512-rsa4096", False, "signature-mismatch",
                  ("other-hash-method",), key="rsa4096", h="SHA-512", sign_hash="SHA-256"))
    # --- short hash on a big curve (valid) ------------------------------------------------------
    c.append(case("p384-SHA-512", True, None, key="p384", h="SHA-512"))
    c.append(case("p521-SHA-224", True, None, key="p521", h="SHA-224"))
    c.append(case("dsa3072-SHA-512", True, None, key="dsa3072", h="SHA-512"))
    # --- base64 of img_signature (cursive: base64.b64decode without validate=True) ----------------
    b = lambda fn: dict(b64_fn=fn)  # noqa: E731
    c += [
        case("b64-newlines-every-64", True, None, **b(lambda s: "\n".join(pl.chunks(s, 64)))),
        case("b64-crlf-every-76", True, None, **b(lambda s: "\r\n".join(pl.chunks(s, 76)))),
        case("b64-spaces", True, None, **b(lambda s: " ".join(pl.chunks(s, 10)))),
        case("b64-tabs-and-edges", True, None, **b(lambda s: "\t " + s + "\n")),
        case("b64-junk-punctuation", True, None, **b(lambda s: s[:10] + "!*#?" + s[10:])),
        case("b64-nul-char", True, None, **b(lambda s: s[:20] + "\x00" + s[20:])),
        case("b64-data-after-padding", True, None, **b(lambda s: s + "AAAA")),
        case("b64-extra-padding", True, None, **b(lambda s: s + "==")),
        case("b64-padding-at-quad-start", True, None, **b(lambda s: s[:100] + "==" + s[100:])),
        case("b64-padding-mid-quad", False, "signature-mismatch",
             **b(lambda s: s[:102] + "==" + s[102:])),
        case("b64-noncanonical-trailing-bits", True, None, **b(_noncanonical_tail)),
        case("b64-missing-padding", False, "invalid-base64", **b(lambda s: s.rstrip("="))),
        case("b64-half-padding", False, "invalid-base64", **b(lambda s: s[:-1])),
        case("b64-extra-alphabet-char", False, "signature-mismatch",
             **b(lambda s: s[:10] + "A" + s[10:])),
        case("b64-urlsafe-alphabet", ANY, ANY,
             **b(lambda s: s.replace("+", "-").replace("/", "_"))),
        case("b64-python-bytes-repr", False, "signature-mismatch", **b(lambda s: f"b'{s}'")),
        case("b64-non-ascii-char", False, "invalid-base64", **b(lambda s: s[:10] + "é" + s[10:])),
        case("b64-nbsp", False, "invalid-base64", **b(lambda s: s[:10] + "\u00a0" + s[10:])),
        case("b64-double-encoded", False, "signature-mismatch",
             **b(lambda s: base64.b64encode(s.encode()).decode())),
        case("b64-hex-instead", False, "signature-mismatch",
             sig_fn=lambda s, _m: s, b64_fn=lambda s: base64.b64decode(s).hex()),
        case("b64-single-char", False, "invalid-base64", sig_text="A"),
        case("b64-only-junk", False, "empty-signature", sig_text="!!!!"),
        case("b64-only-padding", False, "empty-signature", sig_text="===="),
        case("b64-whitespace-only", False, "empty-signature", sig_text=" \n\t "),
        case("empty-signature", False, "empty-signature", sig_text=""),
    ]
    # --- missing properties ---------------------------------------------------------------------
    for name in pl.PROPERTY_NAMES:
        c.append(case(f"missing-{name}", False, "missing-property", drop=(name,)))
    c.append(case("missing-all", False, "missing-property", drop=pl.PROPERTY_NAMES))
    # --- which error wins (cursive's order: missing, base64, hash, key type, key class, empty) ---
    c += [
        case("first-missing-then-bad-hash", False, "missing-property", drop=(pl.PROP_KEY_TYPE,),
             hash_prop="sha256", sig_text="abc"),
        case("first-base64-then-hash", False, "invalid-base64", sig_text="abc",
             hash_prop="sha256"),
        case("first-hash-then-key-type", False, "invalid-hash-method", hash_prop="MD5",
             key_type="RSA"),
        case("first-key-type-then-key-class", False, "binary-curve-removed",
             key_type="ECC_SECT571K1"),
        case("empty-signature-then-bad-hash", False, "invalid-hash-method", sig_text="",
             hash_prop="sha256"),
        case("empty-signature-then-key-class", False, "public-key-type-mismatch", sig_text="",
             key_type="ECC_SECP384R1"),
        case("empty-signature-then-bad-key-type", False, "invalid-key-type", sig_text="",
             key_type="RSA"),
    ]
    return c


CASES = _cases()
assert len({x.id for x in CASES}) == len(CASES), "duplicate case ids"


def _material(mat, c: Neg):
    def make():
        props, cert, image = c.build(mat)
        return props, cert, image, mat.props_file("neg-" + c.id, props)

    return mat.memo(("neg", c.id), make)


@pytest.mark.peer
@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_cursive_outcome(mat, c):
    props, cert, image, _ = _material(mat, c)
    o = pl.cursive_outcome(props, cert, image)
    if c.cursive_ok is not ANY:
        assert o.ok == c.cursive_ok, o
    if c.code is not ANY:
        assert pl.expected_error_code(o) == c.code, o
    else:
        pl.expected_error_code(o)  # some glance-sig code must correspond


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_glance_sig_agrees_with_cursive(mat, gs, c):
    props, cert, image, props_path = _material(mat, c)
    o = pl.cursive_outcome(props, cert, image)
    r = gs(*pl.verify_args(image, cert, props_path, "--json"))
    assert r.returncode == (0 if o.ok else 1), f"cursive: {o}\n{r.describe()}"
    doc = r.json()
    pl.check_verify_doc(doc)
    assert doc["valid"] is o.ok, doc
    assert doc["signature"]["valid"] is o.ok, doc
    if o.ok:
        assert doc["error"] is None, doc
    else:
        err = doc["error"]
        assert err is not None, doc
        assert err["code"] == pl.expected_error_code(o), (err, o)
        if o.exc_type == "SignatureVerificationError":
            assert err["cursive_message"] == o.message, (err, o)
        elif o.exc_type in ("ValueError", "TypeError"):
            # cursive crashed: the quote says so, and quotes no refusal cursive never makes.
            assert o.exc_type in err["cursive_message"], (err, o)
            assert "no message" in err["cursive_message"], (err, o)
    codes = pl.diagnosis_codes(doc)
    for d in c.diagnosis:
        assert d in codes, (d, doc["diagnosis"])


DIAGNOSIS_FREE = ["hash-method-sha256", "missing-img_signature", "b64-missing-padding",
                  "key-class-rsa-cert-ECC_SECP384R1"]


@pytest.mark.parametrize("case_id", DIAGNOSIS_FREE)
def test_no_signature_diagnosis_before_the_signature_is_checked(mat, gs, case_id):
    """Rejections made before any signature check carry no signature-level diagnosis."""
    c = next(x for x in CASES if x.id == case_id)
    props, cert, image, props_path = _material(mat, c)
    doc = gs(*pl.verify_args(image, cert, props_path, "--json")).json()
    sig_diags = {"pkcs1v15-padding", "raw-ecdsa-signature", "certificate-mismatch",
                 "data-changed"}
    assert not sig_diags & set(pl.diagnosis_codes(doc)), doc["diagnosis"]


@pytest.mark.parametrize("c", [x for x in CASES if x.cursive_ok is False][::6],
                         ids=lambda c: c.id)
def test_exit_code_without_json(mat, gs, c):
    props, cert, image, props_path = _material(mat, c)
    r = gs(*pl.verify_args(image, cert, props_path))
    assert r.returncode == 1, r.describe()


@pytest.mark.parametrize("c", [x for x in CASES if x.diagnosis or x.id.startswith("b64-")][::3],
                         ids=lambda c: c.id)
def test_no_explain_keeps_the_verdict(mat, gs, c):
    """--no-explain (no second read of the image for diagnoses) changes no verdict or code."""
    props, cert, image, props_path = _material(mat, c)
    a = gs(*pl.verify_args(image, cert, props_path, "--json")).json()
    b = gs(*pl.verify_args(image, cert, props_path, "--json", "--no-explain"))
    assert b.returncode == (0 if a["valid"] else 1), b.describe()
    bd = b.json()
    pl.check_verify_doc(bd)
    assert bd["valid"] == a["valid"]
    assert (bd["error"] or {}).get("code") == (a["error"] or {}).get("code")
