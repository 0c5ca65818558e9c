"""External signers (--signer-command): a stand-in KMS (openssl pkeyutl over the digest, with a
digest-length PSS salt and raw ECDSA output, as real KMS services sign) produces what cursive
accepts once glance-sig has normalized it; every way a signer fails exits 2, says why, and
prints no properties."""

from __future__ import annotations

import hashlib
import shlex
import sys
from pathlib import Path

import pytest

import peerlib as pl
from conftest import CERT_UUID

STANDIN = Path(__file__).resolve().parent / "kms-standin.sh"
ENGINES = ["native", "component"]
KEYS = ["rsa2048", "rsa4096", "p384", "p521"]


@pytest.fixture(scope="module")
def kms(tmp_path_factory):
    """Key files the stand-in KMS holds, and the certificates of their keys."""
    root = tmp_path_factory.mktemp("kms")
    out = {}
    for name in KEYS + ["rsa2048-other"]:
        key = pl.write(root / f"{name}.key.pem", pl.pem_pkcs8(pl.load_or_generate_key(name)))
        cert = pl.write(root / f"{name}.crt.pem", pl.cert_pem(pl.self_signed_cert(name)))
        out[name] = (key, cert)
    return out


def sign(gs, image, cert, command, *extra, engine="native", hash_method="SHA-256"):
    return gs("sign", "--image", image, "--signer-command", command, "--cert", cert,
              "--cert-uuid", CERT_UUID, "--hash-method", hash_method, "--engine", engine,
              *extra)


def standin(key: Path) -> str:
    return (f"KMS_KEY={shlex.quote(str(key))} KMS_PYTHON={shlex.quote(sys.executable)} "
            f"{shlex.quote(str(STANDIN))}")


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("hash_method", ["SHA-256", "SHA-384", "SHA-512"])
@pytest.mark.parametrize("name", KEYS)
def test_a_kms_signature_is_normalized_into_what_cursive_accepts(gs, kms, image, name,
                                                                  hash_method, engine):
    key, cert = kms[name]
    r = sign(gs, image, cert, standin(key), engine=engine, hash_method=hash_method)
    assert r.returncode == 0, r.describe()
    props = r.json()
    ok, msg = pl.cursive_verdict(props, cert, image)
    assert ok, f"cursive refused: {msg}\n{r.describe()}"
    sig = pl.strict_b64decode(props[pl.PROP_SIGNATURE])
    if name.startswith("rsa"):
        # The KMS's salt is kept (the signature is the KMS's), found, and reported.
        salt = pl.pss_salt_length(sig, pl.load_cert(cert).public_key(), hash_method)
        assert salt == hashlib.new(hash_method.replace("-", "").lower()).digest_size
        assert f"RSA-PSS salt {salt} bytes" in r.err
        assert "not the maximum" in r.err and "cryptography <= 41" in r.err
    else:
        assert sig[0] == 0x30
        assert "raw r||s" in r.err and "converted to the DER form" in r.err


def test_the_signer_gets_the_digest_and_the_algorithm(gs, kms, image, tmp_path):
    _, cert = kms["rsa2048"]
    dump = tmp_path / "env"
    r = sign(gs, image, cert, f"env > {dump}; cat > {tmp_path / 'stdin'}; exit 7",
             hash_method="SHA-384")
    assert r.returncode == 2, r.describe()
    env = dict(line.split("=", 1) for line in dump.read_text().splitlines() if "=" in line)
    digest = hashlib.sha384(image.read_bytes()).digest()
    assert env["GLANCE_SIG_DIGEST_HEX"] == digest.hex()
    assert env["GLANCE_SIG_DIGEST_BASE64"] == pl.b64(digest)
    assert Path(env["GLANCE_SIG_DIGEST_FILE"]).name == "digest"
    assert (tmp_path / "stdin").read_bytes() == digest
    assert env["GLANCE_SIG_HASH_METHOD"] == "SHA-384"
    assert env["GLANCE_SIG_HASH"] == "sha384"
    assert env["GLANCE_SIG_KEY_TYPE"] == "RSA-PSS"
    assert env["GLANCE_SIG_PSS_SALT_LENGTH"] == str(pl.pss_max_salt(2048, "SHA-384"))
    assert env["GLANCE_SIG_JWS_ALG"] == "PS384"
    assert "exited with status 7" in r.err
    # The temporary files are gone.
    assert not Path(env["GLANCE_SIG_DIGEST_FILE"]).exists()


@pytest.mark.parametrize("engine", ENGINES)
def test_a_signature_file_and_stdin_serve_too(gs, kms, image, engine):
    key, cert = kms["rsa2048"]
    # openssl reads the digest from stdin and writes the raw signature to the file, with the
    # maximum salt: nothing to warn about.
    cmd = (f"openssl pkeyutl -sign -inkey {key} -pkeyopt digest:sha256 "
           "-pkeyopt rsa_padding_mode:pss -pkeyopt rsa_pss_saltlen:max "
           '-out "$GLANCE_SIG_SIGNATURE_FILE"')
    r = sign(gs, image, cert, cmd, engine=engine)
    assert r.returncode == 0, r.describe()
    ok, msg = pl.cursive_verdict(r.json(), cert, image)
    assert ok, msg
    assert "warning" not in r.err, r.err


def failing(r, *says):
    assert r.returncode == 2, r.describe()
    assert r.out == "", f"properties printed despite the failure:\n{r.describe()}"
    for s in says:
        assert s in r.err, f"{s!r} not in:\n{r.describe()}"


@pytest.mark.parametrize("engine", ENGINES)
def test_a_failing_or_lying_signer_signs_nothing(gs, kms, image, engine):
    key, cert = kms["rsa2048"]
    other, _ = kms["rsa2048-other"]
    s = lambda cmd, *extra: sign(gs, image, cert, cmd, *extra, engine=engine)  # noqa: E731
    failing(s("echo 'AccessDeniedException: kms:Sign not allowed' >&2; exit 254"),
            "exited with status 254", "AccessDeniedException", "fix:")
    failing(s("echo hello"), "does not verify")
    failing(s("printf ''"), "printed no signature")
    failing(s("head -c 256 /dev/urandom"), "does not verify")
    failing(s("sleep 5", "--signer-timeout", "1"), "no answer within 1 s")
    failing(s(standin(other)), "does not verify")
    # A KMS key made for another hash (or one that hashes the digest again).
    failing(s(f"openssl dgst -sha256 -binary | openssl pkeyutl -sign -inkey {key} "
              "-pkeyopt digest:sha256 -pkeyopt rsa_padding_mode:pss | base64"),
            "does not verify", "RSASSA-PSS and SHA-256")
    failing(s(f"openssl pkeyutl -sign -inkey {key} -pkeyopt digest:sha256 | base64"),
            "does not verify", "not PKCS#1 v1.5")
    # Without a certificate there is nothing to verify the signature under.
    r = gs("sign", "--image", image, "--signer-command", "true", "--cert-uuid", CERT_UUID)
    failing(r, "give the certificate with --cert")
