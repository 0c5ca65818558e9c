"""Unreadable, malformed and hostile inputs: exit 2 (usage / bad file), never a panic; and the
inputs that look odd but are valid data (an empty image, a 10 MB property) get cursive's verdict."""

from __future__ import annotations

import pytest

import peerlib as pl

CERT_UUID = "c0ffee00-0000-4000-8000-000000000001"
GARBAGE = bytes(range(256)) * 8 + b"\xff\xfe\x00garbage"


def _files(mat):
    """Bad files, written once."""

    def make():
        d = mat.path("bad")
        cert_pem = mat.cert_file("rsa2048").read_bytes()
        key_pem = mat.key_file("rsa2048").read_bytes()
        return {
            "empty": pl.write(d / "empty", b""),
            "garbage": pl.write(d / "garbage.bin", GARBAGE),
            "truncated-cert-pem": pl.write(d / "truncated-cert.pem", cert_pem[: len(cert_pem) // 2]),
            "cert-pem-body-cut": pl.write(
                d / "cert-body-cut.pem",
                cert_pem[:200] + b"\n-----END CERTIFICATE-----\n"),
            "truncated-key-pem": pl.write(d / "truncated-key.pem", key_pem[: len(key_pem) // 2]),
            "key-pem-body-cut": pl.write(
                d / "key-body-cut.pem", key_pem[:300] + b"\n-----END PRIVATE KEY-----\n"),
            "pem-wrong-label": pl.write(d / "wrong-label.pem", cert_pem.replace(
                b"CERTIFICATE", b"PRIVATE KEY")),
            "json-binary-junk": pl.write(d / "junk.json", b"\x00\x01\x02{\xff\xfe}\x80" * 64),
            "json-truncated": pl.write(d / "trunc.json", b'{"img_signature": "abc", "img_sig'),
            "json-array": pl.write(d / "array.json", b'["img_signature", "SHA-256"]'),
            "json-string": pl.write(d / "string.json", b'"img_signature"'),
            "json-invalid-utf8": pl.write(d / "badutf8.json", b'{"img_signature": "\xc3\x28"}'),
            "missing": d / "does-not-exist",
            "directory": d,
        }

    return mat.memo("bad-files", make)


def _good(mat):
    def make():
        sig = mat.good_sig("rsa2048")
        props = pl.props(pl.b64(sig), "SHA-256", "RSA-PSS", CERT_UUID)
        return props, mat.props_file("bad-good", props)

    return mat.memo("bad-good", make)


VERIFY_BAD = [
    # (id, which argument, bad file)
    ("cert-empty", "cert", "empty"), ("cert-garbage", "cert", "garbage"),
    ("cert-truncated-pem", "cert", "truncated-cert-pem"),
    ("cert-pem-body-cut", "cert", "cert-pem-body-cut"),
    ("cert-is-a-key", "cert", "pem-wrong-label"), ("cert-missing", "cert", "missing"),
    ("cert-directory", "cert", "directory"),
    ("properties-empty", "properties", "empty"),
    ("properties-binary-junk", "properties", "json-binary-junk"),
    ("properties-truncated-json", "properties", "json-truncated"),
    ("properties-json-array", "properties", "json-array"),
    ("properties-json-string", "properties", "json-string"),
    ("properties-invalid-utf8", "properties", "json-invalid-utf8"),
    ("properties-missing", "properties", "missing"),
    ("image-missing", "image", "missing"), ("image-directory", "image", "directory"),
    ("trusted-garbage", "trusted", "garbage"), ("trusted-empty", "trusted", "empty"),
    ("trusted-missing", "trusted", "missing"),
]


@pytest.mark.parametrize("which,bad", [(w, b) for _, w, b in VERIFY_BAD],
                         ids=[i for i, _, _ in VERIFY_BAD])
@pytest.mark.parametrize("json_flag", [True, False], ids=["json", "plain"])
def test_verify_bad_input_exit_2(mat, gs, which, bad, json_flag):
    files = _files(mat)
    _, props_path = _good(mat)
    args = {"image": mat.image(), "cert": mat.cert_file("rsa2048"), "properties": props_path}
    extra = []
    if which == "trusted":
        extra = ["--trusted", files[bad]]
    else:
        args[which] = files[bad]
    argv = pl.verify_args(args["image"], args["cert"], args["properties"], *extra)
    r = gs(*argv, *(["--json"] if json_flag else []))
    assert r.returncode == 2, r.describe()
    assert r.err.strip(), "a message on stderr"


SIGN_BAD = [("key-empty", "key", "empty"), ("key-garbage", "key", "garbage"),
            ("key-truncated-pem", "key", "truncated-key-pem"),
            ("key-pem-body-cut", "key", "key-pem-body-cut"),
            ("key-missing", "key", "missing"), ("key-is-a-directory", "key", "directory"),
            ("key-is-a-certificate", "key", "cert"),
            ("image-missing", "image", "missing"), ("image-directory", "image", "directory"),
            ("cert-garbage", "cert", "garbage"), ("cert-missing", "cert", "missing"),
            ("passphrase-file-missing", "passphrase", "missing")]


@pytest.mark.parametrize("which,bad", [(w, b) for _, w, b in SIGN_BAD],
                         ids=[i for i, _, _ in SIGN_BAD])
def test_sign_bad_input_exit_2(mat, gs, which, bad):
    files = dict(_files(mat), cert=mat.cert_file("rsa2048"))
    args = {"image": mat.image(), "key": mat.key_file("rsa2048")}
    extra = []
    if which == "cert":
        extra = ["--cert", files[bad]]
    elif which == "passphrase":
        args["key"] = mat.key_file("rsa2048", "pkcs8-enc")
        extra = ["--passphrase-file", files[bad]]
    else:
        args[which] = files[bad]
    r = gs("sign", "--image", args["image"], "--key", args["key"], "--cert-uuid", CERT_UUID,
           *extra)
    assert r.returncode == 2, r.describe()
    assert r.out.strip() == "", "no properties printed on failure"


USAGE = [
    ("no-subcommand", []),
    ("unknown-subcommand", ["frobnicate"]),
    ("verify-no-args", ["verify"]),
    ("sign-no-args", ["sign"]),
    ("sign-no-cert-uuid", ["sign", "--image", "IMG", "--key", "KEY"]),
    ("sign-bad-hash-method", ["sign", "--image", "IMG", "--key", "KEY", "--cert-uuid", CERT_UUID,
                              "--hash-method", "sha256"]),
    ("sign-hash-method-SHA-1", ["sign", "--image", "IMG", "--key", "KEY", "--cert-uuid",
                                CERT_UUID, "--hash-method", "SHA-1"]),
    ("verify-bad-at", ["verify", "--image", "IMG", "--cert", "CERT", "--properties", "PROPS",
                       "--at", "yesterday"]),
    ("inspect-no-args", ["inspect"]),
]


@pytest.mark.parametrize("argv", [a for _, a in USAGE], ids=[i for i, _ in USAGE])
def test_usage_errors_exit_2(mat, gs, argv):
    _, props_path = _good(mat)
    subst = {"IMG": mat.image(), "KEY": mat.key_file("rsa2048"), "CERT": mat.cert_file("rsa2048"),
             "PROPS": props_path}
    r = gs(*[subst.get(a, a) for a in argv])
    assert r.returncode == 2, r.describe()


@pytest.mark.parametrize("bad", ["garbage", "empty", "missing", "json-binary-junk"])
def test_inspect_bad_input_exit_2(mat, gs, bad):
    r = gs("inspect", _files(mat)[bad], "--json")
    assert r.returncode == 2, r.describe()


# --- odd but valid data -----------------------------------------------------------------------


@pytest.mark.parametrize("key_name", ["rsa2048", "p384", "dsa2048"])
def test_empty_image_sign_and_verify(mat, gs, key_name):
    r = gs("sign", "--image", mat.image("empty"), "--key", mat.key_file(key_name),
           "--cert-uuid", CERT_UUID)
    assert r.returncode == 0, r.describe()
    props = r.json()
    ok, msg = pl.cursive_verdict(props, mat.cert_file(key_name), mat.image("empty"))
    assert ok, msg
    props_path = pl.write_json(mat.path("props", f"empty-image-{key_name}.json"), props)
    v = gs(*pl.verify_args(mat.image("empty"), mat.cert_file(key_name), props_path, "--json"))
    assert v.returncode == 0, v.describe()
    # ... and the signature of the empty file does not verify a one-byte file, for both.
    ok1, _ = pl.cursive_verdict(props, mat.cert_file(key_name), mat.image("one-byte"))
    v1 = gs(*pl.verify_args(mat.image("one-byte"), mat.cert_file(key_name), props_path))
    assert not ok1 and v1.returncode == 1, v1.describe()


HUGE = 10 * 1024 * 1024


@pytest.mark.parametrize("prop", [pl.PROP_SIGNATURE, pl.PROP_HASH, pl.PROP_KEY_TYPE,
                                  pl.PROP_CERT_UUID])
def test_ten_megabyte_property_value(mat, gs, prop):
    """A 10 MB property value cannot come from a cloud (Glance's value column holds 64 KiB), so
    it is malformed input: exit 2, promptly, no crash, nothing echoed. (cursive itself would just
    reject it, or for the certificate id pass it on to Barbican.)"""

    def make():
        props, _ = _good(mat)
        props = dict(props)
        props[prop] = "A" * HUGE if prop == pl.PROP_SIGNATURE else "X" * HUGE
        return props, pl.write_json(mat.path("props", f"huge-{prop}.json"), props)

    props, path = mat.memo(("huge", prop), make)
    for extra in (["--json"], []):
        r = gs(*pl.verify_args(mat.image(), mat.cert_file("rsa2048"), path, *extra), timeout=60)
        assert r.returncode == 2, r.describe()
        assert len(r.stdout) + len(r.stderr) < 64 * 1024, "the 10 MB value is not echoed back"


def test_properties_with_extra_and_non_string_values(mat, gs):
    """Other image properties (numbers, lists, nulls) around the four are ignored."""
    props, _ = _good(mat)
    doc = dict(props, size=12345, tags=["a", "b"], kernel_id=None, min_ram=0, protected=False)
    path = pl.write_json(mat.path("props", "extra-values.json"), doc)
    r = gs(*pl.verify_args(mat.image(), mat.cert_file("rsa2048"), path, "--json"))
    assert r.returncode == 0, r.describe()


def test_der_certificate_accepted(mat, gs):
    """Barbican hands castellan DER; a DER certificate file verifies like the PEM one."""
    from cryptography.hazmat.primitives import serialization

    der = mat.cert_obj("p384").public_bytes(serialization.Encoding.DER)
    cert = pl.write(mat.path("certs", "p384.crt.der"), der)
    sig = mat.good_sig("p384")
    props = pl.props(pl.b64(sig), "SHA-256", "ECC_SECP384R1")
    path = mat.props_file("der-cert", props)
    assert pl.cursive_verdict(props, cert, mat.image())[0]
    r = gs(*pl.verify_args(mat.image(), cert, path, "--json"))
    assert r.returncode == 0, r.describe()
