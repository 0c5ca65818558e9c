"""Text from input and from the cloud never drives the terminal: escape sequences in property
values, certificate subjects and file names come out escaped (`\\u{1b}`) in every human output
of every command and engine, on stdout and stderr. JSON stays JSON (serde escapes what JSON
must), and carries the value itself."""

from __future__ import annotations


import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import NameOID

import peerlib as pl

EVIL = pl.EVIL


def clean(r):
    pl.assert_no_raw_controls(r)
    # Shown, escaped: \u{1b} (ours), or \1b (RFC 4514's escaping of a certificate name).
    shown = r.out + r.err
    assert "\\u{1b}" in shown or "\\1b" in shown, f"not shown escaped:\n{r.describe()}"


@pytest.fixture(scope="module")
def evil_cert(mat):
    key = mat.key("p384")
    cn = f"signer {EVIL} end"
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .public_key(key.public_key()).serial_number(4711)
            .not_valid_before(pl.dt(2020)).not_valid_after(pl.dt(2040))
            .sign(key, hashes.SHA384()))
    return pl.write(mat.path("hostile", "evil-subject.pem"), pl.cert_pem(cert))


def test_property_values_are_escaped(mat, gs):
    props = pl.props(pl.b64(mat.good_sig("rsa2048")), f"SHA-256{EVIL}", "RSA-PSS",
                     f"uuid{EVIL}")
    path = mat.props_file("hostile-values", {**props, f"name{EVIL}": EVIL})
    clean(gs("inspect", path))
    r = gs(*pl.verify_args(mat.image(), mat.cert_file("rsa2048"), path))
    assert r.returncode == 1, r.describe()
    clean(r)
    doc = gs(*pl.verify_args(mat.image(), mat.cert_file("rsa2048"), path, "--json")).json()
    assert EVIL in doc["error"]["message"], doc["error"]


def test_certificate_subjects_are_escaped(mat, gs, evil_cert):
    clean(gs("inspect", evil_cert))
    image = mat.image()
    sig = pl.openssl_sign(mat.key_file("p384"), image, "SHA-384", ())
    path = mat.props_file("hostile-subject", pl.props(pl.b64(sig), "SHA-384", "ECC_SECP384R1"))
    r = gs(*pl.verify_args(image, evil_cert, path))
    assert r.returncode == 0, r.describe()
    clean(r)


def test_file_names_in_errors_are_escaped(mat, gs):
    missing = mat.path("hostile", f"props{EVIL}.json")
    r = gs(*pl.verify_args(mat.image(), mat.cert_file("rsa2048"), missing))
    assert r.returncode == 2, r.describe()
    clean(r)
    r = gs("sign", "--image", mat.image(), "--key", mat.path("hostile", f"key{EVIL}.pem"),
           "--cert-uuid", "u")
    assert r.returncode == 2, r.describe()
    clean(r)
