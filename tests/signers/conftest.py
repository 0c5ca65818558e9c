"""Fixtures of the signers suite: a fresh SoftHSM2 token holding the matrix's keys and their
certificates, the glance-sig binary, images, and cursive (through tests/interop's peerlib).

The token lives in this run's temp dir (SOFTHSM2_CONF points there), so every run starts from
an empty token store and no test sees another run's objects.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "interop"))

import peerlib as pl  # noqa: E402

MODULES = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"]
TOKEN = "glance-sig-test"
PIN = "4711"
SO_PIN = "0815"
# The matrix's keys, each imported with its certificate under the same label and id.
TOKEN_KEYS = {"rsa2048": "01", "rsa3072": "02", "rsa4096": "03", "p384": "04", "p521": "05"}
HASHES = ["SHA-224", "SHA-256", "SHA-384", "SHA-512"]
CERT_UUID = "5e0c1f0a-7a43-4c5e-9a43-2f6f3b0e6d11"


def run(*argv, **kw) -> subprocess.CompletedProcess:
    p = subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)
    assert p.returncode == 0, f"$ {' '.join(map(str, argv))}\n{p.stdout}\n{p.stderr}"
    return p


@dataclass
class Token:
    root: Path
    module: str
    pin_file: Path
    certs: dict[str, Path]

    def uri(self, label: str, *, pin: str | None = "file", module: bool = True,
            **attrs: str) -> str:
        path = ";".join([f"token={TOKEN}", f"object={label}"]
                        + [f"{k.replace('_', '-')}={v}" for k, v in attrs.items()])
        query = []
        if pin == "file":
            query.append(f"pin-source=file:{self.pin_file}")
        elif pin is not None:
            query.append(f"pin-value={pin}")
        if module:
            query.append(f"module-path={self.module}")
        return f"pkcs11:{path}" + (f"?{'&'.join(query)}" if query else "")

    def tool(self, *args: str) -> subprocess.CompletedProcess:
        return run("pkcs11-tool", "--module", self.module, "--token-label", TOKEN,
                   "--login", "--pin", PIN, *args)


@pytest.fixture(scope="session")
def token(tmp_path_factory) -> Token:
    module = next((m for m in MODULES if Path(m).is_file()), None)
    if module is None or not shutil.which("softhsm2-util") or not shutil.which("pkcs11-tool"):
        pytest.fail("SoftHSM2 and OpenSC are missing: scripts/setup.sh installs them "
                    "(Debian softhsm2, opensc)", pytrace=False)
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    run("softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN,
        "--so-pin", SO_PIN)
    pin_file = pl.write(root / "pin", PIN + "\n")
    pin_file.chmod(0o600)
    tok = Token(root, module, pin_file, {})
    for name, object_id in TOKEN_KEYS.items():
        key = pl.load_or_generate_key(name)
        key_pem = pl.write(root / f"{name}.key.pem", pl.pem_pkcs8(key))
        run("softhsm2-util", "--import", key_pem, "--token", TOKEN, "--label", name,
            "--id", object_id, "--pin", PIN)
        key_pem.unlink()  # the token holds it now; nothing else does
        cert = pl.self_signed_cert(name)
        tok.certs[name] = pl.write(root / f"{name}.crt.pem", pl.cert_pem(cert))
        der = pl.write(root / f"{name}.crt.der", cert.public_bytes(serialization.Encoding.DER))
        tok.tool("--write-object", der, "--type", "cert", "--label", name, "--id", object_id)
    return tok


@pytest.fixture(scope="session")
def glance_sig() -> Path:
    p = pl.glance_sig_path()
    if not p.is_file():
        pytest.fail(f"glance-sig not found at {p}: cargo build --release", pytrace=False)
    return p


@pytest.fixture(scope="session")
def image(tmp_path_factory) -> Path:
    return pl.write(tmp_path_factory.mktemp("images") / "image.img",
                    pl.seeded_bytes("signers", 700 * 1024 + 3))


@pytest.fixture(scope="session")
def gs(glance_sig):
    """gs(*args) runs glance-sig (never a panic, never a signal)."""
    return lambda *args, **kw: pl.run_glance_sig(glance_sig, *args, **kw)
