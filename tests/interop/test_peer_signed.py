"""Signatures made by real peers (OpenSSL CLI, openstacksdk's ImageSigner) verify with cursive and
with glance-sig, for every key type x hash method; RSA-PSS salt lengths are reported right."""

from __future__ import annotations

import dataclasses

import pytest

import peerlib as pl


@dataclasses.dataclass(frozen=True)
class PeerSig:
    key: str
    hash_method: str
    signer: str  # variant name, see RSA_VARIANTS / "openssl"
    image: str = "small"

    @property
    def id(self) -> str:
        return f"{self.key}-{self.hash_method}-{self.signer}-{self.image}"


def _openssl_opts(variant: str, hash_method: str) -> tuple[str, ...]:
    mgf = f"rsa_mgf1_md:{pl.OPENSSL_DGST[hash_method]}"
    return {
        # OpenSSL's own default salt: the maximum in 3.0, the digest length from 3.1 on.
        "openssl-pss-default": ("rsa_padding_mode:pss",),
        "openssl-pss-saltlen-max": ("rsa_padding_mode:pss", "rsa_pss_saltlen:-2", mgf),
        "openssl-pss-saltlen-digest": ("rsa_padding_mode:pss", "rsa_pss_saltlen:-1"),
        "openssl-pss-saltlen-0": ("rsa_padding_mode:pss", "rsa_pss_saltlen:0", mgf),
        "openssl-pss-saltlen-32": ("rsa_padding_mode:pss", "rsa_pss_saltlen:32"),
        "openssl": (),
    }[variant]


RSA_VARIANTS = ("openssl-pss-default", "openssl-pss-saltlen-max", "openssl-pss-saltlen-digest",
                "openssl-pss-saltlen-0", "openssl-pss-saltlen-32", "sdk-imagesigner")


def _cases() -> list[PeerSig]:
    out = []
    for key, spec in pl.MAIN_KEYS.items():
        for h in pl.HASH_METHODS:
            variants = RSA_VARIANTS if spec.kind == "rsa" else ("openssl",)
            out += [PeerSig(key, h, v) for v in variants]
    # A 20 MB image and empty images, through a few signers.
    out += [
        PeerSig("rsa2048", "SHA-256", "openssl-pss-default", "large"),
        PeerSig("rsa4096", "SHA-384", "sdk-imagesigner", "large"),
        PeerSig("p521", "SHA-512", "openssl", "large"),
        PeerSig("dsa3072", "SHA-224", "openssl", "large"),
        PeerSig("rsa2048", "SHA-256", "openssl-pss-saltlen-max", "empty"),
        PeerSig("rsa2048", "SHA-512", "sdk-imagesigner", "empty"),
        PeerSig("p384", "SHA-384", "openssl", "empty"),
        PeerSig("dsa2048", "SHA-256", "openssl", "empty"),
        PeerSig("p521", "SHA-224", "openssl", "one-byte"),
    ]
    return out


CASES = _cases()


def _expected_salt(c: PeerSig, key_bits: int) -> int | None:
    """The salt length the signer was asked for (None: OpenSSL's default, checked separately)."""
    mx = pl.pss_max_salt(key_bits, c.hash_method)
    return {
        "openssl-pss-default": None,
        "openssl-pss-saltlen-max": mx,
        "sdk-imagesigner": mx,
        "openssl-pss-saltlen-digest": pl.HASH_LEN[c.hash_method],
        "openssl-pss-saltlen-0": 0,
        "openssl-pss-saltlen-32": 32,
    }[c.signer]


def _material(mat, c: PeerSig):
    def make():
        if c.signer == "sdk-imagesigner":
            sig = mat.sdk_sig(c.key, c.hash_method, c.image)
        else:
            sig = mat.openssl_sig(c.key, c.hash_method, _openssl_opts(c.signer, c.hash_method),
                                  c.image)
        props = pl.props(pl.b64(sig), c.hash_method, pl.MAIN_KEYS[c.key].key_type)
        return sig, props, mat.props_file("peer-" + c.id, props)

    return mat.memo(("peer-case", c), make)


@pytest.mark.peer
@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_cursive_accepts_peer_signature(mat, c):
    sig, props, _ = _material(mat, c)
    ok, msg = pl.cursive_verdict(props, mat.cert_file(c.key), mat.image(c.image))
    assert ok, msg
    key = mat.key(c.key)
    if pl.MAIN_KEYS[c.key].kind == "rsa":
        salt = pl.pss_salt_length(sig, key.public_key(), c.hash_method,
                                  mat.image(c.image).read_bytes())
        assert salt is not None, "not a PSS signature with MGF1 of the same hash"
        want = _expected_salt(c, key.key_size)
        if want is not None:
            assert salt == want


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_glance_sig_verifies_peer_signature(mat, gs, c):
    sig, props, props_path = _material(mat, c)
    r = gs(*pl.verify_args(mat.image(c.image), mat.cert_file(c.key), props_path, "--json"))
    assert r.returncode == 0, r.describe()
    doc = r.json()
    pl.check_verify_doc(doc)
    assert doc["valid"] is True and doc["signature"]["valid"] is True, doc
    s = doc["signature"]
    assert s["key_type"] == props[pl.PROP_KEY_TYPE]
    assert s["hash_method"] == c.hash_method
    assert s["certificate_uuid"] == props[pl.PROP_CERT_UUID]
    assert doc["chain"] is None and doc["error"] is None
    key = mat.key(c.key)
    if pl.MAIN_KEYS[c.key].kind == "rsa":
        salt = pl.pss_salt_length(sig, key.public_key(), c.hash_method)
        mx = pl.pss_max_salt(key.key_size, c.hash_method)
        assert s["pss"] is not None, doc
        assert s["pss"]["salt_length"] == salt, (s["pss"], salt)
        assert s["pss"]["max_salt_length"] == mx, s["pss"]
        assert s["pss"]["accepted_by_older_clouds"] is (salt == mx), s["pss"]
    else:
        assert s["pss"] is None, s


@pytest.mark.parametrize("c", [c for c in CASES if c.image == "small"][:: 7], ids=lambda c: c.id)
def test_glance_sig_exit_code_without_json(mat, gs, c):
    """Plain (human) mode gives the same exit code as --json."""
    _, _, props_path = _material(mat, c)
    r = gs(*pl.verify_args(mat.image(c.image), mat.cert_file(c.key), props_path))
    assert r.returncode == 0, r.describe()
