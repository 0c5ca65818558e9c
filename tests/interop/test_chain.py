"""Nova's certificate validation (trusted certificate ids): glance-sig's `--trusted ... --at ...`
gives the same verdict as cursive.certificate_utils.CertificateVerificationContext at the same
instant (oslo_utils.timeutils.set_time_override). The image is always correctly signed by the
leaf's key, so glance-sig's exit code is 0 exactly when cursive accepts the chain."""

from __future__ import annotations

import dataclasses
from typing import Callable

import pytest

import peerlib as pl
from peerlib import dt

CHAIN_CODES = {"certificate-expired", "certificate-not-yet-valid", "issuer-not-found",
               "path-length-exceeded", "issuer-missing-basic-constraints", "chain-loop",
               "issuer-key-unsupported"}
# Codes that fit an issuer that exists but may not sign certificates (no code for keyUsage is
# documented; cursive itself just reports the issuer as not found).
UNUSABLE_ISSUER = {"issuer-not-found", "issuer-missing-basic-constraints",
                   "issuer-missing-key-usage"}

ROOT_CN = "Interop Root CA"
INTER_CN = "Interop Intermediate CA"


def root(mat, **over):
    args = dict(subject_cn=ROOT_CN, subject_key=mat.key("ca-root-rsa"), ca=True,
                not_before=dt(2025), not_after=dt(2035))
    args.update(over)
    return mat.memo(("root", tuple(sorted(over.items()))), lambda: pl.make_cert(**args))


def inter(mat, **over):
    args = dict(subject_cn=INTER_CN, subject_key=mat.key("ca-inter-p384"), issuer_cn=ROOT_CN,
                issuer_key=mat.key("ca-root-rsa"), ca=True, not_before=dt(2026),
                not_after=dt(2034))
    args.update(over)
    return mat.memo(("inter", tuple(sorted(over.items()))), lambda: pl.make_cert(**args))


def leaf(mat, key, issuer_cn=INTER_CN, issuer_key="ca-inter-p384", **over):
    args = dict(subject_cn=f"Interop leaf {key}", subject_key=mat.key(key), issuer_cn=issuer_cn,
                issuer_key=mat.key(issuer_key), ca=False, not_before=dt(2029),
                not_after=dt(2031))
    args.update(over)
    return mat.memo(("leaf", key, issuer_cn, issuer_key, tuple(sorted(over.items()))),
                    lambda: pl.make_cert(**args))


@dataclasses.dataclass(frozen=True)
class Chain:
    id: str
    cursive_ok: bool
    codes: frozenset  # chain.error.code values accepted when invalid
    build: Callable  # mat -> (leaf key name, leaf cert, [trusted certs])
    depth: int | None = None  # expected len(chain.path) when valid


def ch(id, ok, codes, build, depth=None) -> Chain:
    return Chain(id, ok, frozenset(codes), build, depth)


