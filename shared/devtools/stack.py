"""The whole platform as local processes: database, bootstrap, seeds, five services.

Used by the run command and by the end-to-end tests, so both start it the same way.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from shared.bootstrap import SERVICES, BootstrapSettings, bootstrap, role_name, with_credentials
from shared.devtools.embedded import EmbeddedPostgres, port_in_use
from shared.keys.material import generate_ec_key, generate_ed25519_key

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PORTS = {"gateway": 8000, "actions": 8001, "kpis": 8002, "audit": 8003, "board": 8004}
#: Clients of a service reading the others through the gateway (``<service>-reader``, read
#: scopes only), kept with the relays' secrets; the gateway's seed registers them.
READER_CLIENTS = ("board-reader",)
DATABASE = "platform"


def _new_secrets() -> dict[str, str]:
    """Every local secret, freshly made; keys that must outlive a restart included."""
    private, public = generate_ec_key()
    data = {"pg_password": secrets.token_urlsafe(18)}
    data |= {f"{s}_password": secrets.token_urlsafe(18) for s in SERVICES}
    data |= {"internal_private_key": private, "internal_public_key": public}
    # releases and checkpoints signed in one run must still verify in the next, and the
    # same child must get the same pseudonym in every import
    data["kpis_release_signing_key"] = generate_ec_key()[0]
    data["audit_checkpoint_signing_key"] = generate_ed25519_key()
    data["kpis_pseudonymisation_key"] = secrets.token_urlsafe(48)
    # wraps the gateway's signing keys in the database (kept: they must open after a restart)
    data["gateway_key_wrapping_key"] = secrets.token_urlsafe(32)
    return data


def load_or_create_secrets(path: Path) -> dict[str, str]:
    """Local secrets, made once and kept in the git-ignored data folder.

    A folder from an older run gains the secrets it lacks; existing ones never change."""
    data: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = {k: v for k, v in _new_secrets().items() if k not in data}
    if missing:
        data |= missing
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))
        path.chmod(0o600)
    return data


def load_or_create_relay_secrets(path: Path) -> dict[str, str]:
    """The outbox relays' client secrets (``<service>-relay``), made once and kept.

    The gateway's seed registers these clients with the same secrets (it reads this file)."""
    return _load_or_create_client_secrets(path, [f"{s}-relay" for s in SERVICES])


def load_or_create_reader_secrets(path: Path) -> dict[str, str]:
    """The reader clients' secrets (``READER_CLIENTS``), made once and kept; the gateway's
    seed registers them with the same secrets (it reads this file)."""
    return _load_or_create_client_secrets(path, list(READER_CLIENTS))


def _load_or_create_client_secrets(path: Path, names: list[str]) -> dict[str, str]:
    data: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    missing = [name for name in names if name not in data]
    if missing:
        data |= {name: secrets.token_urlsafe(32) for name in missing}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2))
        path.chmod(0o600)
    return data


@dataclass
class StackConfig:
    data_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    admin_url: str | None = None  # use this server instead of the embedded one
    database: str = DATABASE
    pg_port: int | None = None
    throwaway_pg: bool = False
    profile: str = "local"
    extra_env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None  # service output to files (tests); None = inherit


def uvicorn_args(service: str, port: int) -> list[str]:
    """uvicorn's arguments for ``service``. ``--no-proxy-headers``: uvicorn would otherwise
    believe ``X-Forwarded-For`` from 127.0.0.1 and rewrite the client address before the
    app sees it; the gateway decides whom to trust (``GATEWAY_TRUSTED_PROXIES``)."""
    return [
        f"services.{service}.main:app_factory",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-server-header",
        "--no-proxy-headers",
        "--timeout-graceful-shutdown",
        "5",
    ]


