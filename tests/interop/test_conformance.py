"""Where cursive's acceptance is wider than the common case, glance-sig agrees with it, for the
same reason: an RSA signature shorter than the modulus (leading zero bytes dropped), an RSA key
with a public exponent above 2^33, an EC certificate that spells out the P-384 parameters.
Fixtures are made here with cryptography and OpenSSL; cursive's verdict is computed, never
written down."""

from __future__ import annotations

import math
import random
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

import peerlib as pl

UUID = "6f1c3a52-1d2e-4c8b-9e77-0a5b3c2d1e0f"


def verdicts(mat, gs, name, props, cert, image="small"):
    """cursive's outcome and glance-sig's report for the same files; they must agree."""
    props_path = pl.write_json(mat.path("conformance", f"{name}.json"), props)
    o = pl.cursive_outcome(props, cert, mat.image(image))
    r = gs(*pl.verify_args(mat.image(image), cert, props_path, "--json"))
    doc = r.json()
    assert doc["valid"] is o.ok, f"cursive: {o}\n{r.describe()}"
    assert r.returncode == (0 if o.ok else 1), r.describe()
    return o, doc


def pss_sign(key, data: bytes) -> bytes:
    return key.sign(data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                      salt_length=padding.PSS.MAX_LENGTH), hashes.SHA256())


def rsa_props(sig: bytes) -> dict:
    return pl.props(pl.b64(sig), "SHA-256", "RSA-PSS", UUID)


def test_an_rsa_signature_without_its_leading_zero_byte(mat, gs):
    key = mat.key("rsa2048")
    data = mat.image("small").read_bytes()
    # About one PSS signature in 256 starts with a zero byte (the salt is random).
    sig = next(s for s in (pss_sign(key, data) for _ in range(4096)) if s[0] == 0)
    short = sig.lstrip(b"\0")
    o, doc = verdicts(mat, gs, "rsa-short", rsa_props(short), mat.cert_file("rsa2048"))
    assert o.ok, f"cursive accepts a short RSA signature: {o}"
    assert "rsa-signature-short" in [w["code"] for w in doc["warnings"]], doc["warnings"]
    # One byte longer than the modulus (a zero prepended) is not the same number to OpenSSL.
    o, doc = verdicts(mat, gs, "rsa-long", rsa_props(b"\0" + sig), mat.cert_file("rsa2048"))
    assert not o.ok


def rsa_key_with_exponent(e: int, seed: str):
    rng = random.Random(seed)
    primes = []
    while len(primes) < 2:
        p = pl._prime(1024, rng, e)
        if math.gcd(e, p - 1) == 1:
            primes.append(p)
    p, q = primes
    d = pow(e, -1, (p - 1) * (q - 1) // math.gcd(p - 1, q - 1))
    return rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p),
                                 rsa.RSAPublicNumbers(e, p * q)).private_key()


@pytest.mark.parametrize("e", [2**40 + 1, 2**70 + 25], ids=["2^40+1", "2^70+25"])
def test_an_rsa_key_with_a_large_public_exponent(mat, gs, e):
    key = rsa_key_with_exponent(e, f"large-e-{e}")
    cert = pl.write(mat.path("conformance", f"rsa-e-{e}.crt.pem"), pl.cert_pem(
        pl.make_cert(subject_cn=f"large exponent {e}", subject_key=key)))
    sig = pss_sign(key, mat.image("small").read_bytes())
    o, doc = verdicts(mat, gs, f"rsa-e-{e}", rsa_props(sig), cert)
    assert o.ok, f"cursive accepts the key: {o}"
    # And the certificate reads as an RSA key, not as a malformed one.
    r = gs("inspect", cert, "--json")
    assert r.returncode == 0, r.describe()
    assert r.json()["certificate"]["public_key"]["algorithm"] == "RSA", r.out


@pytest.fixture(scope="module")
def explicit_p384(tmp_path_factory):
    """A P-384 key whose certificate spells the curve out (openssl -param_enc explicit)."""
    d = tmp_path_factory.mktemp("explicit")
    key, cert = d / "key.pem", d / "cert.pem"
    subprocess.run(["openssl", "ecparam", "-name", "secp384r1", "-param_enc", "explicit",
                    "-genkey", "-noout", "-out", key], check=True)
    subprocess.run(["openssl", "req", "-new", "-x509", "-key", key, "-subj",
                    "/CN=explicit P-384 parameters", "-days", "3650", "-out", cert], check=True)
    asn1 = subprocess.run(["openssl", "asn1parse", "-in", cert], check=True,
                          capture_output=True, text=True).stdout
    assert "prime-field" in asn1, "the certificate must carry explicit parameters"
    return key, cert


def test_an_ec_certificate_with_explicit_p384_parameters(mat, gs, explicit_p384):
    key, cert = explicit_p384
    image = mat.image("small")
    sig = pl.openssl("dgst", "-sha384", "-sign", str(key), str(image))
    props = pl.props(pl.b64(sig), "SHA-384", "ECC_SECP384R1", UUID)
    o, doc = verdicts(mat, gs, "explicit-p384", props, cert)
    assert o.ok, f"cursive reads explicit P-384 parameters as P-384: {o}"
    assert doc["signature"]["key_type"] == "ECC_SECP384R1"
    # The same image tampered: refused by both.
    o, _ = verdicts(mat, gs, "explicit-p384-tampered", props, cert, image="tampered-small")
    assert not o.ok
