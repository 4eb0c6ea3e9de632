"""The production bootstrap: ``python -m shared.bootstrap production``.

One command, idempotent, run before every rollout (upgrade included). After the roles,
schemas and migrations (:func:`shared.bootstrap.bootstrap`) it runs each service's production
seed, ``python -m services.<service>.provision`` where a service has one, as that service's own
database role (``shared`` imports no service: a subprocess each, the gateway's last so that the
first administrator's password is printed only once everything else has succeeded):

- kpis: the standard indicator catalogue and the authority's organisation tree from
  ``BOOTSTRAP_ORG_UNITS`` (CSV; ``deploy/examples/wirral-org-units.csv``), which must agree
  with ``KPIS_AUTHORITY_CODE``;
- gateway: signing keys wrapped by ``GATEWAY_KEY_WRAPPING_KEY``; the relay identities
  ``<service>-relay`` (``trail:append`` only, never manageable through the API) with the
  secrets ``BOOTSTRAP_RELAY_<SERVICE>_SECRET``; the first council administrator
  ``BOOTSTRAP_FIRST_ADMIN`` (default ``council.admin``; ``federated`` for none), whose password
  and TOTP secret are printed once, when the account is made.

Everything else comes from the ``BOOTSTRAP_*`` variables of :mod:`shared.bootstrap`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pydantic import Field

from shared.bootstrap import (
    ROOT,
    SERVICES,
    BootstrapSettings,
    bootstrap,
    role_name,
    with_credentials,
)
from shared.config import RELAXED_PROFILES


class ProductionSettings(BootstrapSettings):
    org_units: Path | None = Field(None, description="CSV file of the organisation tree")
    first_admin: str = Field("council.admin", description="username, or 'federated'")


def relaying_services() -> tuple[str, ...]:
    """Services whose outbox relay posts to the trail through the gateway (audit writes its
    own events into its trail)."""
    return tuple(s for s in SERVICES if s != "audit")


def relay_secrets(profile: str, environ: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    missing = []
    for service in relaying_services():
        value = environ.get(f"BOOTSTRAP_RELAY_{service.upper()}_SECRET", "")
        if value:
            found[f"{service}-relay"] = value
        else:
            missing.append(f"BOOTSTRAP_RELAY_{service.upper()}_SECRET")
    if missing and profile not in RELAXED_PROFILES:
        raise SystemExit("bootstrap production: set " + ", ".join(missing))
    return found


def provisioned_services() -> list[str]:
    """Services with a production seed, the gateway last."""
    have = [s for s in SERVICES if (ROOT / "services" / s / "provision.py").exists()]
    return sorted(have, key=lambda s: s == "gateway")


def service_env(
    settings: ProductionSettings, service: str, environ: dict[str, str]
) -> dict[str, str]:
    prefix = service.upper() + "_"
    url = with_credentials(
        settings.admin_url.get_secret_value(),
        role_name(service),
        settings.password_for(service),
        driver="postgresql+asyncpg",
    )
    return environ | {
        prefix + "DATABASE_URL": url,
        prefix + "PROFILE": settings.profile,
        "PYTHONPATH": str(ROOT),
    }


def provision(settings: ProductionSettings, environ: dict[str, str] | None = None) -> str:
    """The whole production bootstrap; what the services' seeds printed."""
    environ = dict(os.environ if environ is None else environ)
    settings.check()
    if settings.org_units is None:
        raise SystemExit("bootstrap production: set BOOTSTRAP_ORG_UNITS (the org-unit CSV)")
    if not settings.org_units.is_file():
        raise SystemExit(f"bootstrap production: no file {settings.org_units}")
    provision_env = {
        "PROVISION_ORG_UNITS": str(settings.org_units.resolve()),
        "PROVISION_FIRST_ADMIN": settings.first_admin,
        "PROVISION_RELAY_SECRETS": json.dumps(relay_secrets(settings.profile, environ)),
    }
    bootstrap(settings)
    printed = []
    for service in provisioned_services():
        done = subprocess.run(
            [sys.executable, "-m", f"services.{service}.provision"],
            cwd=ROOT,
            env=service_env(settings, service, environ | provision_env),
            capture_output=True,
            text=True,
        )
        sys.stderr.write(done.stderr)
        if done.returncode != 0:
            raise SystemExit(f"bootstrap production: {service} failed (exit {done.returncode})")
        printed.append(done.stdout.rstrip("\n"))
    return "\n".join(printed)


def main() -> int:
    text = provision(ProductionSettings())
    print(text, flush=True)
    print("bootstrap production: done (safe to run again)", file=sys.stderr)
    return 0