def _cases() -> list[Chain]:
    c: list[Chain] = []
    for k in pl.MAIN_KEYS:
        c.append(ch(f"good-{k}", True, (), lambda m, k=k: (k, leaf(m, k), [root(m), inter(m)]), 3))
    c += [
        ch("good-leaf-signed-by-root", True, (), lambda m: (
            "p384", leaf(m, "p384", ROOT_CN, "ca-root-rsa"), [root(m)]), 2),
        ch("good-trusted-order-and-unrelated-ca", True, (), lambda m: (
            "rsa2048", leaf(m, "rsa2048"),
            [inter(m), pl.make_cert(subject_cn="Unrelated CA", subject_key=m.key("ca-root2-rsa"),
                                    ca=True), root(m)]), 3),
        ch("good-intermediate-pathlen-0", True, (), lambda m: (
            "rsa2048", leaf(m, "rsa2048"), [root(m), inter(m, path_length=0)]), 3),
        ch("good-root-pathlen-1", True, (), lambda m: (
            "rsa2048", leaf(m, "rsa2048"), [root(m, path_length=1), inter(m)]), 3),
        ch("good-leaf-not-after-is-now", True, (), lambda m: (
            "rsa2048", leaf(m, "rsa2048", not_after=pl.CHAIN_NOW), [root(m), inter(m)]), 3),
        ch("good-leaf-not-before-is-now", True, (), lambda m: (
            "rsa2048", leaf(m, "rsa2048", not_before=pl.CHAIN_NOW), [root(m), inter(m)]), 3),
        ch("leaf-expired", False, {"certificate-expired"}, lambda m: (
            "rsa2048", leaf(m, "rsa2048", not_after=dt(2029, 12, 31, 23, 59, 59)),
            [root(m), inter(m)])),
        ch("leaf-not-yet-valid", False, {"certificate-not-yet-valid"}, lambda m: (
            "rsa2048", leaf(m, "rsa2048", not_before=dt(2030, 1, 1, 0, 0, 1)),
            [root(m), inter(m)])),
        ch("intermediate-expired", False, {"certificate-expired", "issuer-not-found"}, lambda m: (
            "p384", leaf(m, "p384"), [root(m), inter(m, not_after=dt(2029, 6, 1))])),
        ch("intermediate-not-yet-valid", False, {"certificate-not-yet-valid", "issuer-not-found"},
           lambda m: ("p384", leaf(m, "p384"), [root(m), inter(m, not_before=dt(2030, 6, 1))])),
        ch("root-expired", False, {"certificate-expired", "issuer-not-found"}, lambda m: (
            "p384", leaf(m, "p384"), [root(m, not_after=dt(2029, 1, 1)), inter(m)])),
        ch("missing-intermediate", False, {"issuer-not-found"}, lambda m: (
            "rsa2048", leaf(m, "rsa2048"), [root(m)])),
        # cursive must reach a trusted self-signed certificate: an intermediate alone won't do.
        ch("only-intermediate-trusted", False, {"issuer-not-found"}, lambda m: (
            "rsa2048", leaf(m, "rsa2048"), [inter(m)])),
        ch("intermediate-ca-false", False, UNUSABLE_ISSUER, lambda m: (
            "rsa2048", leaf(m, "rsa2048"), [root(m), inter(m, ca=False, key_usage="ca")])),
        ch("intermediate-no-basic-constraints", False, UNUSABLE_ISSUER, lambda m: (
            "rsa2048", leaf(m, "rsa2048"), [root(m), inter(m, ca=None, key_usage="ca")])),
        ch("intermediate-no-keycertsign", False, UNUSABLE_ISSUER, lambda m: (
            "rsa2048", leaf(m, "rsa2048"), [root(m), inter(m, key_usage="ca-no-certsign")])),
        ch("intermediate-no-key-usage", False, UNUSABLE_ISSUER, lambda m: (
            "rsa2048", leaf(m, "rsa2048"), [root(m), inter(m, key_usage=None)])),
        ch("root-pathlen-0-with-intermediate", False, {"path-length-exceeded"}, lambda m: (
            "rsa2048", leaf(m, "rsa2048"), [root(m, path_length=0), inter(m)])),
        ch("forged-issuer", False, {"issuer-not-found"}, lambda m: (
            "rsa2048", leaf(m, "rsa2048", INTER_CN, "ca-forger-p384"), [root(m), inter(m)])),
        ch("self-signed-leaf-not-trusted", False, {"issuer-not-found"}, lambda m: (
            "rsa2048", m.cert_obj("rsa2048"), [root(m), inter(m)])),
        ch("self-signed-ca-leaf-trusted", True, (), lambda m: (
            "p521", _self_ca(m, "p521"), [_self_ca(m, "p521")])),
        ch("self-signed-ca-leaf-trusted-among-others", True, (), lambda m: (
            "dsa2048", _self_ca(m, "dsa2048"), [root(m), inter(m), _self_ca(m, "dsa2048")])),
        # A trusted self-signed certificate that is no CA cannot vouch even for itself in cursive.
        ch("self-signed-non-ca-leaf-trusted", False, UNUSABLE_ISSUER, lambda m: (
            "rsa2048", m.cert_obj("rsa2048"), [m.cert_obj("rsa2048")])),
        # cursive checks certificate signatures of RSA issuers as PKCS#1 v1.5 only.
        ch("leaf-signed-rsa-pss-by-root", False, {"issuer-not-found"}, lambda m: (
            "p384", leaf(m, "p384", ROOT_CN, "ca-root-rsa", rsa_pss=True), [root(m)])),
        # An Ed25519 issuer makes cursive raise (TypeError in its verifier): rejected.
        ch("ed25519-intermediate", False, {"issuer-key-unsupported"}, lambda m: (
            "rsa2048", leaf(m, "rsa2048", "Interop Ed25519 CA", "ca-inter-ed25519"),
            [root(m), _ed_inter(m)])),
        # An Ed25519 root in the trusted set, the leaf's issuer: cursive raises TypeError too.
        ch("ed25519-root", False, {"issuer-key-unsupported"}, lambda m: (
            "p384", leaf(m, "p384", "Interop Ed25519 root", "ca-inter-ed25519"),
            [root(m), _ed_root(m)])),
        # An Ed25519 root whose name is no issuer's is never looked at: the chain is valid.
        ch("ed25519-root-unrelated", True, (), lambda m: (
            "p384", leaf(m, "p384", ROOT_CN, "ca-root-rsa"), [_ed_root(m), root(m)])),
    ]
    return c


