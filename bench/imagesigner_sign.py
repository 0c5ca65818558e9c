"""Sign an image with openstacksdk's ImageSigner, the way a user of the SDK does.

  imagesigner_sign.py --image PATH --key PEM [--hash-method SHA-256] --out SIG

Writes the raw signature bytes to --out. ImageSigner.generate_signature reads the file object
itself through openstack.image.iterable_chunked_file.IterableChunkedFile, whose default chunk is
128 MiB (openstacksdk 4.22.0): that, not this script, sets its memory use.
"""

import argparse
import sys

from openstack.image.image_signer import ImageSigner


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--image", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--hash-method", default="SHA-256")
    p.add_argument("--out", required=True)
    a = p.parse_args()

    signer = ImageSigner(hash_method=a.hash_method, padding_method="RSA-PSS")
    signer.load_private_key(a.key)
    with open(a.image, "rb") as f:
        signature = signer.generate_signature(f)
    with open(a.out, "wb") as f:
        f.write(signature)
    return 0


if __name__ == "__main__":
    sys.exit(main())
