"""Issue 16, item 2: the board's pack signing key is made by the keys command and reaches the
board in compose and Kubernetes (outside local/test a pack answers 503 without it)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr

from services.board.config import BoardSettings
from services.board.main import pack_signer
from shared.keys.__main__ import MANIFEST, all_items, generate

ROOT = Path(__file__).resolve().parents[2]
FILE, ENV, SECRET, KEY = (
    "board-pack-signing.pem",
    "BOARD_PACK_SIGNING_KEY",
    "platform-signing",
    "board-pack.pem",
)


def _env(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        m = re.fullmatch(r'([A-Z0-9_]+)="(.*)"', line)
        if m:
            found[m[1]] = re.sub(r"\\(.)", lambda e: {"n": "\n"}.get(e[1], e[1]), m[2])
    return found


def _production(key: str | None) -> BoardSettings:
    return BoardSettings(
        profile="production",
        database_url=SecretStr("postgresql+asyncpg://board_svc:pw@db/platform"),
        relay_client_secret=SecretStr("r" * 43),
        reader_client_secret=SecretStr("s" * 43),
        pack_signing_key=None if key is None else SecretStr(key),
    )


def test_the_keys_command_makes_the_pack_key_in_every_form(tmp_path: Path) -> None:
    out = tmp_path / "keys"
    generate(out)
    item = next(i for i in all_items() if i.file == FILE)
    assert (item.env, item.secret, item.secret_key) == (ENV, SECRET, KEY)
    pem = (out / FILE).read_text()
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp256r1"
    assert _env((out / "platform.env").read_text())[ENV] == pem.strip()
    made = {
        d["metadata"]["name"]: d["stringData"]
        for d in yaml.safe_load_all((out / MANIFEST).read_text())
        if d
    }
    assert made[SECRET][KEY] == pem.strip()
    # the production board signs with it; without it, it has no signer (a pack is 503)
    signer = pack_signer(_production(pem))
    assert signer is not None
    assert signer.verify({"a": 1}, signer.sign({"a": 1}))
    assert pack_signer(_production(None)) is None


def test_only_makes_the_pack_key_for_a_rotation(tmp_path: Path) -> None:
    generate(tmp_path / "new", only=[FILE])
    assert {p.name for p in (tmp_path / "new").iterdir()} == {FILE, "platform.env", MANIFEST}
    assert list(_env((tmp_path / "new" / "platform.env").read_text())) == [ENV]


def test_compose_passes_the_pack_key_to_the_board() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["board"]["environment"][ENV] == "${BOARD_PACK_SIGNING_KEY:?}"


def test_kubernetes_passes_the_pack_key_to_the_board() -> None:
    found = []
    for path in (ROOT / "deploy" / "k8s").rglob("*.yaml"):
        for doc in yaml.safe_load_all(path.read_text()):
            if not doc or doc.get("kind") != "Deployment":
                continue
            for c in doc["spec"]["template"]["spec"]["containers"]:
                for e in c.get("env", []):
                    if e["name"] == ENV:
                        found.append((doc["metadata"]["name"], e["valueFrom"]["secretKeyRef"]))
    assert found == [("board", {"name": SECRET, "key": KEY})]


def test_operations_guide_says_how_to_rotate_it() -> None:
    text = (ROOT / "docs" / "operations.md").read_text()
    assert f"| `{FILE}` | `{ENV}` |" in text