def _self_ca(mat, key):
    return mat.memo(("self-ca", key), lambda: pl.make_cert(
        subject_cn=f"Interop self-signed CA leaf {key}", subject_key=mat.key(key), ca=True))


def _ed_root(mat):
    return mat.memo("ed-root", lambda: pl.make_cert(
        subject_cn="Interop Ed25519 root", subject_key=mat.key("ca-inter-ed25519"), ca=True,
        not_before=dt(2025), not_after=dt(2035)))


def _ed_inter(mat):
    return mat.memo("ed-inter", lambda: pl.make_cert(
        subject_cn="Interop Ed25519 CA", subject_key=mat.key("ca-inter-ed25519"),
        issuer_cn=ROOT_CN, issuer_key=mat.key("ca-root-rsa"), ca=True, not_before=dt(2026),
        not_after=dt(2034)))


CASES = _cases()


def _material(mat, c: Chain):
    def make():
        key, leaf_cert, trusted = c.build(mat)
        d = mat.path("chains", c.id)
        leaf_path = pl.write(d / "leaf.pem", pl.cert_pem(leaf_cert))
        trusted_paths = [pl.write(d / f"trusted-{i}.pem", pl.cert_pem(t))
                         for i, t in enumerate(trusted)]
        props = pl.props(pl.b64(mat.good_sig(key)), "SHA-256", pl.MAIN_KEYS[key].key_type)
        props_path = mat.props_file("chain-" + c.id, props)
        return key, leaf_cert, leaf_path, trusted_paths, props, props_path

    return mat.memo(("chain", c.id), make)


@pytest.mark.peer
@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_cursive_chain_verdict(mat, c):
    key, _, leaf_path, trusted_paths, props, _ = _material(mat, c)
    ok, msg = pl.cursive_chain_verdict(leaf_path, trusted_paths)
    assert ok == c.cursive_ok, msg
    # The image signature itself is good: only the chain decides.
    sig_ok, sig_msg = pl.cursive_verdict(props, leaf_path, mat.image())
    assert sig_ok, sig_msg


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.id)
def test_glance_sig_chain_agrees_with_cursive(mat, gs, c):
    key, leaf_cert, leaf_path, trusted_paths, props, props_path = _material(mat, c)
    ok, msg = pl.cursive_chain_verdict(leaf_path, trusted_paths)
    args = pl.verify_args(mat.image(), leaf_path, props_path)
    for t in trusted_paths:
        args += ["--trusted", t]
    r = gs(*args, "--at", pl.CHAIN_NOW_RFC3339, "--json")
    assert r.returncode == (0 if ok else 1), f"cursive: {ok} {msg}\n{r.describe()}"
    doc = r.json()
    pl.check_verify_doc(doc)
    assert doc["signature"]["valid"] is True, doc
    chain = doc["chain"]
    assert chain is not None, doc
    assert chain["valid"] is ok, (chain, msg)
    assert doc["valid"] is ok
    if ok:
        assert chain["error"] is None, chain
        assert any(f"Interop leaf {key}" in s or "self-signed CA leaf" in s
                   for s in chain["path"]), chain["path"]
        if c.depth is not None:
            assert len(chain["path"]) == c.depth, chain["path"]
        if c.depth == 3:
            assert any(ROOT_CN in s for s in chain["path"]), chain["path"]
    else:
        assert chain["error"] is not None, chain
        assert chain["error"]["code"] in c.codes, (chain["error"], sorted(c.codes), msg)


