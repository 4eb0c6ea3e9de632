"""The Kubernetes manifests pass a cluster's policy (issue 22, item 4): schema-valid with
``kubernetes-validate --strict``, and every pod admitted by Pod Security "restricted"
(https://kubernetes.io/docs/concepts/security/pod-security-standards/), checked rule by rule
here since no cluster runs in CI; plus what a rollout needs of them."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
MANIFESTS = sorted(K8S.rglob("*.yaml"))

#: Volume types "restricted" allows (everything else, hostPath first, is refused).
ALLOWED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")


def documents() -> list[dict[str, Any]]:
    return [d for p in MANIFESTS for d in yaml.safe_load_all(p.read_text()) if d]


def pod_specs() -> Iterator[tuple[str, dict[str, Any]]]:
    """Every pod template: Deployments, Jobs, CronJobs (and any other workload with one)."""
    for d in documents():
        spec = d.get("spec", {})
        if d["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        if "template" in spec:
            name = d["metadata"].get("name") or d["metadata"]["generateName"]
            yield f"{d['kind']}/{name}", spec["template"]["spec"]


def containers(pod: dict[str, Any]) -> list[dict[str, Any]]:
    return [*pod.get("initContainers", []), *pod["containers"], *pod.get("ephemeralContainers", [])]


POD_IDS = [name for name, _ in pod_specs()]


def test_there_are_pods_to_check() -> None:
    kinds = {name.split("/")[0] for name in POD_IDS}
    assert {"Deployment", "Job"} <= kinds
    assert len(POD_IDS) >= 5


def test_manifests_pass_kubernetes_validate_strict() -> None:
    tool = Path(sys.executable).parent / "kubernetes-validate"
    assert tool.exists(), "kubernetes-validate is in the dev group: make lint installs it"
    result = subprocess.run(
        [str(tool), "--strict", "--quiet", *map(str, MANIFESTS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("name", "pod"), list(pod_specs()), ids=POD_IDS)
def test_every_pod_meets_the_restricted_profile(name: str, pod: dict[str, Any]) -> None:
    pod_sc = pod.get("securityContext", {})
    for key in HOST_NAMESPACES:
        assert not pod.get(key), f"{name}: {key}"
    for volume in pod.get("volumes", []):
        kinds = set(volume) - {"name"}
        assert kinds <= ALLOWED_VOLUMES, f"{name}: volume {volume['name']} is {kinds}"
    assert pod_sc.get("runAsUser", 1) != 0, name
    for c in containers(pod):
        where = f"{name} container {c['name']}"
        sc = c.get("securityContext", {})
        assert not sc.get("privileged"), where
        assert sc.get("allowPrivilegeEscalation") is False, where
        caps = sc.get("capabilities", {})
        assert "ALL" in caps.get("drop", []), where
        assert set(caps.get("add", [])) <= {"NET_BIND_SERVICE"}, where
        assert sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot")) is True, where
        assert sc.get("runAsUser", pod_sc.get("runAsUser", 1)) != 0, where
        seccomp = sc.get("seccompProfile", pod_sc.get("seccompProfile", {}))
        assert seccomp.get("type") in ("RuntimeDefault", "Localhost"), where
        for port in c.get("ports", []):
            assert not port.get("hostPort"), where
        assert "procMount" not in sc or sc["procMount"] == "Default", where


@pytest.mark.parametrize(("name", "pod"), list(pod_specs()), ids=POD_IDS)
def test_every_pod_is_read_only_with_a_sized_writable_tmp_and_resources(
    name: str, pod: dict[str, Any]
) -> None:
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for c in pod["containers"]:
        where = f"{name} container {c['name']}"
        assert c["securityContext"].get("readOnlyRootFilesystem") is True, where
        resources = c.get("resources", {})
        assert {"cpu", "memory"} <= set(resources.get("requests", {})), where
        assert "memory" in resources.get("limits", {}), where
        mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        tmp = env.get("TMPDIR", "/tmp")
        assert tmp in mounts, f"{where}: no writable volume at TMPDIR ({tmp})"
        assert volumes[mounts[tmp]]["emptyDir"].get("sizeLimit"), where
        for variable in ("KPIS_UPLOAD_DIR", "KPIS_TEMP_DIR"):
            if variable in env:
                folder = Path(env[variable])
                assert any(folder == Path(m) or Path(m) in folder.parents for m in mounts), (
                    f"{where}: {variable} is on the read-only root filesystem"
                )


def test_the_bootstrap_job_never_blocks_the_next_rollout() -> None:
    jobs = [d for d in documents() if d["kind"] == "Job"]
    assert jobs
    for job in jobs:
        # a fixed name makes the next rollout's apply fail (a Job's template is immutable)
        # or silently keep the old, finished Job: every rollout creates its own
        assert "name" not in job["metadata"]
        assert job["metadata"]["generateName"]
        assert job["spec"]["ttlSecondsAfterFinished"] > 0
        assert job["spec"].get("activeDeadlineSeconds")
        # `kubectl apply` refuses generateName: the Job lives apart from what is applied
        assert not any(p.parent == K8S for p in MANIFESTS if "kind: Job" in p.read_text())


def test_every_referenced_config_map_is_shipped() -> None:
    shipped = {d["metadata"]["name"] for d in documents() if d["kind"] == "ConfigMap"}
    referenced = set()
    for _, pod in pod_specs():
        for c in containers(pod):
            for e in c.get("env", []):
                ref = e.get("valueFrom", {}).get("configMapKeyRef")
                if ref:
                    referenced.add(ref["name"])
                    keys = next(
                        d["data"]
                        for d in documents()
                        if d["kind"] == "ConfigMap" and d["metadata"]["name"] == ref["name"]
                    )
                    assert ref["key"] in keys, ref
    assert referenced
    assert referenced <= shipped


def test_no_authority_is_written_into_the_deployment_files() -> None:
    for path in [*MANIFESTS, ROOT / "docker-compose.yml"]:
        assert "WIRRAL" not in path.read_text().upper(), path


def test_production_pods_serve_no_docs() -> None:
    for d in documents():
        if d["kind"] != "Deployment" or d["metadata"]["name"] == "redis":
            continue
        env = {
            e["name"]: e.get("value") for e in d["spec"]["template"]["spec"]["containers"][0]["env"]
        }
        prefix = d["metadata"]["name"].upper()
        assert env[f"{prefix}_PROFILE"] == "production"
        assert env.get(f"{prefix}_DOCS_ENABLED") in (None, "false")
