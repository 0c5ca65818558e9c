"""What `glance-sig sign` makes is accepted by cursive (and OpenSSL), for every key type x hash
method and for every private-key file format users have."""

from __future__ import annotations

import json

import pytest

import peerlib as pl
from peerlib import PASSPHRASE

CERT_UUID = "3c1fa0d4-8b52-4e0e-bb0a-52c8f4a7e9d2"


def sign(gs, mat, key_path, image="small", hash_method="SHA-256", *extra, uuid=CERT_UUID):
    args = ["sign", "--image", mat.image(image), "--key", key_path, "--cert-uuid", uuid]
    if hash_method is not None:
        args += ["--hash-method", hash_method]
    return gs(*args, *extra)


def check_sign_output(r, key_name, hash_method, uuid=CERT_UUID) -> dict:
    assert r.returncode == 0, r.describe()
    out = r.json()
    assert isinstance(out, dict) and set(out) == set(pl.PROPERTY_NAMES), out
    assert all(isinstance(v, str) for v in out.values()), out
    assert out[pl.PROP_HASH] == hash_method
    assert out[pl.PROP_KEY_TYPE] == pl.ALL_KEYS[key_name].key_type
    assert out[pl.PROP_CERT_UUID] == uuid
    # Canonical single-line base64 (what the Glance API and every peer take as is).
    sig = pl.strict_b64decode(out[pl.PROP_SIGNATURE])
    assert pl.b64(sig) == out[pl.PROP_SIGNATURE]
    return out


def _peer_checks(mat, key_name, hash_method, image, out, tmp_name):
    sig = pl.strict_b64decode(out[pl.PROP_SIGNATURE])
    ok, msg = pl.cursive_verdict(out, mat.cert_file(key_name), mat.image(image))
    assert ok, msg
    spec = pl.ALL_KEYS[key_name]
    opts = ("rsa_padding_mode:pss", "rsa_pss_saltlen:-2") if spec.kind == "rsa" else ()
    assert pl.openssl_verify(mat.pub_file(key_name), mat.image(image), hash_method, sig,
                             mat.path("sigs", tmp_name + ".sig"), opts), "openssl rejects it"
    if spec.kind == "rsa":
        key = mat.key(key_name)
        # Sign with the maximum salt: the only length clouds on cryptography <= 41 accept.
        assert pl.pss_salt_length(sig, key.public_key(), hash_method,
                                  mat.image(image).read_bytes()) == pl.pss_max_salt(
            key.key_size, hash_method)


MATRIX = [(k, h, "small") for k in pl.MAIN_KEYS for h in pl.HASH_METHODS] + [
    ("rsa4096", "SHA-512", "large"), ("p384", "SHA-384", "large"), ("dsa2048", "SHA-256", "large"),
    ("rsa2048", "SHA-256", "empty"), ("p521", "SHA-512", "empty"), ("dsa3072", "SHA-224", "empty"),
]


@pytest.mark.parametrize("key_name,hash_method,image", MATRIX,
                         ids=[f"{k}-{h}-{i}" for k, h, i in MATRIX])
def test_sign_then_cursive_verifies(mat, gs, key_name, hash_method, image):
    r = sign(gs, mat, mat.key_file(key_name), image, hash_method)
    out = check_sign_output(r, key_name, hash_method)
    _peer_checks(mat, key_name, hash_method, image, out, f"gs-{key_name}-{hash_method}-{image}")
    # And glance-sig agrees with itself, reporting an old-cloud-safe PSS salt.
    props_path = pl.write_json(mat.path("props", f"gs-{key_name}-{hash_method}-{image}.json"), out)
    v = gs(*pl.verify_args(mat.image(image), mat.cert_file(key_name), props_path, "--json"))
    assert v.returncode == 0, v.describe()
    doc = v.json()
    pl.check_verify_doc(doc)
    if pl.ALL_KEYS[key_name].kind == "rsa":
        key = mat.key(key_name)
        assert doc["signature"]["pss"]["salt_length"] == pl.pss_max_salt(key.key_size,
                                                                          hash_method)
        assert doc["signature"]["pss"]["accepted_by_older_clouds"] is True


def test_sign_default_hash_method_is_sha256(mat, gs):
    r = sign(gs, mat, mat.key_file("p384"), "small", None)
    out = check_sign_output(r, "p384", "SHA-256")
    _peer_checks(mat, "p384", "SHA-256", "small", out, "gs-default-hash")


def test_sign_output_is_one_json_object(mat, gs):
    """stdout is only the JSON (pipeable into `openstack image set --property`-style tooling)."""
    r = sign(gs, mat, mat.key_file("rsa2048"))
    assert r.returncode == 0, r.describe()
    assert json.loads(r.out.strip()) == r.json()


@pytest.mark.parametrize("key_name", ["rsa2048", "p384", "dsa2048"])
def test_sign_with_matching_cert(mat, gs, key_name):
    r = sign(gs, mat, mat.key_file(key_name), "small", "SHA-256", "--cert",
             mat.cert_file(key_name))
    out = check_sign_output(r, key_name, "SHA-256")
    _peer_checks(mat, key_name, "SHA-256", "small", out, f"gs-with-cert-{key_name}")


