"""Seed a cloud with many small images through the Glance API, many requests at once, or delete
them again (bench/audit-scale.sh).

    seed_images.py seed --cloud NAME --count N --tag TAG [--threads T] [--size BYTES]
    seed_images.py delete --cloud NAME --tag TAG [--threads T]

Every image is named TAG-<n> and tagged TAG. --signed-percent of them are signed (RSA-2048 PSS
SHA-256, one certificate stored once in Barbican as castellan reads it, all four properties in
the create request, so Glance verifies each upload); of the rest a fifth is partially signed,
the others unsigned, with data, or, with --no-unsigned-data, records without data (queued: one
request each instead of two, to seed large catalogs quickly). Prints one JSON line: counts and
the seconds taken.
"""

import argparse
import base64
import concurrent.futures
import datetime
import json
import os
import random
import sys
import threading
import time

import openstack
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID


def connect(cloud):
    conn = openstack.connect(cloud=cloud)
    token = conn.session.get_token()
    glance = conn.image.get_endpoint().rstrip("/")
    if not glance.endswith("/v2"):
        glance += "/v2"
    barbican = conn.key_manager.get_endpoint().rstrip("/")
    if not barbican.endswith("/v1"):
        barbican += "/v1"
    return token, glance, barbican


_local = threading.local()


def session(token):
    # One connection pool per thread: requests.Session is not meant to be shared.
    if not hasattr(_local, "s"):
        _local.s = requests.Session()
        _local.s.headers["X-Auth-Token"] = token
    return _local.s


def certificate(barbican, token, tag):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"glance-sig scale {tag}")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    r = requests.post(
        f"{barbican}/secrets",
        headers={"X-Auth-Token": token},
        json={
            "name": f"glance-sig scale {tag}",
            "secret_type": "certificate",
            "payload_content_type": "application/octet-stream",
            "payload_content_encoding": "base64",
            "payload": base64.b64encode(pem).decode(),
        },
        timeout=60,
    )
    r.raise_for_status()
    return key, r.json()["secret_ref"].rsplit("/", 1)[-1]


def sign(key, data):
    sig = key.sign(
        data,
        padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.MAX_LENGTH),
        hashes.SHA256(),
    )
    return base64.b64encode(sig).decode()


def kind_of(n, signed_percent):
    # Spread evenly over n, so any prefix of the catalog has the same mix.
    if (n * signed_percent) // 100 != ((n + 1) * signed_percent) // 100:
        return "signed"
    return "partial" if n % 5 == 0 else "unsigned"


def seed_one(n, token, glance, key, cert_id, tag, size, signed_percent, unsigned_data, deadline):
    data = os.urandom(size)
    body = {"name": f"{tag}-{n}", "disk_format": "raw", "container_format": "bare", "tags": [tag]}
    kind = kind_of(n, signed_percent)
    if kind == "signed":
        body.update(
            img_signature=sign(key, data),
            img_signature_hash_method="SHA-256",
            img_signature_key_type="RSA-PSS",
            img_signature_certificate_uuid=cert_id,
        )
    elif kind == "partial":
        body.update(img_signature="c2ln", img_signature_hash_method="SHA-256")
    s = session(token)
    if deadline and time.monotonic() > deadline:
        return "skipped"
    if kind != "signed" and not unsigned_data:
        call(s, "post", f"{glance}/images", json=body)
        return kind
    if deadline and time.monotonic() > deadline:
        return "skipped"
    for _ in range(10):
        image = call(s, "post", f"{glance}/images", json=body).json()["id"]
        r = call(
            s,
            "put",
            f"{glance}/images/{image}/file",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
            ok=(204, 409),
            tries=3,
        )
        if r is not None and r.status_code == 204:
            return kind
        # A failed upload (the local Glance's SQLite refused a write) leaves the record
        # unusable: a new one is made; the old one is tagged, so deleted at the end.
    raise SystemExit(f"seeding image {n}: Glance kept refusing the upload")


def call(s, method, url, ok=None, tries=12, **kw):
    """One request, retried while the local Glance answers 5xx (its SQLite database is locked
    under many concurrent writes) or the connection breaks; with `tries` < 12 None after them."""
    last = None
    for attempt in range(tries):
        try:
            r = s.request(method, url, timeout=120, **kw)
            if r.status_code < 500 and (ok is None or r.status_code in ok):
                if ok is None:
                    r.raise_for_status()
                return r
            last = f"HTTP {r.status_code}: {r.text[:200]}"
        except requests.ConnectionError as e:
            last = str(e)
        time.sleep(min(5.0, 0.1 * 2**attempt) * (0.5 + random.random()))
    if tries < 12:
        return None
    raise SystemExit(f"{method.upper()} {url} failed: {last}")


def list_tagged(s, glance, tag):
    ids, url = [], f"{glance}/images?tag={tag}&limit=1000"
    root = glance.rsplit("/v2", 1)[0]
    while url:
        r = s.get(url, timeout=120)
        r.raise_for_status()
        page = r.json()
        ids += [i["id"] for i in page["images"]]
        url = root + page["next"] if page.get("next") else None
    return ids


def main():
    p = argparse.ArgumentParser()
    p.add_argument("action", choices=["seed", "delete"])
    p.add_argument("--cloud", required=True)
    p.add_argument("--tag", required=True)
    p.add_argument("--count", type=int, default=10000)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--signed-percent", type=int, default=50)
    p.add_argument("--no-unsigned-data", dest="unsigned_data", action="store_false")
    p.add_argument("--max-seconds", type=float, default=0, help="stop seeding new images after this")
    a = p.parse_args()
    token, glance, barbican = connect(a.cloud)
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(a.threads) as pool:
        if a.action == "seed":
            key, cert_id = certificate(barbican, token, a.tag)
            deadline = start + a.max_seconds if a.max_seconds else 0
            kinds = list(
                pool.map(
                    lambda n: seed_one(
                        n, token, glance, key, cert_id, a.tag, a.size, a.signed_percent, a.unsigned_data,
                        deadline,
                    ),
                    range(a.count),
                )
            )
            result = {k: kinds.count(k) for k in ("signed", "partial", "unsigned", "skipped")}
            result["certificate"] = cert_id
        else:
            ids = list_tagged(session(token), glance, a.tag)
            list(pool.map(lambda i: call(session(token), "delete", f"{glance}/images/{i}", ok=(204, 400, 404)), ids))
            result = {"deleted": len(ids)}
    result["seconds"] = round(time.monotonic() - start, 1)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
