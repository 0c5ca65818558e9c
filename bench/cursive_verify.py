"""Verify an image with cursive exactly as Glance does on upload.

  cursive_verify.py --image PATH --cert PEM --properties JSON [--chunk-kib 64]
  cursive_verify.py --import-only

Glance builds the verifier with cursive.signature_utils.get_verifier() from the four
img_signature* properties, its Barbican lookup (signature_utils.get_certificate) returning the
certificate, then feeds every chunk of the upload to verifier.update() while glance_store writes
it (the filesystem store writes 64 KiB chunks: filesystem_store_chunk_size / WRITE_CHUNKSIZE),
and calls verifier.verify() at the end. Here the Barbican lookup is patched to return the loaded
certificate and the file is read in --chunk-kib chunks (default 64).

Exit 0: valid. Exit 1: rejected (reason on stderr). --import-only measures the interpreter start
and imports alone.
"""

import argparse
import json
import sys
from unittest import mock


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--image")
    p.add_argument("--cert")
    p.add_argument("--properties")
    p.add_argument("--chunk-kib", type=int, default=64)
    p.add_argument("--import-only", action="store_true")
    a = p.parse_args()

    from cryptography import exceptions as crypto_exceptions
    from cryptography import x509
    from cursive import exception as cursive_exception
    from cursive import signature_utils

    if a.import_only:
        return 0
    if not (a.image and a.cert and a.properties):
        p.error("--image, --cert and --properties are required")

    props = json.load(open(a.properties, "rb"))
    with open(a.cert, "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    chunk = a.chunk_kib * 1024

    with mock.patch.object(signature_utils, "get_certificate", return_value=cert):
        try:
            verifier = signature_utils.get_verifier(
                context=None,
                img_signature_certificate_uuid=props.get("img_signature_certificate_uuid"),
                img_signature_hash_method=props.get("img_signature_hash_method"),
                img_signature=props.get("img_signature"),
                img_signature_key_type=props.get("img_signature_key_type"),
            )
            with open(a.image, "rb") as f:
                for data in iter(lambda: f.read(chunk), b""):
                    verifier.update(data)
            verifier.verify()
        except cursive_exception.SignatureVerificationError as e:
            print(f"cursive: rejected: {e}", file=sys.stderr)
            return 1
        except crypto_exceptions.InvalidSignature:
            print("cursive: rejected: InvalidSignature", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