@pytest.mark.parametrize("c", [x for x in CASES if not x.cursive_ok], ids=lambda c: c.id)
def test_glance_sig_chain_cursive_message(mat, gs, c):
    """Where glance-sig quotes cursive (chain.error.cursive_message), the quote is exact. Skipped
    for cursive texts that name a trusted certificate's Barbican id (glance-sig has files) and
    for non-cursive exceptions."""
    _, _, leaf_path, trusted_paths, _, props_path = _material(mat, c)
    o = pl.cursive_chain_outcome(leaf_path, trusted_paths)
    args = pl.verify_args(mat.image(), leaf_path, props_path)
    for t in trusted_paths:
        args += ["--trusted", t]
    err = gs(*args, "--at", pl.CHAIN_NOW_RFC3339, "--json").json()["chain"]["error"]
    if "cursive_message" not in err:
        pytest.skip("glance-sig gives no cursive_message for chain errors")
    if o.exc_type == "TypeError":
        # cursive crashed: the quote says so instead of inventing a refusal.
        assert "TypeError" in err["cursive_message"] and "no message" in err["cursive_message"], err
        return
    if o.exc_type != "SignatureVerificationError" or "'" in o.message:
        pytest.skip(f"cursive's text is not reproducible from files: {o.message}")
    assert err["cursive_message"] == o.message, err


def test_chain_valid_at_other_instant(mat, gs):
    """--at really moves the clock: the expired-leaf chain is fine in mid-2029."""
    c = next(x for x in CASES if x.id == "leaf-expired")
    key, _, leaf_path, trusted_paths, _, props_path = _material(mat, c)
    at = pl.dt(2029, 7, 1)
    ok, msg = pl.cursive_chain_verdict(leaf_path, trusted_paths, now=at)
    assert ok, msg
    args = pl.verify_args(mat.image(), leaf_path, props_path)
    for t in trusted_paths:
        args += ["--trusted", t]
    r = gs(*args, "--at", "2029-07-01T00:00:00Z", "--json")
    assert r.returncode == 0, r.describe()
    assert r.json()["chain"]["valid"] is True


@pytest.mark.parametrize("case_id", ["good-rsa2048", "missing-intermediate",
                                     "root-pathlen-0-with-intermediate"])
def test_trusted_pem_bundle(mat, gs, case_id):
    """One --trusted file holding several PEM certificates counts as all of them."""
    c = next(x for x in CASES if x.id == case_id)
    _, _, leaf_path, trusted_paths, _, props_path = _material(mat, c)
    ok, msg = pl.cursive_chain_verdict(leaf_path, trusted_paths)
    bundle = pl.write(mat.path("chains", c.id, "bundle.pem"),
                      b"".join(p.read_bytes() for p in trusted_paths))
    r = gs(*pl.verify_args(mat.image(), leaf_path, props_path), "--trusted", bundle,
           "--at", pl.CHAIN_NOW_RFC3339, "--json")
    assert r.returncode == (0 if ok else 1), f"cursive: {ok} {msg}\n{r.describe()}"
    assert r.json()["chain"]["valid"] is ok


