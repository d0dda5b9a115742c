"""The deployment files, checked offline: docker-compose.yml by Debian's docker-compose
(`config`: the file is valid, and a required variable left unset stops it with its name),
and deploy/kubernetes/ by kubernetes-validate against the Kubernetes API's own schemas
(strict: an unknown field is an error), plus what the manifests must say: probes on
/healthz and /readyz, secrets only from Secret objects, memory requests and limits on
every container, an autoscaler for the api and Rasa, and a kustomization that applies
every manifest but the example Secret."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes_validate import validate
from kubernetes_validate.utils import ValidationError

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
KUBERNETES_VERSION = "1.30.0"
REQUIRED = {"POSTGRES_PASSWORD": "pg-password", "RASA_DB_PASSWORD": "rasa-password",
            "REDIS_PASSWORD": "redis-password", "PUBLIC_BASE_URL": "https://families.example.org"}


def compose_config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    docker_compose = shutil.which("docker-compose")
    if docker_compose is None:
        pytest.fail("docker-compose not found: run `make setup-test-system` (Debian's docker-compose package)")
    clean = {name: value for name, value in os.environ.items() if name not in REQUIRED}
    return subprocess.run([docker_compose, "-f", str(ROOT / "docker-compose.yml"), "config"], cwd=ROOT,
                          env={**clean, **env}, capture_output=True, text=True, timeout=60)


def test_compose_file_is_valid_with_its_required_settings():
    result = compose_config(REQUIRED)
    assert result.returncode == 0, result.stderr
    config = yaml.safe_load(result.stdout)
    assert {"entry", "api-1", "api-2", "rasa-1", "rasa-2", "actions", "db", "redis"} <= set(config["services"])
    for name, service in config["services"].items():
        assert "healthcheck" in service, f"{name} has no health check"
    assert config["services"]["rasa-1"]["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "pg-password" in config["services"]["api-1"]["environment"]["DATABASE_URL"]


@pytest.mark.parametrize("missing", sorted(REQUIRED))
def test_compose_stops_at_once_without_a_required_setting(missing):
    result = compose_config({name: value for name, value in REQUIRED.items() if name != missing})
    assert result.returncode != 0
    assert f"set {missing}" in result.stderr


def manifests() -> list[Path]:
    return sorted(path for path in KUBERNETES.glob("*.yaml") if path.name != "kustomization.yaml")


def resources(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


@pytest.mark.parametrize("path", manifests(), ids=lambda path: path.name)
def test_every_manifest_is_valid_kubernetes(path):
    for resource in resources(path):
        try:
            validate(resource, KUBERNETES_VERSION, strict=True)
        except ValidationError as error:
            pytest.fail(f"{path.name}: {resource['kind']}/{resource['metadata']['name']}: {error.message}")


def test_a_wrong_field_is_caught():
    api = next(r for r in resources(KUBERNETES / "api.yaml") if r["kind"] == "Deployment")
    api["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = []  # a typo
    with pytest.raises(ValidationError):
        validate(api, KUBERNETES_VERSION, strict=True)


def test_the_kustomization_applies_every_manifest_but_the_example_secret():
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text(encoding="utf-8"))
    listed = set(kustomization["resources"])
    assert listed == {path.name for path in manifests()} - {"secret.example.yaml"}


def workloads() -> dict[str, dict[str, Any]]:
    found = {}
    for path in manifests():
        for resource in resources(path):
            if resource["kind"] in ("Deployment", "StatefulSet"):
                found[resource["metadata"]["name"]] = resource
    return found


def test_probes_resources_and_secrets():
    every = workloads()
    assert set(every) == {"api", "rasa", "actions", "postgres", "redis"}
    api = every["api"]["spec"]["template"]["spec"]["containers"][0]
    assert api["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert api["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert every["api"]["spec"]["replicas"] >= 2 and every["rasa"]["spec"]["replicas"] >= 2
    for name, workload in every.items():
        spec = workload["spec"]["template"]["spec"]
        for container in spec["containers"] + spec.get("initContainers", []):
            assert container["resources"]["requests"]["memory"], name
            assert container["resources"]["limits"]["memory"], name
            if name != "redis":  # its port is all it has: a TCP probe
                assert "readinessProbe" in container or container in spec.get("initContainers", []), name
            for variable in container.get("env", []):
                secret_like = any(word in variable["name"] for word in ("PASSWORD", "SECRET", "TOKEN", "KEY"))
                assert not (secret_like and "value" in variable), f"{name}: {variable['name']} written in the file"
    rasa = every["rasa"]["spec"]["template"]["spec"]["containers"][0]
    assert "endpoints.docker.yml" in rasa["command"]  # the SQL tracker store and the Redis lock store


def test_the_api_and_rasa_scale_on_their_own():
    scaled = {r["spec"]["scaleTargetRef"]["name"] for r in resources(KUBERNETES / "autoscaling.yaml")}
    assert scaled == {"api", "rasa"}


def test_no_real_secret_is_in_the_repository():
    example = resources(KUBERNETES / "secret.example.yaml")[0]
    assert all(value in ("changethis", "+15005550006") or "changethis" in value
               for value in example["stringData"].values())