@pytest.mark.parametrize("key_name,cert_name", [("rsa2048", "rsa2048-other"),
                                                ("rsa2048", "p384"), ("p384", "p384-other"),
                                                ("p521", "p384"), ("dsa2048", "dsa2048-other"),
                                                ("dsa2048", "rsa2048")])
def test_sign_with_cert_of_another_key_fails(mat, gs, key_name, cert_name):
    r = sign(gs, mat, mat.key_file(key_name), "small", "SHA-256", "--cert",
             mat.cert_file(cert_name))
    assert r.returncode == 1, r.describe()


# --- key file formats ----------------------------------------------------------------------------

FORMATS = [
    ("rsa2048", "pkcs8-pem"), ("rsa2048", "pkcs8-der"), ("rsa2048", "pkcs8-enc"),
    ("rsa2048", "pkcs8-enc-openssl"), ("rsa2048", "traditional"),  # BEGIN RSA PRIVATE KEY
    ("rsa4096", "traditional"),
    ("p384", "traditional"), ("p521", "traditional"),  # BEGIN EC PRIVATE KEY (SEC1)
    ("p384", "sec1-with-params"), ("p521", "sec1-with-params"),  # `openssl ecparam -genkey`
    ("p384", "pkcs8-der"), ("p384", "pkcs8-enc"), ("p521", "pkcs8-enc-openssl"),
    ("dsa2048", "traditional"), ("dsa3072", "traditional"),  # BEGIN DSA PRIVATE KEY
    ("dsa2048", "pkcs8-der"), ("dsa2048", "pkcs8-enc"),
]
PEM_LABEL = {
    "pkcs8-pem": b"-----BEGIN PRIVATE KEY-----",
    "pkcs8-enc": b"-----BEGIN ENCRYPTED PRIVATE KEY-----",
    "pkcs8-enc-openssl": b"-----BEGIN ENCRYPTED PRIVATE KEY-----",
    ("rsa", "traditional"): b"-----BEGIN RSA PRIVATE KEY-----",
    ("ec", "traditional"): b"-----BEGIN EC PRIVATE KEY-----",
    ("ec", "sec1-with-params"): b"-----BEGIN EC PARAMETERS-----",
    ("dsa", "traditional"): b"-----BEGIN DSA PRIVATE KEY-----",
}


@pytest.mark.parametrize("key_name,fmt", FORMATS, ids=[f"{k}-{f}" for k, f in FORMATS])
def test_sign_key_formats(mat, gs, key_name, fmt):
    path = mat.key_file(key_name, fmt)
    data = path.read_bytes()
    label = PEM_LABEL.get(fmt) or PEM_LABEL.get((pl.ALL_KEYS[key_name].kind, fmt))
    if label is not None:
        assert data.startswith(label), data[:60]
    else:
        assert data[:1] == b"\x30", "DER expected"
    extra = ["--passphrase-file", mat.passphrase_file()] if "enc" in fmt else []
    r = sign(gs, mat, path, "small", "SHA-384", *extra)
    out = check_sign_output(r, key_name, "SHA-384")
    _peer_checks(mat, key_name, "SHA-384", "small", out, f"gs-fmt-{key_name}-{fmt}")


@pytest.mark.parametrize("fmt", ["pkcs8-enc", "pkcs8-enc-openssl"])
def test_sign_wrong_passphrase(mat, gs, fmt):
    r = sign(gs, mat, mat.key_file("rsa2048", fmt), "small", "SHA-256", "--passphrase-file",
             mat.passphrase_file(b"not the passphrase"))
    assert r.returncode == 2, r.describe()
    assert "passphrase" in r.err.lower(), r.describe()
    assert r.out.strip() == "", "no properties on failure"


def test_sign_encrypted_key_without_passphrase(mat, gs):
    r = sign(gs, mat, mat.key_file("p384", "pkcs8-enc"))
    assert r.returncode == 2, r.describe()
    assert "passphrase" in r.err.lower(), r.describe()
    assert r.out.strip() == ""


@pytest.mark.peer
def test_passphrase_fixture_is_the_real_one(mat):
    """Peer-side check of the encrypted fixtures (cryptography opens them with PASSPHRASE)."""
    from cryptography.hazmat.primitives import serialization

    for name, fmt in [("rsa2048", "pkcs8-enc"), ("rsa2048", "pkcs8-enc-openssl")]:
        k = serialization.load_pem_private_key(mat.key_file(name, fmt).read_bytes(), PASSPHRASE)
        assert k.private_numbers() == mat.key(name).private_numbers()



@pytest.mark.peer
@pytest.mark.parametrize("key_name,fmt", FORMATS, ids=[f"{k}-{f}" for k, f in FORMATS])
def test_key_format_fixture_opens_with_openssl(mat, key_name, fmt):
    args = ["pkey", "-in", str(mat.key_file(key_name, fmt)), "-noout"]
    if fmt.endswith("der"):
        args += ["-inform", "DER"]
    if "enc" in fmt:
        args += ["-passin", f"file:{mat.passphrase_file()}"]
    pl.openssl(*args)
