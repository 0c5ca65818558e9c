"""Fixtures of the interop suite: the glance-sig binary, key material, images and signatures.

Everything is generated at test time in one session temp dir (keys are deterministic and cached,
see peerlib). Tests marked `peer` exercise only the reference peers (cursive, OpenSSL,
openstacksdk) and run without the binary; every other test needs it and fails when it is missing.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import peerlib as pl  # noqa: E402

PASSPHRASE = pl.PASSPHRASE


def pytest_report_header(config):
    import cryptography
    from importlib.metadata import version

    p = pl.glance_sig_path()
    return [
        f"glance-sig: {p} ({'present' if p.is_file() else 'MISSING'})",
        f"peers: cursive {version('cursive')}, openstacksdk {version('openstacksdk')}, "
        f"cryptography {cryptography.__version__}, {pl.openssl('version').decode().strip()}",
    ]


@pytest.fixture(scope="session")
def glance_sig() -> Path:
    p = pl.glance_sig_path()
    if not p.is_file() or not os.access(p, os.X_OK):
        pytest.fail(
            f"glance-sig binary not found at {p}: build it (cargo build --release) or point "
            "GLANCE_SIG_BIN at it",
            pytrace=False,
        )
    return p


@pytest.fixture(scope="session")
def gs(glance_sig) -> Callable[..., pl.Run]:
    """gs(*args) runs the binary; it fails the test on a panic."""
    return lambda *args, **kw: pl.run_glance_sig(glance_sig, *args, **kw)


class Material:
    """Lazily written files of one session, memoised so that the peer test and the glance-sig
    test of a case see the very same bytes (signatures are randomised)."""

    def __init__(self, root: Path):
        self.root = root
        self._memo: dict[Any, Any] = {}

    def memo(self, key, fn):
        if key not in self._memo:
            self._memo[key] = fn()
        return self._memo[key]

    def path(self, *parts: str) -> Path:
        p = self.root.joinpath(*parts)
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    # keys -------------------------------------------------------------------------------
    def key(self, name: str):
        return pl.load_or_generate_key(name)

    def key_file(self, name: str, fmt: str = "pkcs8-pem") -> Path:
        """Private key of `name` in a format:
        pkcs8-pem, pkcs8-der, pkcs8-enc (cryptography's PBES2), pkcs8-enc-openssl
        (`openssl pkcs8 -topk8 -v2 aes-256-cbc`), traditional (PKCS#1 / SEC1 / OpenSSL DSA),
        sec1-with-params (`openssl ecparam -genkey` layout: EC PARAMETERS block first)."""

        def make() -> Path:
            key = self.key(name)
            ext = "der" if fmt.endswith("der") else "pem"
            out = self.path("keys", f"{name}.{fmt}.{ext}")
            if fmt == "pkcs8-pem":
                pl.write(out, pl.pem_pkcs8(key))
            elif fmt == "pkcs8-der":
                pl.write(out, pl.der_pkcs8(key))
            elif fmt == "pkcs8-enc":
                pl.write(out, pl.pem_pkcs8(key, PASSPHRASE))
            elif fmt == "pkcs8-enc-openssl":
                pl.openssl("pkcs8", "-topk8", "-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256",
                           "-in", str(self.key_file(name)), "-passout",
                           f"file:{self.passphrase_file()}", "-out", str(out))
            elif fmt == "traditional":
                pl.write(out, pl.pem_traditional(key))
            elif fmt == "sec1-with-params":
                curve = {"secp384r1": "secp384r1", "secp521r1": "secp521r1"}[key.curve.name]
                params = pl.openssl("ecparam", "-name", curve)
                pl.write(out, params + pl.pem_traditional(key))
            else:
                raise ValueError(fmt)
            return out

        return self.memo(("key", name, fmt), make)

    def passphrase_file(self, passphrase: bytes = PASSPHRASE) -> Path:
        return self.memo(("pass", passphrase),
                         lambda: pl.write(self.path(
                             "keys", f"pass-{hashlib.sha256(passphrase).hexdigest()[:8]}.txt"),
                             passphrase))

    def pub_file(self, name: str) -> Path:
        return self.memo(("pub", name), lambda: pl.write(self.path("keys", f"{name}.pub.pem"),
                                                         pl.pem_public(self.key(name))))

    def cert_file(self, name: str) -> Path:
        """Self-signed signing certificate of key `name` (PEM)."""
        return self.memo(("cert", name), lambda: pl.write(
            self.path("certs", f"{name}.crt.pem"), pl.cert_pem(pl.self_signed_cert(name))))

    def cert_obj(self, name: str):
        return pl.load_cert(self.cert_file(name))

    # images -----------------------------------------------------------------------------
    IMAGE_SIZES = {"small": 300 * 1024 + 17, "large": 20 * 1024 * 1024 + 5, "empty": 0,
                   "one-byte": 1}

    def image(self, which: str = "small") -> Path:
        """Seeded random image; derived variants: tampered-<w>, truncated-<w>, extended-<w>."""

        def make() -> Path:
            out = self.path("images", f"{which}.img")
            if which in self.IMAGE_SIZES:
                return pl.write(out, pl.seeded_bytes(which, self.IMAGE_SIZES[which]))
            op, base = which.split("-", 1)
            data = bytearray(self.image(base).read_bytes())
            if op == "tampered":
                data[len(data) // 2] ^= 0x01
            elif op == "truncated":
                del data[-1:]
            elif op == "extended":
                data += b"\n"
            else:
                raise ValueError(which)
            return pl.write(out, bytes(data))

        return self.memo(("image", which), make)

    # signatures -------------------------------------------------------------------------
    def openssl_sig(self, key: str, hash_method: str, sigopts: tuple[str, ...] = (),
                    image: str = "small") -> bytes:
        return self.memo(("osig", key, hash_method, sigopts, image),
                         lambda: pl.openssl_sign(self.key_file(key), self.image(image),
                                                 hash_method, sigopts))

    def sdk_sig(self, key: str, hash_method: str, image: str = "small") -> bytes:
        return self.memo(("sdksig", key, hash_method, image),
                         lambda: pl.sdk_sign(self.key_file(key), self.image(image), hash_method))

    def good_sig(self, key: str, hash_method: str = "SHA-256", image: str = "small") -> bytes:
        """A signature every peer accepts: OpenSSL, PSS with the maximum salt for RSA."""
        opts = ("rsa_padding_mode:pss", "rsa_pss_saltlen:-2") if key.startswith("rsa") else ()
        return self.openssl_sig(key, hash_method, opts, image)

    def props_file(self, case_id: str, properties: Any) -> Path:
        return self.memo(("props", case_id), lambda: pl.write_json(
            self.path("props", f"{safe(case_id)}.json"), properties))


def safe(s: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in s)[:150]


@pytest.fixture(scope="session")
def mat(tmp_path_factory) -> Material:
    return Material(tmp_path_factory.mktemp("interop"))
