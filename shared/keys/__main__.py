"""``python -m shared.keys generate --out DIR [--only FILE ...]``: every key, new.

Writes into ``DIR`` (made with mode 0700; files 0600), never over an existing file:

- one file per key or secret (``internal-jwt-private.pem``, ``kpis-release-signing.pem``, ...;
  ``python -m shared.keys list`` names them with who reads each);
- ``platform.env``: the same as compose's ``.env`` variables (``docker-compose.yml``);
- ``platform-secrets.yaml``: Kubernetes Secrets ``platform-internal-jwt``, ``platform-signing``,
  ``platform-relay`` and ``platform-db`` (its passwords only: add ``admin-url`` and the
  ``<service>-url`` keys, which name your database host).

``--only`` makes just the named files (a rotation: docs/operations.md, keys); the env file and
manifest then hold just those.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from shared.bootstrap import SERVICES
from shared.keys.material import Item, items, new_values
from shared.keys.render import env_file, secrets_manifest
from shared.provision import relaying_services

ENV_FILE, MANIFEST = "platform.env", "platform-secrets.yaml"


def all_items() -> tuple[Item, ...]:
    return items(relaying_services(), SERVICES)


def _write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text if text.endswith("\n") else text + "\n")


def generate(out: Path, only: list[str] | None = None, namespace: str = "default") -> list[str]:
    """Make the keys into ``out``; the names of the files written."""
    chosen = all_items()
    if only:
        unknown = sorted(set(only) - {i.file for i in chosen})
        if unknown:
            raise SystemExit("unknown key files: " + ", ".join(unknown))
        chosen = tuple(i for i in chosen if i.file in only)
    names = [i.file for i in chosen] + [ENV_FILE, MANIFEST]
    out.mkdir(parents=True, exist_ok=True, mode=0o700)
    present = sorted(n for n in names if (out / n).exists())
    if present:
        raise SystemExit(
            f"{out} already holds {', '.join(present)}: nothing written (keys are never "
            "overwritten; move them away or choose another folder)"
        )
    values = new_values({i.file for i in chosen})
    for item in chosen:
        _write(out / item.file, values[item.file])
    _write(out / ENV_FILE, env_file(chosen, values))
    _write(out / MANIFEST, secrets_manifest(chosen, values, namespace))
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.keys")
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate", help="make every key into a new folder")
    gen.add_argument("--out", type=Path, required=True, help="folder to write into")
    gen.add_argument("--only", nargs="+", metavar="FILE", help="just these files (rotation)")
    gen.add_argument("--namespace", default="default", help="namespace of the Secrets")
    sub.add_parser("list", help="what each file is and who reads it")
    args = parser.parse_args(argv)
    if args.command == "list":
        for i in all_items():
            print(f"{i.file:30} {i.secret + '/' + i.secret_key:40} read as {i.reads}")
        return 0
    written = generate(args.out, args.only, args.namespace)
    print(f"wrote {len(written)} files into {args.out}: " + ", ".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
