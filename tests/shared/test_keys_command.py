"""The keys command (issue 19, item 2): every key, in the forms compose and Kubernetes read."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from pydantic import SecretStr

from services.gateway.config import GatewaySettings
from shared.keys.__main__ import MANIFEST, all_items, generate, main

ROOT = Path(__file__).resolve().parents[2]


def _env(text: str) -> dict[str, str]:
    """compose's reading of a double-quoted .env line: \\n, \\" and \\\\ escapes."""
    found = {}
    for line in text.splitlines():
        m = re.fullmatch(r'([A-Z0-9_]+)="(.*)"', line)
        if m:
            found[m[1]] = re.sub(r"\\(.)", lambda e: {"n": "\n"}.get(e[1], e[1]), m[2])
    return found


def _load(path: Path) -> object:
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def test_generate_writes_every_key_once_in_each_form(tmp_path: Path) -> None:
    out = tmp_path / "keys"
    assert main(["generate", "--out", str(out)]) == 0
    files = {i.file: (out / i.file).read_text() for i in all_items()}
    for name in [*files, "platform.env", MANIFEST]:
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name
    # the kinds each reader expects; the internal pair is one pair
    internal = _load(out / "internal-jwt-private.pem")
    assert isinstance(internal, ec.EllipticCurvePrivateKey)
    public = serialization.load_pem_public_key(files["internal-jwt-public.pem"].encode())
    assert isinstance(public, ec.EllipticCurvePublicKey)
    signature = internal.sign(b"x", ec.ECDSA(hashes.SHA256()))
    public.verify(signature, b"x", ec.ECDSA(hashes.SHA256()))
    release = _load(out / "kpis-release-signing.pem")
    assert isinstance(release, ec.EllipticCurvePrivateKey)
    assert release.curve.name == "secp256r1"
    assert isinstance(_load(out / "audit-checkpoint-signing.pem"), ed25519.Ed25519PrivateKey)
    secrets = {n: v for n, v in files.items() if not n.endswith(".pem")}
    assert all(len(v.strip()) >= 43 for v in secrets.values()), "32 random bytes each"
    assert len({v.strip() for v in files.values()}) == len(files), "no two keys alike"
    # the production gateway takes the wrapping key
    GatewaySettings(
        profile="production",
        database_url=SecretStr(
            "postgresql+asyncpg://gateway_svc:"
            + files["db-gateway.password"].strip()
            + "@db/platform"
        ),
        internal_jwt_private_key=SecretStr(files["internal-jwt-private.pem"]),
        key_wrapping_key=SecretStr(files["gateway-key-wrapping.key"].strip()),
        relay_client_secret=SecretStr(files["relay-gateway.secret"].strip()),
    )
    # compose: each variable holds exactly the file's key
    env = _env((out / "platform.env").read_text())
    for item in all_items():
        assert env[item.env] == files[item.file].strip(), item.env
    # Kubernetes: the Secrets hold the same keys under the names the manifests read
    secrets_made = {
        d["metadata"]["name"]: d["stringData"]
        for d in yaml.safe_load_all((out / MANIFEST).read_text())
        if d
    }
    for item in all_items():
        assert secrets_made[item.secret][item.secret_key] == files[item.file].strip()
    wanted = set()
    for path in (ROOT / "deploy" / "k8s").rglob("*.yaml"):
        wanted |= set(
            re.findall(
                r"secretKeyRef: \{name: ([a-z-]+), key: ([A-Za-z0-9.-]+)\}", path.read_text()
            )
        )
    missing = {
        (name, key)
        for name, key in wanted
        if key not in secrets_made.get(name, {})
        and not (name == "platform-db" and key.endswith("-url"))  # names the database host
    }
    assert missing == set()


def test_generate_never_overwrites(tmp_path: Path) -> None:
    generate(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(SystemExit, match="nothing written"):
        generate(tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_only_makes_one_key_for_a_rotation(tmp_path: Path) -> None:
    generate(tmp_path / "new", only=["kpis-release-signing.pem"])
    names = {p.name for p in (tmp_path / "new").iterdir()}
    assert names == {"kpis-release-signing.pem", "platform.env", MANIFEST}
    assert list(_env((tmp_path / "new" / "platform.env").read_text())) == [
        "KPIS_RELEASE_SIGNING_KEY"
    ]


def test_generate_makes_the_webhook_key_kpis_takes_in_production(tmp_path: Path) -> None:
    """Issue 18: ``KPIS_WEBHOOK_KEY`` was missing, so production webhooks stayed off."""
    from services.kpis.config import KpisSettings

    generate(tmp_path)
    env = _env((tmp_path / "platform.env").read_text())
    key = env["KPIS_WEBHOOK_KEY"]
    assert key == (tmp_path / "kpis-webhook.key").read_text().strip()
    assert len(key) >= 32
    settings = KpisSettings(
        profile="production",
        database_url=SecretStr(
            "postgresql+asyncpg://kpis_svc:" + env["KPIS_DB_PASSWORD"] + "@db/platform"
        ),
        release_signing_key=SecretStr(env["KPIS_RELEASE_SIGNING_KEY"]),
        pseudonymisation_key=SecretStr(env["KPIS_PSEUDONYMISATION_KEY"]),
        relay_client_secret=SecretStr(env["KPIS_RELAY_SECRET"]),
        webhook_key=SecretStr(key),
    )
    assert settings.webhook_box_key() == key
    # compose and Kubernetes hand it to kpis
    assert "KPIS_WEBHOOK_KEY: ${KPIS_WEBHOOK_KEY:?}" in (ROOT / "docker-compose.yml").read_text()
    assert "key: kpis-webhook-key" in (ROOT / "deploy" / "k8s" / "services.yaml").read_text()
