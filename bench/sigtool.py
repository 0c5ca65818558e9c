"""Small conversions for bench/run.sh (run with the peers venv python; stdlib only).

  sigtool.py raw PROPS.json OUT.sig          img_signature of a properties JSON -> raw bytes
  sigtool.py props SIG HASH KEYTYPE UUID     raw signature file -> properties JSON on stdout
  sigtool.py b64raw B64FILE OUT.sig          base64 text file -> raw bytes
  sigtool.py flip IN.sig OUT.sig             copy with one bit flipped (a broken signature)
  sigtool.py flipprops IN.json OUT.json      properties with one bit of img_signature flipped
"""

import base64
import json
import sys


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "raw" and len(args) == 2:
        props = json.load(open(args[0], "rb"))
        open(args[1], "wb").write(base64.b64decode(props["img_signature"], validate=False))
    elif cmd == "props" and len(args) == 4:
        sig = open(args[0], "rb").read()
        if not sig:
            print(f"sigtool: {args[0]} is empty", file=sys.stderr)
            return 1
        json.dump(
            {
                "img_signature": base64.b64encode(sig).decode(),
                "img_signature_hash_method": args[1],
                "img_signature_key_type": args[2],
                "img_signature_certificate_uuid": args[3],
            },
            sys.stdout,
            indent=2,
        )
        print()
    elif cmd == "b64raw" and len(args) == 2:
        text = open(args[0], "rb").read()
        open(args[1], "wb").write(base64.b64decode(b"".join(text.split()), validate=True))
    elif cmd == "flip" and len(args) == 2:
        sig = bytearray(open(args[0], "rb").read())
        sig[len(sig) // 2] ^= 0x01
        open(args[1], "wb").write(bytes(sig))
    elif cmd == "flipprops" and len(args) == 2:
        props = json.load(open(args[0], "rb"))
        sig = bytearray(base64.b64decode(props["img_signature"]))
        sig[len(sig) // 2] ^= 0x01
        props["img_signature"] = base64.b64encode(bytes(sig)).decode()
        json.dump(props, open(args[1], "w"), indent=2)
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
