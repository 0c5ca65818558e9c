"""Every command, every file it reads, every class of hostile input: garbage, empty,
truncated, huge, deeply nested, NUL bytes, multi-byte characters cut at every point, terminal
control sequences. The outcome is always an exit code the help documents (0 to 3; never
101, never a signal), a clear error on stderr when the input is refused, and no raw control
character in any output. Cloud commands get a hostile clouds.yaml (and hostile values in a
valid one) and a closed port, so they fail before or at the network, never by crashing."""

from __future__ import annotations

import json
import socket

import pytest

import peerlib as pl

UUID = "c0ffee00-0000-4000-8000-00000000beef"
EVIL = pl.EVIL
DOCUMENTED = {0, 1, 2, 3}


def hostile_payloads(mat) -> dict[str, bytes]:
    """The classes of hostile bytes, each built from a real file where truncation matters."""
    def make():
        cert = mat.cert_file("rsa2048").read_bytes()
        key = mat.key_file("rsa2048").read_bytes()
        props = json.dumps(pl.props(pl.b64(mat.good_sig("rsa2048")), "SHA-256", "RSA-PSS",
                                    UUID)).encode()
        return {
            "garbage": bytes(range(256)) * 64,
            "empty": b"",
            "cert-truncated": cert[: len(cert) * 2 // 3],
            "key-truncated": key[: len(key) // 3],
            "props-truncated": props[: len(props) // 2],
            "huge": b"A" * (8 << 20),
            "nested-json": b"[" * 100_000 + b"]" * 100_000,
            "nested-object": b'{"properties":' * 50_000 + b"{}" + b"}" * 50_000,
            "nested-yaml": b"clouds:\n" + b"".join(b" " * (i + 2) + b"a:\n" for i in range(2000)),
            "nul-bytes": b"\0" * 4096 + cert,
            "nul-in-pem": cert.replace(b"\n", b"\n\0", 3),
            "controls": EVIL.encode() * 50,
            "json-controls": json.dumps({"img_signature": EVIL, "img_signature_hash_method": EVIL,
                                         "img_signature_key_type": EVIL,
                                         "img_signature_certificate_uuid": EVIL}).encode(),
            "yaml-controls": ("clouds:\n  x:\n    auth:\n      auth_url: 'http://h" + EVIL
                              + "'\n      username: '" + EVIL + "'\n").encode(),
            "invalid-utf8": b'{"img_signature": "\xc3\x28\xf0\x28\x8c"}',
            "yaml-bomb": b"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
                         b"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
                         b"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
                         b"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
                         b"clouds: {x: {auth: {auth_url: *h}}}\n",
        }
    return mat.memo("hostile-payloads", make)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def judge(r, what):
    assert r.returncode in DOCUMENTED, f"{what}: exit {r.returncode}\n{r.describe()}"
    assert "panicked" not in r.err and "RUST_BACKTRACE" not in r.err, f"{what}\n{r.describe()}"
    pl.assert_no_raw_controls(r, what)
    if r.returncode == 2:
        assert "error" in r.err, f"{what}: refused without saying why\n{r.describe()}"
        assert not r.stdout.strip() or r.stdout.lstrip().startswith(b"{"), r.describe()


def commands(mat, bad, cloud_env):
    """(label, argv, env) for every command and file argument, with `bad` in that place."""
    img, cert, key = mat.image(), mat.cert_file("rsa2048"), mat.key_file("rsa2048")
    props = mat.props_file("hostile-good", pl.props(pl.b64(mat.good_sig("rsa2048")), "SHA-256",
                                                    "RSA-PSS", UUID))
    sign = ["sign", "--image", img, "--hash-method", "SHA-256", "--cert-uuid", UUID]
    yield "sign --key", [*sign, "--key", bad, "--cert", cert], {}
    yield "sign --cert", [*sign, "--key", key, "--cert", bad], {}
    yield "sign --passphrase-file", [*sign, "--key", mat.key_file("rsa2048", "pkcs8-enc"),
                                     "--cert", cert, "--passphrase-file", bad], {}
    yield "verify --cert", pl.verify_args(img, bad, props), {}
    yield "verify --properties", pl.verify_args(img, cert, bad), {}
    yield "verify --properties --json", pl.verify_args(img, cert, bad, "--json"), {}
    yield "verify --trusted", [*pl.verify_args(img, cert, props), "--trusted", bad], {}
    yield "inspect", ["inspect", bad], {}
    yield "inspect --json", ["inspect", bad, "--json"], {}
    # The file as a shard's audit report.
    yield "audit-merge", ["audit-merge", bad], {}
    yield "audit-merge --json", ["audit-merge", "--json", bad, bad], {}
    # The cloud commands: the file as clouds.yaml, and as the CA bundle of a valid one.
    for label, argv in (
        ("upload", ["upload", "--image", img, "--key", key, "--cert", cert, "--hash-method",
                    "SHA-256", "--name", "hostile"]),
        ("audit", ["audit"]),
        ("verify --image-id", ["verify", "--image-id", UUID]),
    ):
        yield f"{label} (clouds.yaml)", [*argv, "--os-cloud", "x"], {"OS_CLIENT_CONFIG_FILE": bad}
        yield f"{label} (--os-cacert)", [*argv, "--os-cloud", "ok", "--os-cacert", bad], cloud_env


@pytest.fixture(scope="module")
def cloud_env(mat):
    """A valid clouds.yaml whose Keystone is a closed port (https, so a CA file is read)."""
    port = closed_port()
    path = pl.write(mat.path("hostile", "clouds.yaml"),
                    f"clouds:\n  ok:\n    auth:\n      auth_url: https://127.0.0.1:{port}/v3\n"
                    "      username: u\n      password: p\n      project_name: p\n"
                    "      user_domain_name: Default\n      project_domain_name: Default\n")
    return {"OS_CLIENT_CONFIG_FILE": str(path)}


@pytest.mark.parametrize("payload", ["garbage", "empty", "cert-truncated", "key-truncated",
                                     "props-truncated", "huge", "nested-json", "nested-object",
                                     "nested-yaml", "nul-bytes", "nul-in-pem", "controls",
                                     "json-controls", "yaml-controls", "invalid-utf8",
                                     "yaml-bomb"])
def test_every_command_survives(mat, gs, cloud_env, payload):
    bad = pl.write(mat.path("hostile", "input", payload), hostile_payloads(mat)[payload])
    for label, argv, env in commands(mat, bad, cloud_env):
        judge(gs(*argv, env=env, timeout=60), f"{label} <- {payload}")


@pytest.mark.parametrize("char", ["é", "€", "😀"], ids=["2-byte", "3-byte", "4-byte"])
def test_multibyte_characters_cut_at_every_point(mat, gs, char):
    """A property value with a multi-byte character at every offset around every place the
    output shortens a value (inspect shows 60 characters, errors quote 80)."""
    for at in [*range(54, 64), *range(74, 84)]:
        value = "a" * at + char * 3 + "b" * 40
        path = mat.props_file(f"mb-{at}-{len(char.encode())}",
                              {"img_signature": value, "img_signature_hash_method": value,
                               "img_signature_key_type": value,
                               "img_signature_certificate_uuid": value, "name": value})
        for argv in (["inspect", path],
                     pl.verify_args(mat.image(), mat.cert_file("rsa2048"), path)):
            judge(gs(*argv), f"{argv[0]} with {char!r} at {at}")


def test_hostile_values_in_a_valid_clouds_yaml_are_escaped(mat, gs):
    path = pl.write(mat.path("hostile", "evil-clouds.yaml"),
                    "clouds:\n  evil:\n    auth:\n      auth_url: \"http://127.0.0.1:"
                    f"{closed_port()}/{EVIL}\"\n      username: \"{EVIL}\"\n"
                    f"      password: p\n      project_name: \"{EVIL}\"\n"
                    f"    region_name: \"{EVIL}\"\n")
    for argv in (["audit", "--os-cloud", "evil"], ["audit", "--os-cloud", f"evil{EVIL}"],
                 ["verify", "--image-id", UUID, "--os-cloud", "evil"]):
        r = gs(*argv, env={"OS_CLIENT_CONFIG_FILE": str(path)}, timeout=60)
        judge(r, " ".join(argv))
        assert r.returncode in (2, 3), r.describe()
