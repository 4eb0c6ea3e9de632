"""Verify a re-inspection evidence pack offline.

    python -m services.board.inspection.verify ARCHIVE.zip [--public-key KEY.pem]

Checks that every file the manifest lists is there with its SHA-256, that nothing else is,
and that ``manifest.sig`` verifies the manifest (ES256 over RFC 8785 JSON) with the public
key given (the board's published key; without ``--public-key`` the key inside the archive is
used and its key id printed — compare it with the board's). Exit 0: intact; 1: not.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
import zlib
from pathlib import Path

from services.board.inspection.archive import MANIFEST, PUBLIC_KEY, SIGNATURE
from shared import signing


def problems(archive: Path, public_pem: str | None = None) -> list[str]:
    """What is wrong with ``archive`` (empty: it verifies)."""
    try:
        with zipfile.ZipFile(archive) as z:
            entries = {i.filename: z.read(i) for i in z.infolist()}
    except (zipfile.BadZipFile, OSError, zlib.error) as exc:
        return [f"not a readable archive: {exc}"]
    found: list[str] = []
    try:
        manifest = json.loads(entries[MANIFEST])
        signature = entries[SIGNATURE].decode().strip()
    except (KeyError, ValueError) as exc:
        return [f"no readable manifest or signature: {exc}"]
    key = public_pem or entries.get(PUBLIC_KEY, b"").decode()
    if not signing.verify_with_public_key(key, manifest, signature):
        found.append("the signature does not verify the manifest")
    listed = manifest.get("files", {})
    for name, expected in sorted(listed.items()):
        body = entries.get(name)
        if body is None:
            found.append(f"{name}: missing")
        elif hashlib.sha256(body).hexdigest() != expected:
            found.append(f"{name}: SHA-256 differs from the manifest")
    extra = set(entries) - set(listed) - {MANIFEST, SIGNATURE, PUBLIC_KEY}
    found.extend(f"{name}: not in the manifest" for name in sorted(extra))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("archive", type=Path)
    parser.add_argument("--public-key", type=Path, help="the board's published key (PEM)")
    args = parser.parse_args(argv)
    pem = args.public_key.read_text() if args.public_key else None
    found = problems(args.archive, pem)
    if found:
        for line in found:
            print(f"FAIL {line}")
        return 1
    with zipfile.ZipFile(args.archive) as z:
        manifest = json.loads(z.read(MANIFEST))
    print(
        f"OK {len(manifest['files'])} files, key {manifest['key_id']}, made {manifest['made_at']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
