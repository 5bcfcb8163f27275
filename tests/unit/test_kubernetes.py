"""deploy/kubernetes, read as the cluster would read it (no cluster runs here): only variables the
service reads, no secret in the ConfigMap, probes on routes the service has and on the port it
listens on, and the Service, autoscaler and disruption budget all aimed at the Deployment."""

from __future__ import annotations

from pathlib import Path

import yaml

from commentsvc.app import create_app
from commentsvc.config import Settings, known_variables, load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
# Settings that are secrets, or hold one (a URL with its password): never in the ConfigMap.
SECRET_VARIABLES = {
    "COMMENTSVC_DATABASE_URL",
    "COMMENTSVC_DATABASE_REPLICA_URLS",
    "COMMENTSVC_JWT_SECRET",
    "COMMENTSVC_METRICS_TOKEN",
    "COMMENTSVC_SMTP_URL",
}


def manifests() -> dict[str, dict]:
    """Every object, by kind (one of each)."""
    found: dict[str, dict] = {}
    for path in sorted(DEPLOY.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            assert document["kind"] not in found, f"two {document['kind']} objects"
            found[document["kind"]] = document
    return found


OBJECTS = manifests()
CONFIG = OBJECTS["ConfigMap"]["data"]


def pod_of(kind: str) -> dict:
    return OBJECTS[kind]["spec"]["template"]["spec"]


def variables_of(container: dict) -> set[str]:
    named = {item["name"] for item in container.get("env", [])}
    for source in container.get("envFrom", []):
        assert source["configMapRef"]["name"] == OBJECTS["ConfigMap"]["metadata"]["name"]
        named |= set(CONFIG)
    return named


def test_every_object_the_kustomization_lists_is_there_and_nothing_else():
    listed = {DEPLOY / name for name in OBJECTS["Kustomization"]["resources"]}
    assert listed == set(DEPLOY.glob("*.yaml")) - {DEPLOY / "kustomization.yaml"}


def test_every_variable_set_is_one_the_service_reads_and_the_required_ones_are_set():
    for kind in ("Deployment", "Job"):
        [container] = pod_of(kind)["containers"]
        named = variables_of(container)
        assert named <= known_variables(), (kind, named - known_variables())
        assert {"COMMENTSVC_DATABASE_URL", "COMMENTSVC_JWT_SECRET", "COMMENTSVC_ENV"} <= named, kind


def test_secrets_come_from_the_secret_never_from_the_config_map():
    assert not SECRET_VARIABLES & set(CONFIG)
    [container] = pod_of("Deployment")["containers"]
    for item in container["env"]:
        assert item["name"] in SECRET_VARIABLES
        assert item["valueFrom"]["secretKeyRef"]["name"] == "commentsvc-secrets"
    assert SECRET_VARIABLES == {item["name"] for item in container["env"]}


def test_the_config_map_is_a_valid_production_configuration():
    settings = load_settings({**CONFIG, "COMMENTSVC_JWT_SECRET": "x" * 48})
    assert settings.is_production
    assert settings.workers == int(
        float(pod_of("Deployment")["containers"][0]["resources"]["requests"]["cpu"])
    )


def test_the_probes_hit_routes_the_service_has_on_the_port_it_listens_on():
    [container] = pod_of("Deployment")["containers"]
    [port] = container["ports"]
    assert port["containerPort"] == load_settings({**CONFIG, "COMMENTSVC_ENV": "development"}).port
    paths = {route.path for route in create_app(Settings()).routes}
    probes = {
        name: container[name]["httpGet"] for name in ("livenessProbe", "readinessProbe", "startupProbe")
    }
    assert probes["livenessProbe"]["path"] == probes["startupProbe"]["path"] == "/healthz"
    assert probes["readinessProbe"]["path"] == "/readyz"
    for probe in probes.values():
        assert probe["path"] in paths
        assert probe["port"] == port["name"]
    [service_port] = OBJECTS["Service"]["spec"]["ports"]
    assert service_port["targetPort"] == port["name"]


def test_service_autoscaler_and_budget_aim_at_the_deployment():
    deployment = OBJECTS["Deployment"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert OBJECTS["Service"]["spec"]["selector"].items() <= labels.items()
    assert OBJECTS["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    target = OBJECTS["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    # Disruptions leave a pod serving: the budget is below the autoscaler's least.
    assert (
        OBJECTS["PodDisruptionBudget"]["spec"]["minAvailable"]
        < OBJECTS["HorizontalPodAutoscaler"]["spec"]["minReplicas"]
    )


def test_the_pods_serve_and_the_job_migrates_and_every_pod_sees_the_same_uploads():
    assert pod_of("Deployment")["containers"][0]["command"] == ["commentsvc", "serve"]
    assert pod_of("Job")["containers"][0]["command"] == ["commentsvc", "migrate"]
    [mount] = pod_of("Deployment")["containers"][0]["volumeMounts"]
    assert mount["mountPath"] == CONFIG["COMMENTSVC_IMPORT_DIR"]
    [volume] = pod_of("Deployment")["volumes"]
    claim = OBJECTS["PersistentVolumeClaim"]
    assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
