"""``python -m services.audit.trail.verify``: walk the trail and name the first broken link.

Reads the service's settings from the environment (``AUDIT_DATABASE_URL``,
``AUDIT_CHECKPOINT_SIGNING_KEY``, ``AUDIT_CHECKPOINT_TRUSTED_KEYS``, ``AUDIT_ANCHOR_PATH``).
Every checkpoint in the anchor file (``--anchor FILE``, default ``AUDIT_ANCHOR_PATH``) is
checked against the chain: one missing from the database, a chain differing from it or
shorter than it is a break, and so is a missing anchor file. ``--checkpoint FILE`` adds
exported checkpoints (one checkpoint or a page of them, as ``GET /v1/trail/checkpoints``
answers); ``--public-key FILE`` trusts another signing key; ``--workers N`` checks a long chain in
blocks by N processes (same answer; faster only where cores are idle). The report also tells the
unprotected tail: events after the latest anchored checkpoint, how many and how old.
Exit status 0: valid; 1: broken (the JSON report names where); 2: cannot run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from services.audit.config import AuditSettings
from services.audit.trail import service
from services.audit.trail.anchor import Anchor
from services.audit.trail.schemas import CheckpointRead, Verification
from services.audit.trail.signing import CheckpointSigner, CheckpointVerifier
from shared.db import create_engine, create_sessionmaker
from shared.logs import configure_logging


def load_checkpoints(path: Path) -> list[CheckpointRead]:
    data = json.loads(path.read_text())
    items = data.get("items", [data]) if isinstance(data, dict) else data
    return [CheckpointRead.model_validate(item) for item in items]


async def run(
    settings: AuditSettings,
    checkpoints: list[CheckpointRead],
    keys: list[str],
    anchor: Path | None = None,
    workers: int = 1,
) -> Verification:
    signer = CheckpointSigner.from_settings(settings)
    for pem in keys:
        extra = CheckpointVerifier.from_pem(pem)
        signer.trusted[extra.key_id] = extra
    engine = create_engine(settings)
    try:
        async with create_sessionmaker(engine)() as session:
            anchored = Anchor(anchor).read() if anchor is not None else None
            return await service.verify(
                session, signer, checkpoints, anchored=anchored, workers=workers
            )
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.audit.trail.verify")
    parser.add_argument("--checkpoint", type=Path, action="append", default=[])
    parser.add_argument("--public-key", type=Path, action="append", default=[])
    parser.add_argument("--anchor", type=Path, help="anchor file (default AUDIT_ANCHOR_PATH)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes checking a chain of 50,000+ events in blocks (default 1: this one); "
        "worth it only where cores are idle",
    )
    args = parser.parse_args(argv)
    configure_logging("WARNING", json=True, service="audit-verify")
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(sys.stderr)  # stdout carries the report only
    try:
        checkpoints = [cp for path in args.checkpoint for cp in load_checkpoints(path)]
        keys = [path.read_text() for path in args.public_key]
        settings = AuditSettings()
        anchor = args.anchor or settings.anchor_file
        result = asyncio.run(run(settings, checkpoints, keys, anchor, max(1, args.workers)))
    except (OSError, ValueError) as exc:
        print(f"verify: cannot run: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    print(result.model_dump_json(indent=2))
    return 0 if result.valid else 1


if __name__ == "__main__":
    raise SystemExit(main())
