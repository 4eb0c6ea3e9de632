"""Several replicas for real (issue 19, item 3), as the deployment files say it: Redis for
the limits every gateway shares, the trusted proxies set, TLS at the ingress, disruption
budgets, startup probes, ServiceAccounts without tokens, Prometheus let in, resources from the
benchmarks, and a CloudNativePG cluster as the suggested PostgreSQL.

docker-compose.yml is validated against the Compose Specification's schema (check-jsonschema).
kubernetes-validate knows no CloudNativePG schema (a CRD): its ``Cluster`` is checked here
field by field against what the operator's documentation names, the Secret beside it with
kubernetes-validate --strict."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from services.gateway.config import GatewaySettings
from shared.bootstrap import SERVICES

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CNPG = ROOT / "deploy" / "postgres" / "cloudnative-pg.yaml"


def documents() -> list[dict[str, Any]]:
    return [d for p in sorted(K8S.rglob("*.yaml")) for d in yaml.safe_load_all(p.read_text()) if d]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())  # type: ignore[no-any-return]


def env_of(container: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in container.get("env", [])}


def public_config() -> dict[str, str]:
    return of_kind("ConfigMap")["platform-public"]["data"]  # type: ignore[no-any-return]


def test_compose_runs_redis_and_the_gateway_counts_there_behind_trusted_proxies() -> None:
    services = compose()["services"]
    assert services["redis"]["image"].startswith("redis:")
    assert "healthcheck" in services["redis"]
    assert not services["redis"].get("ports")  # reached by the gateways only
    gateway = services["gateway"]
    env = gateway["environment"]
    assert env["GATEWAY_RATE_LIMIT_REDIS_URL"].startswith("redis://redis:6379")
    assert "GATEWAY_TRUSTED_PROXIES" in env
    assert gateway["depends_on"]["redis"]["condition"] == "service_healthy"


def test_kubernetes_gateways_share_redis_and_trust_only_the_ingress() -> None:
    gateway = of_kind("Deployment")["gateway"]["spec"]["template"]["spec"]["containers"][0]
    env = env_of(gateway)
    redis_ref = env["GATEWAY_RATE_LIMIT_REDIS_URL"]["valueFrom"]["configMapKeyRef"]
    assert public_config()[redis_ref["key"]] == "redis://redis:6379/0"
    assert "redis" in of_kind("Service")
    assert "redis" in of_kind("Deployment")
    proxies_ref = env["GATEWAY_TRUSTED_PROXIES"]["valueFrom"]["configMapKeyRef"]
    assert not proxies_ref.get("optional")  # never started without them
    proxies = public_config()[proxies_ref["key"]]
    assert json.loads(proxies)  # not empty: limits key on the client behind the ingress
    settings = GatewaySettings(trusted_proxies=proxies)  # the gateway reads it as it is
    assert settings.trusted_networks()
    policy = of_kind("NetworkPolicy")["redis-only-from-gateway"]["spec"]
    assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "redis"}
    assert policy["ingress"] == [
        {
            "from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}],
            "ports": [{"port": 6379, "protocol": "TCP"}],
        }
    ]


def test_the_ingress_terminates_tls_for_every_host_it_routes_to_the_gateway() -> None:
    (ingress,) = of_kind("Ingress").values()
    spec = ingress["spec"]
    tls_hosts = {h for t in spec["tls"] for h in t["hosts"]}
    assert all(t["secretName"] for t in spec["tls"])
    rule_hosts = {r["host"] for r in spec["rules"]}
    assert rule_hosts
    assert rule_hosts <= tls_hosts
    for rule in spec["rules"]:
        for path in rule["http"]["paths"]:
            assert path["backend"]["service"]["name"] == "gateway"
    assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/force-ssl-redirect"]
    assert public_config()["url"] == "https://" + next(iter(rule_hosts))


def test_every_service_survives_a_drain_and_starts_before_it_is_probed() -> None:
    deployments = of_kind("Deployment")
    budgets = {
        b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"]: b
        for b in of_kind("PodDisruptionBudget").values()
    }
    for service in SERVICES:
        d = deployments[service]
        assert d["spec"]["replicas"] >= 2, service
        assert budgets[service]["spec"]["minAvailable"] == 1, service
        assert budgets[service]["spec"]["minAvailable"] < d["spec"]["replicas"], service
        container = d["spec"]["template"]["spec"]["containers"][0]
        startup = container["startupProbe"]
        assert startup["httpGet"]["path"] == "/healthz", service
        # liveness waits for the start; the start may take a minute on a busy node
        assert startup["periodSeconds"] * startup["failureThreshold"] >= 60, service


def test_service_accounts_carry_no_token() -> None:
    accounts = of_kind("ServiceAccount")
    for name, pod in _pods():
        account = pod.get("serviceAccountName")
        assert account in accounts, name
        assert accounts[account]["automountServiceAccountToken"] is False, name
        assert pod["automountServiceAccountToken"] is False, name


def _pods() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for d in documents():
        template = d.get("spec", {}).get("template")
        if template:
            found.append(
                (d["metadata"].get("name") or d["metadata"]["generateName"], template["spec"])
            )
    return found


def test_prometheus_may_scrape_every_service() -> None:
    policy = of_kind("NetworkPolicy")["prometheus-scrapes-services"]["spec"]
    selected = policy["podSelector"]["matchExpressions"][0]
    assert selected["operator"] == "In"
    assert set(selected["values"]) == set(SERVICES)
    (rule,) = policy["ingress"]
    (source,) = rule["from"]
    assert source["namespaceSelector"]["matchLabels"]
    assert source["podSelector"]["matchLabels"]
    # every service's port is named http, the port the policy opens
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    for service in SERVICES:
        container = of_kind("Deployment")[service]["spec"]["template"]["spec"]["containers"][0]
        assert [p["name"] for p in container["ports"]] == ["http"], service


def _mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return float(number) * (1024 if unit == "Gi" else 1)


def measured_import_peak_mb() -> int:
    """The largest peak RSS growth of one import that bench/imports/RESULTS.md reports."""
    text = (ROOT / "bench" / "imports" / "RESULTS.md").read_text()
    figures = [
        int(n)
        for line in text.splitlines()
        if "peak RSS growth" in line
        for n in re.findall(r"(?<![\d.])(\d{3})(?= MB|,|$)", line)
    ]
    assert figures
    return max(figures)


def test_kpis_memory_holds_the_measured_import_peak() -> None:
    peak = measured_import_peak_mb()
    assert peak >= 400  # the 6.4M-row imports of stop 12: 482 MB
    # the kpis process itself after import (services.kpis.main): ~190 MB
    needed_mb = peak + 190
    resources = of_kind("Deployment")["kpis"]["spec"]["template"]["spec"]["containers"][0][
        "resources"
    ]
    assert _mebibytes(resources["requests"]["memory"]) * 1.048576 >= needed_mb
    assert _mebibytes(resources["limits"]["memory"]) >= _mebibytes(resources["requests"]["memory"])
    for name, d in of_kind("Deployment").items():
        container = d["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"]["requests"]["cpu"], name


CLUSTER_SPEC_FIELDS = {
    # https://cloudnative-pg.io/documentation/current/cloudnative-pg.v1/#postgresql-cnpg-io-v1-ClusterSpec
    "instances",
    "imageName",
    "primaryUpdateStrategy",
    "enableSuperuserAccess",
    "affinity",
    "postgresql",
    "bootstrap",
    "storage",
    "walStorage",
    "resources",
    "monitoring",
    "backup",
    "managed",
    "plugins",
}


def test_the_cloudnative_pg_cluster() -> None:
    docs = [d for d in yaml.safe_load_all(CNPG.read_text()) if d]
    kinds = {d["kind"]: d for d in docs}
    cluster = kinds["Cluster"]
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    spec = cluster["spec"]
    assert set(spec) <= CLUSTER_SPEC_FIELDS, set(spec) - CLUSTER_SPEC_FIELDS
    assert spec["instances"] >= 2  # a standby to fail over to
    assert spec["enableSuperuserAccess"] is False
    major = compose()["services"]["postgres"]["image"].split(":")[1]
    assert spec["imageName"].rsplit(":", 1)[1].split(".")[0] == major
    initdb = spec["bootstrap"]["initdb"]
    assert initdb["database"] == "platform"
    secret = kinds["Secret"]
    assert initdb["secret"]["name"] == secret["metadata"]["name"]
    assert secret["type"] == "kubernetes.io/basic-auth"
    assert secret["stringData"]["username"] == initdb["owner"]
    # the bootstrap's needs: an owner with CREATEROLE and CREATEDB, no superuser
    sql = " ".join(initdb["postInitApplicationSQL"]).upper()
    assert f"ALTER ROLE {initdb['owner'].upper()}" in sql
    assert "CREATEROLE" in sql
    assert "CREATEDB" in sql
    assert "SUPERUSER" not in sql
    assert re.fullmatch(r"\d+(Mi|Gi)", spec["storage"]["size"])


def test_what_kubernetes_validate_knows_of_the_postgres_files(tmp_path: Path) -> None:
    known = [
        d for d in yaml.safe_load_all(CNPG.read_text()) if d and "cnpg.io" not in d["apiVersion"]
    ]
    assert known
    out = tmp_path / "known.yaml"
    out.write_text(yaml.safe_dump_all(known))
    tool = Path(sys.executable).parent / "kubernetes-validate"
    result = subprocess.run(
        [str(tool), "--strict", "--quiet", str(out)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_service_can_be_given_a_trace_collector_and_none_is_set() -> None:
    services = compose()["services"]
    for service in SERVICES:
        variable = f"{service.upper()}_OTLP_ENDPOINT"
        assert services[service]["environment"][variable] == "${OTLP_ENDPOINT:-}", service
        container = of_kind("Deployment")[service]["spec"]["template"]["spec"]["containers"][0]
        ref = env_of(container)[variable]["valueFrom"]["configMapKeyRef"]
        assert ref["name"] == "platform-public", service
        assert public_config()[ref["key"]] == ""  # off until the operator names a collector


def test_compose_file_is_valid_against_the_compose_specification(tmp_path: Path) -> None:
    """The Compose Specification's JSON schema, as check-jsonschema vendors it (dev group):
    no Docker engine is needed. A broken copy is refused, so the check does check."""
    tool = Path(sys.executable).parent / "check-jsonschema"
    assert tool.exists(), "check-jsonschema is in the dev group: make lint installs it"

    def check(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(tool), "--builtin-schema", "vendor.compose-spec", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )

    result = check(ROOT / "docker-compose.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    broken = compose()
    broken["services"]["redis"]["healthcheck"]["retries"] = "many"
    broken["services"]["gateway"]["restart_policy"] = "always"
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken))
    assert check(path).returncode != 0
