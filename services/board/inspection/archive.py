"""The re-inspection evidence pack: per Ofsted (and LSCB) recommendation, the chain with its
evidence, as one zip archive with a manifest of SHA-256 hashes and a signature.

Layout (names sorted; every entry dated 1980-01-01 so the same evidence gives the same
bytes):

- ``recommendations/<source>-<number>.json``: the recommendation, its computed status with
  reasons (rule version), its actions with their progress updates and evidence references;
- ``releases/<release_id>.json``: each signed release the statuses used, as kpis serves it
  (manifest and signature);
- ``audits/<audit_id>.json``: each graded audit of the linked programmes (no case, team or
  worker) with its findings' re-check outcomes;
- ``manifest.json``: ``files`` (name → SHA-256), when it was made, the rule version, the
  key id, ``pins.trail_checkpoint`` (the latest signed trail checkpoint: seq, hash,
  signature and its key id; null before the first); ``manifest.sig``: ES256 over the
  manifest's RFC 8785 form (base64);
  ``public-key.pem``: the key that verifies it.

Verify offline: ``python -m services.board.inspection.verify ARCHIVE [--public-key PEM]``
(exit 0 when every hash and the signature hold; a changed byte anywhere fails).
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from services.board.reader import Reader
from services.board.working import rule
from services.board.working.evidence import Snapshot, recommendation_evidence
from services.board.working.service import recommendation_statuses
from shared import signing

EPOCH = (1980, 1, 1, 0, 0, 0)
MANIFEST, SIGNATURE, PUBLIC_KEY = "manifest.json", "manifest.sig", "public-key.pem"


def _json(document: Any) -> bytes:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).encode() + b"\n"


async def contents(reader: Reader, snap: Snapshot) -> dict[str, bytes]:
    """Every evidence file of the archive (before the manifest)."""
    files: dict[str, bytes] = {}
    releases: set[str] = set()
    audits: set[int] = set()
    statuses = {s.id: s for s in recommendation_statuses(snap)}
    for rec in sorted(snap.recommendations, key=lambda r: (r["source"], r["number"])):
        ev = recommendation_evidence(snap, rec)
        actions = []
        for fact in sorted(ev.actions, key=lambda a: a.action_id):
            updates = await reader.items(f"/v1/actions/{fact.action_id}/updates")
            doc = snap.action_docs[fact.action_id]
            actions.append(
                {
                    "action_id": fact.action_id,
                    "ref": fact.ref,
                    "title": fact.title,
                    "status": fact.status,
                    "declared_rag": fact.declared_rag,
                    "percent_complete": doc.get("percent_complete"),
                    "lead_agency": fact.lead_agency,
                    "updates": [
                        {
                            k: u.get(k)
                            for k in (
                                "update_id",
                                "update_date",
                                "agency",
                                "narrative",
                                "percent_complete",
                                "declared_rag",
                                "evidence",
                            )
                        }
                        for u in sorted(updates, key=lambda u: u["update_id"])
                    ],
                }
            )
        releases.update(i.release_id for i in ev.indicators if i.release_id)
        audits.update(a.audit_id for a in ev.audits)
        status = statuses[rec["recommendation_id"]]
        files[f"recommendations/{rec['source']}-{rec['number']}.json"] = _json(
            {
                "recommendation": {k: rec.get(k) for k in ("source", "number", "text", "plan_id")},
                "status": status.model_dump(mode="json"),
                "actions": actions,
            }
        )
    for release_id in sorted(releases):
        files[f"releases/{release_id}.json"] = _json(await reader.get(f"/v1/releases/{release_id}"))
    findings = sorted(snap.finding_docs.values(), key=lambda f: f["finding_id"])
    for audit_id in sorted(audits):
        audit = snap.audit_docs[audit_id]
        files[f"audits/{audit_id}.json"] = _json(
            {
                **audit,
                "findings": [
                    {k: f[k] for k in ("finding_id", "severity", "status", "recheck_outcome")}
                    for f in findings
                    if f["audit_id"] == audit_id
                ],
            }
        )
    return files


def pack(
    files: dict[str, bytes],
    signer: signing.ManifestSigner,
    made_at: datetime,
    trail_checkpoint: dict[str, Any] | None = None,
) -> tuple[bytes, dict[str, Any]]:
    manifest = {
        "format": "inspection-pack/1",
        "made_at": made_at.isoformat(),
        "pins": {"trail_checkpoint": trail_checkpoint},
        "rule_version": rule.RULE_VERSION,
        "algorithm": signing.ALGORITHM,
        "key_id": signer.key_id,
        "files": {name: hashlib.sha256(body).hexdigest() for name, body in sorted(files.items())},
    }
    entries = {
        **files,
        MANIFEST: _json(manifest),
        SIGNATURE: signer.sign(manifest).encode() + b"\n",
        PUBLIC_KEY: signer.public_pem.encode(),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, entries[name])
    return out.getvalue(), manifest