class Stack:
    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.secrets = load_or_create_secrets(config.data_dir / "local-secrets.json")
        self.relay_secrets = load_or_create_relay_secrets(config.data_dir / "relay-clients.json")
        self.reader_secrets = load_or_create_reader_secrets(config.data_dir / "reader-clients.json")
        self.pg: EmbeddedPostgres | None = None
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.admin_url = ""

    # -- database --------------------------------------------------------------------------
    def start_database(self) -> str:
        if self.config.admin_url:
            base = self.config.admin_url
        else:
            self.pg = EmbeddedPostgres(
                self.config.data_dir / "pg",
                password=self.secrets["pg_password"],
                port=self.config.pg_port,
                throwaway=self.config.throwaway_pg,
            )
            base = self.pg.start()
        self.admin_url = base.rsplit("/", 1)[0] + "/" + self.config.database
        return self.admin_url

    def bootstrap_settings(self) -> BootstrapSettings:
        passwords = {f"{s}_password": self.secrets[f"{s}_password"] for s in SERVICES}
        return BootstrapSettings.model_validate(
            {"profile": self.config.profile, "admin_url": self.admin_url, **passwords}
        )

    def bootstrap(self) -> None:
        bootstrap(self.bootstrap_settings())

    # -- services --------------------------------------------------------------------------
    def service_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.config.ports[service]}"

    def service_env(self, service: str) -> dict[str, str]:
        prefix = service.upper() + "_"
        url = with_credentials(
            self.admin_url,
            role_name(service),
            self.secrets[f"{service}_password"],
            driver="postgresql+asyncpg",
        )
        env = {
            prefix + "PROFILE": self.config.profile,
            prefix + "PORT": str(self.config.ports[service]),
            prefix + "HOST": "127.0.0.1",
            prefix + "DATABASE_URL": url,
            prefix + "INTERNAL_JWT_PUBLIC_KEY": self.secrets["internal_public_key"],
            # the outbox relay posts to the trail through the gateway as <service>-relay
            prefix + "GATEWAY_URL": self.service_url("gateway"),
            prefix + "RELAY_ENABLED": "true",
            prefix + "RELAY_CLIENT_ID": f"{service}-relay",
            prefix + "RELAY_CLIENT_SECRET": self.relay_secrets[f"{service}-relay"],
        }
        if service == "kpis":
            env |= {
                "KPIS_RELEASE_SIGNING_KEY": self.secrets["kpis_release_signing_key"],
                "KPIS_PSEUDONYMISATION_KEY": self.secrets["kpis_pseudonymisation_key"],
                "KPIS_AUTHORITY_CODE": "WIRRAL",
                "KPIS_UPLOAD_DIR": str(self.config.data_dir / "uploads"),
            }
        if service == "audit":
            env["AUDIT_CHECKPOINT_SIGNING_KEY"] = self.secrets["audit_checkpoint_signing_key"]
            # checkpoints anchored outside the database, beside this stack's database
            env["AUDIT_ANCHOR_PATH"] = str(self.config.data_dir / "trail-anchor.jsonl")
        if service == "board":
            # the board reads the other services through the gateway as board-reader
            env["BOARD_READER_CLIENT_ID"] = "board-reader"
            env["BOARD_READER_CLIENT_SECRET"] = self.reader_secrets["board-reader"]
        if service == "gateway":
            env |= {
                "GATEWAY_INTERNAL_JWT_PRIVATE_KEY": self.secrets["internal_private_key"],
                "GATEWAY_KEY_WRAPPING_KEY": self.secrets["gateway_key_wrapping_key"],
                "GATEWAY_FORWARDING_ENABLED": "true",
                "GATEWAY_ISSUER": self.service_url("gateway"),
                "GATEWAY_ACTIONS_URL": self.service_url("actions"),
                "GATEWAY_KPIS_URL": self.service_url("kpis"),
                "GATEWAY_AUDIT_URL": self.service_url("audit"),
                "GATEWAY_BOARD_URL": self.service_url("board"),
            }
        return env

    def set_by_run(self, service: str) -> list[str]:
        """The variables the run command sets itself for ``service`` (its values win over
        the environment's: they tie the service to this stack's database, ports and keys)."""
        return sorted(self.service_env(service))

    def child_env(self, service: str) -> dict[str, str]:
        """The environment of ``service``'s process: this process's environment, every
        service's prefixed variables included (``GATEWAY_TRUSTED_ISSUERS`` switches on a
        federated identity provider in the one-command run), then what the run sets."""
        env = dict(os.environ)
        env |= self.service_env(service)
        env |= self.config.extra_env
        env["PYTHONPATH"] = str(ROOT)
        return env

    def run_seeds(self) -> None:
        for service in SERVICES:
            if (ROOT / "services" / service / "seed.py").exists():
                subprocess.run(
                    [sys.executable, "-m", f"services.{service}.seed"],
                    cwd=ROOT,
                    env=self.child_env(service)
                    | {
                        "SEED_ADMIN_URL": self.admin_url,
                        "SEED_DATA_DIR": str(self.config.data_dir),
                        "SEED_GATEWAY_URL": self.service_url("gateway"),
                    },
                    check=True,
                )

    def busy_ports(self) -> list[int]:
        return [p for p in self.config.ports.values() if port_in_use(p)]

    def start_services(self) -> None:
        for service in ("actions", "kpis", "audit", "board", "gateway"):
            self.start_service(service)

    def start_service(self, service: str, env: dict[str, str] | None = None) -> None:
        """Start one service (again), with ``env`` over its usual settings (drills)."""
        out = None
        if self.config.log_dir is not None:
            self.config.log_dir.mkdir(parents=True, exist_ok=True)
            out = (self.config.log_dir / f"{service}.log").open("ab")
        self.processes[service] = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", *uvicorn_args(service, self.config.ports[service])],
            cwd=ROOT,
            env=self.child_env(service) | (env or {}),
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )

    def kill_service(self, service: str) -> None:
        """SIGKILL one service: no shutdown hooks, as a crash or an OOM kill would."""
        proc = self.processes.get(service)
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def wait_ready(self, timeout_s: float = 90, services: list[str] | None = None) -> None:
        deadline = time.monotonic() + timeout_s
        pending = set(services if services is not None else self.processes)
        while pending:
            for service in list(pending):
                proc = self.processes[service]
                if proc.poll() is not None:
                    raise RuntimeError(f"{service} exited with code {proc.returncode}")
                try:
                    r = httpx.get(self.service_url(service) + "/readyz", timeout=1.0)
                    if r.status_code == 200:
                        pending.discard(service)
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() > deadline:
                raise TimeoutError("not ready: " + ", ".join(sorted(pending)))
            if pending:
                time.sleep(0.25)

    def stop_services(self, service: str | None = None) -> None:
        names = [service] if service else list(self.processes)
        for name in names:
            proc = self.processes.get(name)
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name in names:
            proc = self.processes.get(name)
            if proc is None:
                continue
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def stop(self) -> None:
        self.stop_services()
        if self.pg is not None:
            self.pg.stop()
