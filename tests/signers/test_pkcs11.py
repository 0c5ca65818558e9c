"""Keys in a PKCS#11 token (SoftHSM2): every key size and curve with every hash, through both
engines, signs what cursive accepts; each way a token setup goes wrong is named, exits 2 (1 for
a key that is not the certificate's, as with files), and prints no properties."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization

import peerlib as pl
from conftest import CERT_UUID, HASHES, PIN, TOKEN, TOKEN_KEYS, run

ENGINES = ["native", "component"]


def sign(gs, image, key_uri, *extra, engine="native", hash_method="SHA-256"):
    return gs("sign", "--image", image, "--key", key_uri, "--cert-uuid", CERT_UUID,
              "--hash-method", hash_method, "--engine", engine, *extra)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("hash_method", HASHES)
@pytest.mark.parametrize("name", list(TOKEN_KEYS))
def test_a_token_key_signs_what_cursive_accepts(gs, token, image, name, hash_method, engine):
    r = sign(gs, image, token.uri(name), "--cert", token.certs[name], engine=engine,
             hash_method=hash_method)
    assert r.returncode == 0, r.describe()
    props = r.json()
    assert props[pl.PROP_KEY_TYPE] == pl.ALL_KEYS[name].key_type
    assert props[pl.PROP_HASH] == hash_method
    ok, msg = pl.cursive_verdict(props, token.certs[name], image)
    assert ok, f"cursive refused the token's signature: {msg}\n{r.describe()}"
    sig = pl.strict_b64decode(props[pl.PROP_SIGNATURE])
    cert = pl.load_cert(token.certs[name])
    if name.startswith("rsa"):
        # The maximum salt: clouds on cryptography <= 41 accept nothing else.
        bits = cert.public_key().key_size
        assert pl.pss_salt_length(sig, cert.public_key(), hash_method) == \
            pl.pss_max_salt(bits, hash_method), r.describe()
        assert "RSA-PSS salt" in r.err
    else:
        # CKM_ECDSA's raw r||s became DER, which is what cursive just accepted.
        assert sig[0] == 0x30, sig[:4]
        assert "converted to the DER form" in r.err
    assert f"signed by pkcs11:token={TOKEN};object={name}" in r.err
    assert PIN not in r.out + r.err


@pytest.mark.parametrize("engine", ENGINES)
def test_the_certificate_comes_from_the_token_too(gs, token, image, engine):
    # --cert names the certificate object; without --cert the one under the key's label is used.
    by_uri = sign(gs, image, token.uri("p521"), "--cert",
                  token.uri("p521", pin=None, type="cert"), engine=engine)
    assert by_uri.returncode == 0, by_uri.describe()
    found = sign(gs, image, token.uri("rsa3072"), engine=engine)
    assert found.returncode == 0, found.describe()
    for r, name in [(by_uri, "p521"), (found, "rsa3072")]:
        ok, msg = pl.cursive_verdict(r.json(), token.certs[name], image)
        assert ok, msg


def test_inspect_says_what_the_object_is_and_how_it_signs(gs, token):
    r = gs("inspect", token.uri("p384"), "--json")
    assert r.returncode == 0, r.describe()
    doc = r.json()
    assert doc["kind"] == "pkcs11-key"
    assert doc["key_type"] == "ECC_SECP384R1"
    assert doc["token"] == TOKEN
    assert doc["certificate_subject"] == pl.load_cert(token.certs["p384"]).subject.rfc4514_string()
    assert any("CKM_ECDSA" in line for line in doc["cloud"]), doc
    text = gs("inspect", token.uri("rsa4096"))
    assert text.returncode == 0, text.describe()
    assert "RSA 4096 bits, signs as RSA-PSS" in text.out, text.out
    assert "CKM_RSA_PKCS_PSS" in text.out
    assert PIN not in text.out


def failing(r, code, *says):
    assert r.returncode == code, r.describe()
    assert r.out == "", f"properties printed despite the failure:\n{r.describe()}"
    for s in says:
        assert s in r.err, f"{s!r} not in:\n{r.describe()}"
    assert "panicked" not in r.err
    return r


@pytest.mark.parametrize("engine", ENGINES)
def test_setup_mistakes_are_named_and_sign_nothing(gs, token, image, tmp_path, engine):
    wrong = pl.write(tmp_path / "wrong-pin", "0000\n")
    cert = ["--cert", token.certs["rsa2048"]]
    s = lambda uri, *extra: sign(gs, image, uri, *extra, engine=engine)  # noqa: E731
    uri = token.uri("rsa2048").replace(str(token.pin_file), str(wrong))
    failing(s(uri, *cert), 2, "wrong PIN", "fix:")
    # An empty PIN file is a mistake, refused before the token is asked (no login attempt
    # counts against the PIN).
    empty = pl.write(tmp_path / "empty-pin", "\n")
    failing(s(token.uri("rsa2048").replace(str(token.pin_file), str(empty)), *cert), 2,
            "first line is empty", "write the PIN")
    # A huge URI is quoted shortened in the error, and a PIN in it never.
    huge = "pkcs11:token=t;" + "x" * 100_000 + "?pin-value=12%ZZ34"
    r = failing(s(huge), 2, "not name=value")
    assert len(r.err) < 2000 and "12%ZZ34" not in r.err, r.describe()
    r = failing(s("pkcs11:token=t;object=k?pin-value=98%ZZ76"), 2, "pin-value")
    assert "%ZZ76" not in r.err, r.describe()
    failing(s(token.uri("no-such-key"), *cert), 2, "no private key", "matches",
            'object="rsa2048"', "fix:")
    failing(s(token.uri("rsa2048", pin=None), *cert), 2, "needs a PIN", "pin-source=file:")
    failing(s(token.uri("rsa2048", module=False), *cert, "--pkcs11-module",
              tmp_path / "missing.so"), 2, "cannot load the PKCS#11 module")
    not_a_library = pl.write(tmp_path / "not-a-module.so", "not a shared object")
    failing(s(token.uri("rsa2048", module=False), *cert, "--pkcs11-module", not_a_library),
            2, "cannot load the PKCS#11 module")
    failing(s(token.uri("rsa2048", module=False), *cert), 2, "no PKCS#11 module",
            "--pkcs11-module")
    failing(s(token.uri("rsa2048").replace(f"token={TOKEN}", "token=other"), *cert), 2,
            "no token matches", TOKEN)
    failing(s("pkcs11:token=t;objekt=k"), 2, "unknown attribute `objekt`")
    # The key is not the certificate's: refused before any data is read, as for key files.
    failing(s(token.uri("rsa2048"), "--cert", token.certs["rsa4096"]), 1,
            "does not match the certificate")
    # A signer outside the process needs the certificate to verify its signature under.
    token.tool("--write-object", token.root / "rsa2048.crt.der", "--type", "cert",
               "--label", "lonely-cert", "--id", "31")
    failing(s(token.uri("p384", id="%05")), 2, "no private key")
    # A PIN on the command line works, with a warning.
    r = s(token.uri("rsa2048", pin=PIN), *cert)
    assert r.returncode == 0, r.describe()
    assert "pin-value puts the PIN on the command line" in r.err


@pytest.fixture(scope="session")
def mismatched(token):
    """A private key whose public object on the token is another key's: the pre-flight
    check passes (the token says it is the certificate's key), and the signature the token
    returns does not verify under the certificate."""
    other = pl.load_or_generate_key("p384-other")
    key_pem = pl.write(token.root / "mixed.key.pem", pl.pem_pkcs8(pl.load_or_generate_key("p384")))
    run("softhsm2-util", "--import", key_pem, "--token", TOKEN, "--label", "mixed",
        "--id", "0a", "--pin", PIN)
    key_pem.unlink()
    token.tool("--delete-object", "--type", "pubkey", "--label", "mixed")
    spki = pl.write(token.root / "other.pub.der", other.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    token.tool("--write-object", spki, "--type", "pubkey", "--label", "mixed", "--id", "0a")
    return pl.write(token.root / "other.crt.pem", pl.cert_pem(pl.self_signed_cert("p384-other")))


@pytest.mark.parametrize("engine", ENGINES)
def test_a_signature_that_does_not_verify_is_never_emitted(gs, token, image, mismatched, engine):
    r = sign(gs, image, token.uri("mixed"), "--cert", mismatched, engine=engine,
             hash_method="SHA-384")
    failing(r, 2, "does not verify", "fix:")
