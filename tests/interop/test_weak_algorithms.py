"""Weak algorithms that cursive, Glance and Nova still accept are named, never refused: an RSA
key under 2048 bits, DSA, SHA-224, and a certificate signed with SHA-1 in the chain. Signing
warns on stderr (the properties still come out, and cursive accepts them); verifying gives
cursive's verdict with a warning in the report. Fixtures are made here with cryptography and
OpenSSL (which still signs certificates with SHA-1); cursive's verdict is computed."""

from __future__ import annotations

import json

from cryptography.hazmat.primitives.asymmetric import rsa

import peerlib as pl

UUID = "8a1c3a52-1d2e-4c8b-9e77-0a5b3c2d1e0f"
AT = "2030-01-01T00:00:00Z"


def codes(doc) -> list[str]:
    return [w["code"] for w in doc["warnings"]]


def sign_and_judge(mat, gs, name, key_path, cert_path, hash_method):
    """glance-sig signs; cursive and glance-sig verify; returns (sign run, verify report)."""
    s = gs("sign", "--image", mat.image("small"), "--key", key_path, "--cert", cert_path,
           "--hash-method", hash_method, "--cert-uuid", UUID)
    assert s.returncode == 0, s.describe()
    props = json.loads(s.out)
    o = pl.cursive_outcome(props, cert_path, mat.image("small"))
    assert o.ok, f"cursive accepts what glance-sig signed with {name}: {o}"
    props_path = pl.write_json(mat.path("weak", f"{name}.json"), props)
    r = gs(*pl.verify_args(mat.image("small"), cert_path, props_path, "--json"))
    assert r.returncode == 0, r.describe()
    return s, r.json()


def test_an_rsa_key_under_2048_bits_is_named(mat, gs):
    key = rsa.generate_private_key(65537, 1024)
    key_path = pl.write(mat.path("weak", "rsa1024.key.pem"), pl.pem_pkcs8(key))
    cert = pl.write(mat.path("weak", "rsa1024.crt.pem"), pl.cert_pem(
        pl.make_cert(subject_cn="weak rsa1024", subject_key=key, ca=False)))
    s, doc = sign_and_judge(mat, gs, "rsa1024", key_path, cert, "SHA-256")
    assert "1024 bits" in s.err and "warning" in s.err, s.describe()
    assert codes(doc) == ["weak-rsa-key"], doc["warnings"]
    # A 2048-bit key has nothing to say.
    s, doc = sign_and_judge(mat, gs, "rsa2048", mat.key_file("rsa2048"), mat.cert_file("rsa2048"),
                            "SHA-256")
    assert "bits" not in s.err, s.describe()
    assert codes(doc) == [], doc["warnings"]


def test_dsa_and_sha224_are_named(mat, gs):
    s, doc = sign_and_judge(mat, gs, "dsa2048", mat.key_file("dsa2048"), mat.cert_file("dsa2048"),
                            "SHA-224")
    assert "FIPS 186-5" in s.err and "SHA-224" in s.err, s.describe()
    assert codes(doc) == ["weak-dsa", "weak-hash-sha224"], doc["warnings"]
    # What OpenSSL signs with DSA is named the same way when verifying.
    sig = pl.openssl_sign(mat.key_file("dsa2048"), mat.image("small"), "SHA-256")
    props = pl.props(pl.b64(sig), "SHA-256", "DSA", UUID)
    assert pl.cursive_outcome(props, mat.cert_file("dsa2048"), mat.image("small")).ok
    r = gs(*pl.verify_args(mat.image("small"), mat.cert_file("dsa2048"),
                           pl.write_json(mat.path("weak", "dsa-openssl.json"), props), "--json"))
    assert r.returncode == 0, r.describe()
    assert codes(r.json()) == ["weak-dsa"], r.out


def sha1_chain(mat):
    """A root CA and a leaf (the rsa2048 key), both signed by OpenSSL with SHA-1."""
    def make():
        d = mat.path("weak", "sha1", "x").parent
        root_key = pl.write(d / "root.key.pem", pl.pem_pkcs8(mat.key("ca-root2-rsa")))
        pl.openssl("req", "-x509", "-new", "-key", str(root_key), "-sha1", "-days", "36500",
                   "-subj", "/CN=SHA-1 Root CA", "-addext", "basicConstraints=critical,CA:TRUE",
                   "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", str(d / "root.pem"))
        pl.openssl("req", "-new", "-key", str(mat.key_file("rsa2048")), "-subj", "/CN=SHA-1 leaf",
                   "-out", str(d / "leaf.csr"))
        ext = pl.write(d / "leaf.ext", "basicConstraints=critical,CA:FALSE\n"
                                       "keyUsage=critical,digitalSignature\n")
        pl.openssl("x509", "-req", "-in", str(d / "leaf.csr"), "-CA", str(d / "root.pem"),
                   "-CAkey", str(root_key), "-CAcreateserial", "-sha1", "-days", "36500",
                   "-extfile", str(ext), "-out", str(d / "leaf.pem"))
        return d / "root.pem", d / "leaf.pem"
    return mat.memo(("sha1-chain",), make)


def test_sha1_in_the_chain_is_named_and_judged_as_cursive_does(mat, gs):
    root, leaf = sha1_chain(mat)
    sig = pl.openssl_sign(mat.key_file("rsa2048"), mat.image("small"), "SHA-256",
                          ["rsa_padding_mode:pss", "rsa_pss_saltlen:max"])
    props_path = pl.write_json(mat.path("weak", "sha1-chain.json"),
                               pl.props(pl.b64(sig), "SHA-256", "RSA-PSS", UUID))
    o = pl.cursive_chain_outcome(leaf, [root])
    r = gs(*pl.verify_args(mat.image("small"), leaf, props_path, "--json"),
           "--trusted", root, "--at", AT)
    doc = r.json()
    assert doc["valid"] is o.ok, f"cursive: {o}\n{r.describe()}"
    assert o.ok, f"cursive accepts a SHA-1 chain: {o}"
    notes = [w for w in doc["warnings"] if w["code"] == "sha1-in-chain"]
    assert len(notes) == 2, doc["warnings"]
    assert "SHA-1 leaf" in notes[0]["message"] and "SHA-1 Root CA" in notes[1]["message"], notes
    # Signing with the SHA-1 certificate warns too.
    s = gs("sign", "--image", mat.image("small"), "--key", mat.key_file("rsa2048"), "--cert", leaf,
           "--hash-method", "SHA-256", "--cert-uuid", UUID)
    assert s.returncode == 0 and "SHA-1" in s.err, s.describe()