# --- a loop between two CAs -------------------------------------------------------------------


def _loop_material(mat):
    def make():
        a_key, b_key = mat.key("ca-loop-a"), mat.key("ca-loop-b")
        a = pl.make_cert(subject_cn="Loop CA A", subject_key=a_key, issuer_cn="Loop CA B",
                         issuer_key=b_key, ca=True)
        b = pl.make_cert(subject_cn="Loop CA B", subject_key=b_key, issuer_cn="Loop CA A",
                         issuer_key=a_key, ca=True)
        lf = leaf(mat, "p384", "Loop CA A", "ca-loop-a")
        d = mat.path("chains", "loop")
        paths = [pl.write(d / "a.pem", pl.cert_pem(a)), pl.write(d / "b.pem", pl.cert_pem(b))]
        leaf_path = pl.write(d / "leaf.pem", pl.cert_pem(lf))
        props = pl.props(pl.b64(mat.good_sig("p384")), "SHA-256", "ECC_SECP384R1")
        return leaf_path, paths, mat.props_file("chain-loop", props)

    return mat.memo("loop", make)


@pytest.mark.peer
def test_cursive_never_returns_on_a_ca_loop(mat):
    """cursive's chain builder has no loop check: A issued by B, B by A, both trusted -> it spins
    (growing its chain list) forever. Nova would hang in the boot request."""
    good = next(x for x in CASES if x.id == "good-p384")
    _, _, good_leaf, good_trusted, _, _ = _material(mat, good)
    # Control: the child process answers in time on a good chain.
    assert pl.cursive_chain_verdict_subprocess(good_leaf, good_trusted, timeout=20) == (True, "OK")
    leaf_path, trusted, _ = _loop_material(mat)
    assert pl.cursive_chain_verdict_subprocess(leaf_path, trusted, timeout=4) is None


def test_glance_sig_rejects_a_ca_loop(mat, gs):
    leaf_path, trusted, props_path = _loop_material(mat)
    args = pl.verify_args(mat.image(), leaf_path, props_path)
    for t in trusted:
        args += ["--trusted", t]
    r = gs(*args, "--at", pl.CHAIN_NOW_RFC3339, "--json", timeout=30)
    assert r.returncode == 1, r.describe()
    doc = r.json()
    pl.check_verify_doc(doc)
    assert doc["chain"]["valid"] is False
    assert doc["chain"]["error"]["code"] == "chain-loop", doc["chain"]


# --- the self-signed signing certificate given as the trusted certificate --------------------


def test_self_signed_signing_certificate_as_anchor_names_the_cause(mat, gs):
    """--trusted with the (self-signed, not a CA) signing certificate itself: cursive says only
    that the issuer was not found; glance-sig names the cause: Nova uses a trusted certificate
    only as an issuer, and skips this one as it is not a CA."""
    cert = mat.cert_file("rsa2048")
    ok, msg = pl.cursive_chain_verdict(cert, [cert])
    assert not ok, msg
    props = mat.props_file("self-signed-anchor",
                           pl.props(pl.b64(mat.good_sig("rsa2048")), "SHA-256", "RSA-PSS"))
    args = pl.verify_args(mat.image(), cert, props, "--trusted", cert)
    r = gs(*args, "--json")
    assert r.returncode == 1, r.describe()
    doc = r.json()
    assert doc["signature"]["valid"] is True, doc
    error = doc["chain"]["error"]
    assert error["code"] == "issuer-not-found", error
    cause = ("the certificate itself is trusted, but Nova uses a trusted certificate only as an "
             "issuer, which must be a CA with keyUsage keyCertSign, and skips this one (not a CA "
             "(basicConstraints CA:FALSE))")
    assert cause in error["message"], error
    assert cause in doc["trust"]["message"], doc["trust"]
    text = gs(*args)
    assert text.returncode == 1, text.describe()
    trust_line = next(line for line in text.out.splitlines() if "Trust:" in line)
    assert cause in trust_line, text.out
    assert "trust the CA that issued it" in trust_line, text.out
