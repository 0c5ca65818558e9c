"""`glance-sig inspect FILE --json` names what a file is."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

import peerlib as pl

KEY_FORMATS = [("rsa2048", "pkcs8-pem"), ("rsa2048", "traditional"), ("rsa4096", "pkcs8-der"),
               ("p384", "traditional"), ("p521", "sec1-with-params"), ("dsa2048", "traditional"),
               ("dsa3072", "pkcs8-pem")]


@pytest.mark.parametrize("key_name", list(pl.MAIN_KEYS))
def test_inspect_certificate(mat, gs, key_name):
    for path in (mat.cert_file(key_name),
                 pl.write(mat.path("certs", f"{key_name}.crt.der"),
                          mat.cert_obj(key_name).public_bytes(serialization.Encoding.DER))):
        r = gs("inspect", path, "--json")
        assert r.returncode == 0, r.describe()
        assert r.json()["kind"] == "certificate", r.json()


@pytest.mark.parametrize("key_name,fmt", KEY_FORMATS, ids=[f"{k}-{f}" for k, f in KEY_FORMATS])
def test_inspect_private_key(mat, gs, key_name, fmt):
    r = gs("inspect", mat.key_file(key_name, fmt), "--json")
    assert r.returncode == 0, r.describe()
    assert r.json()["kind"] == "private-key", r.json()


@pytest.mark.parametrize("key_name", list(pl.MAIN_KEYS))
def test_inspect_public_key(mat, gs, key_name):
    r = gs("inspect", mat.pub_file(key_name), "--json")
    assert r.returncode == 0, r.describe()
    assert r.json()["kind"] == "public-key", r.json()


def test_inspect_plain_output(mat, gs):
    r = gs("inspect", mat.cert_file("rsa2048"))
    assert r.returncode == 0, r.describe()
    assert (r.out + r.err).strip()


def test_inspect_shortens_long_values_at_a_character(mat, gs):
    # A long value of multi-byte characters: shown cut at 60 characters, never split inside one.
    value = "é" * 45 + "ü" * 45
    path = pl.write_json(mat.path("props", "long-utf8.json"), {
        "img_signature": "c2ln", "img_signature_hash_method": "SHA-256",
        "img_signature_key_type": "RSA-PSS", "img_signature_certificate_uuid": value})
    r = gs("inspect", path)
    assert r.returncode == 0, r.describe()
    assert f"img_signature_certificate_uuid = {'é' * 45}{'ü' * 15}... (90 chars)" in r.out, r.out


def test_inspect_partial_set_gives_the_one_partial_fix(mat, gs):
    """A partial set: the fix is the core's one text (policy), the same audit prints (the cloud
    test audit_reports_each_problem_with_its_fix compares the two): sign the stored bytes and
    set the properties, as Nova verifies the data at boot even though Glance never re-verifies."""
    path = pl.write_json(mat.path("props", "partial.json"), {
        "img_signature": "c2ln", "img_signature_hash_method": "SHA-256"})
    r = gs("inspect", path)
    assert r.returncode == 0, r.describe()
    fix = ("sign the bytes Glance stores (download them, or use the original file if its "
           "checksum matches) with glance-sig sign and set all four img_signature* properties "
           "from its output: Glance never verifies again after the upload, but Nova with "
           "verify_glance_signatures verifies the data it downloads before boot")
    assert fix in r.out, r.out
    assert "missing img_signature_key_type, img_signature_certificate_uuid" in r.out, r.out
    assert "never be verified" not in r.out, r.out
    assert r.out.count(fix) == 1, r.out
