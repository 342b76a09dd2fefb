"""The Helm chart helm/rapport, rendered by Helm's own engine (tests/deploy/helm.py) for the
default values and the two overrides in helm/rapport/ci/ (production, minimal), each
manifest validated offline against the Kubernetes schemas of the oldest Kubernetes the
chart supports and of the newest that kubernetes-validate knows.

The ServiceMonitor is a custom resource of the Prometheus Operator: kubernetes-validate
has schemas for the built-in kinds only, and its CRD is not vendored here, so its schema
is not checked; test_the_service_monitor_scrapes_the_http_port_of_the_api_service checks
what the chart puts in it instead.
"""

import json
import re
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from api.cli import build_parser
from tests.deploy.dockerfile import stages
from tests.deploy.helm import (
    CHART,
    NAMESPACE,
    RELEASE,
    HelmRefused,
    Manifest,
    Rendered,
    lint,
    render,
)

VALUES_FILES = {
    "default": None,
    "production": CHART / "ci" / "production-values.yaml",
    "minimal": CHART / "ci" / "minimal-values.yaml",
}
OLDEST_KUBERNETES = "1.27"  # Chart.yaml's kubeVersion
KUBERNETES = [OLDEST_KUBERNETES, kubernetes_validate.utils.latest_version()]
CUSTOM_RESOURCES = {"ServiceMonitor"}  # no schema in kubernetes-validate (module docstring)
PERIODIC_COMMANDS = {  # the CLI's jobs that README.md says to run on a schedule
    ("loyalty", "close-period"), ("loyalty", "expire-points"),
    ("partners", "close-period"), ("partners", "expire-grants"),
    ("partners", "prune-code-misses"),
}
POD_KINDS = {"Deployment", "Job", "CronJob"}
STANDARD_LABELS = {"app.kubernetes.io/name", "app.kubernetes.io/instance",
                   "app.kubernetes.io/version", "app.kubernetes.io/managed-by",
                   "helm.sh/chart"}


def _values(name: str) -> dict[str, Any]:
    path = VALUES_FILES[name]
    if path is None:
        return {}
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


def _rendered(name: str, **overrides: Any) -> Rendered:
    return render(_values(name) | overrides)


def _pod_spec(manifest: Manifest) -> dict[str, Any]:
    if manifest["kind"] == "CronJob":
        spec: dict[str, Any] = manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    else:
        spec = manifest["spec"]["template"]["spec"]
    return spec


def _pod_labels(manifest: Manifest) -> dict[str, str]:
    template = (manifest["spec"]["jobTemplate"]["spec"]["template"]
                if manifest["kind"] == "CronJob" else manifest["spec"]["template"])
    labels: dict[str, str] = template["metadata"]["labels"]
    return labels


def _pods(name: str) -> list[tuple[str, dict[str, Any]]]:
    return [(f'{m["kind"]}/{m["metadata"]["name"]}', _pod_spec(m))
            for m in render(_values(name)).manifests if m["kind"] in POD_KINDS]


def _serve(rendered: Rendered) -> dict[str, Any]:
    container: dict[str, Any] = _pod_spec(rendered.one("Deployment", RELEASE))["containers"][0]
    return container


def _secret_refs(rendered: Rendered) -> set[str]:
    return {source["secretRef"]["name"]
            for m in rendered.manifests if m["kind"] in POD_KINDS
            for container in _pod_spec(m)["containers"]
            for source in container.get("envFrom", []) if "secretRef" in source}


# ---- every values file ------------------------------------------------------------------

@pytest.mark.parametrize("values", VALUES_FILES)
def test_the_values_file_satisfies_the_values_schema(values: str) -> None:
    schema = json.loads((CHART / "values.schema.json").read_text())
    jsonschema.Draft7Validator(schema).validate(
        _values(values) or yaml.safe_load((CHART / "values.yaml").read_text()))


@pytest.mark.parametrize("kubernetes", KUBERNETES)
@pytest.mark.parametrize("values", VALUES_FILES)
def test_every_manifest_is_valid_against_the_kubernetes_schemas(
    values: str, kubernetes: str
) -> None:
    manifests = [m for m in render(_values(values)).manifests
                 if m["kind"] not in CUSTOM_RESOURCES]
    assert manifests
    for manifest in manifests:
        kubernetes_validate.validate(manifest, kubernetes, strict=True)


@pytest.mark.parametrize("values", VALUES_FILES)
def test_every_pod_runs_unprivileged_on_a_read_only_root_filesystem(values: str) -> None:
    for where, pod in _pods(values):
        assert pod["securityContext"]["runAsNonRoot"] is True, where
        assert pod["automountServiceAccountToken"] is False, where
        for container in pod["containers"] + pod.get("initContainers", []):
            context = container["securityContext"]
            assert context["runAsNonRoot"] is True, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["capabilities"]["drop"] == ["ALL"], where
            assert "add" not in context["capabilities"], where
            seccomp = context.get("seccompProfile") or pod["securityContext"]["seccompProfile"]
            assert seccomp == {"type": "RuntimeDefault"}, where


@pytest.mark.parametrize("values", VALUES_FILES)
def test_every_pod_writes_only_to_an_empty_dir_at_tmp(values: str) -> None:
    for where, pod in _pods(values):
        volumes = {v["name"]: v for v in pod["volumes"]}
        for container in pod["containers"]:
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts == {"/tmp": "tmp"}, where
        assert "emptyDir" in volumes["tmp"], where


@pytest.mark.parametrize("values", VALUES_FILES)
def test_every_resource_carries_the_standard_labels_and_the_release_namespace(
    values: str
) -> None:
    for manifest in render(_values(values)).manifests:
        metadata = manifest["metadata"]
        assert set(metadata["labels"]) >= STANDARD_LABELS, metadata["name"]
        assert metadata["labels"]["app.kubernetes.io/instance"] == RELEASE
        assert metadata["namespace"] == NAMESPACE, metadata["name"]


@pytest.mark.parametrize("values", VALUES_FILES)
def test_every_setting_in_the_config_is_one_rapport_reads(values: str) -> None:
    read = set(re.findall(r'"(RAPPORT_[A-Z0-9_]+)"',
                          (CHART.parents[1] / "infrastructure" / "settings.py").read_text()))
    config = render(_values(values)).one("ConfigMap")["data"]
    assert set(config) <= read


@pytest.mark.parametrize("values", VALUES_FILES)
def test_every_cronjob_runs_a_command_the_cli_knows(values: str) -> None:
    for cronjob in render(_values(values)).of_kind("CronJob"):
        args = _pod_spec(cronjob)["containers"][0]["args"]
        build_parser().parse_args(args)  # exits (SystemExit) on an unknown command


# ---- the chart and its schema -----------------------------------------------------------

def test_helm_lint_finds_no_warning() -> None:
    report = lint()
    assert report["errors"] == []
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_the_values_schema_is_a_valid_draft_07_schema() -> None:
    jsonschema.Draft7Validator.check_schema(json.loads((CHART / "values.schema.json").read_text()))


def test_helm_refuses_the_database_url_among_the_plain_settings() -> None:
    with pytest.raises(HelmRefused, match="RAPPORT_DATABASE_URL"):
        render({"config": {"RAPPORT_DATABASE_URL": "postgresql://rapport:secret@db/rapport"}})


def test_helm_refuses_values_that_relax_the_container_confinement() -> None:
    with pytest.raises(HelmRefused, match="readOnlyRootFilesystem"):
        render({"securityContext": {"readOnlyRootFilesystem": False}})


def test_the_pods_run_as_the_user_the_image_declares() -> None:
    uid, gid = (int(n) for n in stages()[-1].last("USER").arguments.split(":"))
    for where, pod in _pods("default"):
        context = pod["securityContext"]
        assert (context["runAsUser"], context["runAsGroup"]) == (uid, gid), where


# ---- the API: Deployment, Service, probes, scaling --------------------------------------

def test_the_api_is_started_and_alive_on_healthz_and_ready_on_readyz() -> None:
    serve = _serve(render())
    assert serve["args"] == ["serve"]
    assert serve["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert serve["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert serve["readinessProbe"]["httpGet"]["path"] == "/readyz"


def test_the_probes_and_the_service_reach_the_port_rapport_listens_on() -> None:
    rendered = render({"containerPort": 9000})
    serve = _serve(rendered)
    env = {e["name"]: e.get("value") for e in serve["env"]}
    assert (env["RAPPORT_HOST"], env["RAPPORT_PORT"]) == ("0.0.0.0", "9000")
    assert serve["ports"] == [{"name": "http", "containerPort": 9000, "protocol": "TCP"}]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert serve[probe]["httpGet"]["port"] == "http"
    assert rendered.one("Service")["spec"]["ports"][0]["targetPort"] == "http"


def test_the_service_selects_the_api_pods_only() -> None:
    rendered = render()
    selector = rendered.one("Service")["spec"]["selector"]
    for manifest in rendered.manifests:
        if manifest["kind"] in POD_KINDS:
            selected = selector.items() <= _pod_labels(manifest).items()
            assert selected == (manifest["kind"] == "Deployment"), manifest["metadata"]["name"]


def test_a_rollout_keeps_every_ready_pod_until_its_replacement_is_ready() -> None:
    deployment = render().one("Deployment", RELEASE)
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


def test_the_pods_roll_when_a_setting_or_the_secret_changes() -> None:
    def annotations(values: dict[str, Any]) -> dict[str, str]:
        deployment = render(values).one("Deployment", RELEASE)
        found: dict[str, str] = deployment["spec"]["template"]["metadata"]["annotations"]
        return found

    before = annotations({})
    assert annotations({"config": {"RAPPORT_LOG_LEVEL": "DEBUG"}})["checksum/config"] != (
        before["checksum/config"])
    assert annotations({"secretEnv": {"RAPPORT_DATABASE_URL": "postgresql://db/r"}})[
        "checksum/secret"] != before["checksum/secret"]


def test_the_autoscaler_owns_the_replica_count_when_enabled() -> None:
    rendered = _rendered("production")
    assert "replicas" not in rendered.one("Deployment", RELEASE)["spec"]
    hpa = rendered.one("HorizontalPodAutoscaler")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1", "kind": "Deployment", "name": RELEASE}
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 20)


def test_no_autoscaler_by_default() -> None:
    rendered = render()
    assert rendered.of_kind("HorizontalPodAutoscaler") == []
    assert rendered.one("Deployment", RELEASE)["spec"]["replicas"] == 2


def test_the_disruption_budget_covers_the_api_pods() -> None:
    rendered = render()
    budget = rendered.one("PodDisruptionBudget")
    selector = budget["spec"]["selector"]["matchLabels"]
    assert selector.items() <= _pod_labels(rendered.one("Deployment", RELEASE)).items()
    assert budget["spec"]["minAvailable"] == 1


@pytest.mark.parametrize("replicas", [
    {"replicaCount": 1},
    {"replicaCount": 3, "autoscaling": {"enabled": True, "minReplicas": 1}},
], ids=["one replica", "autoscaled down to one"])
def test_a_single_replica_gets_no_disruption_budget_that_would_block_node_drains(
    replicas: dict[str, Any]
) -> None:
    rendered = render(replicas | {"podDisruptionBudget": {"enabled": True}})
    assert rendered.of_kind("PodDisruptionBudget") == []


def test_the_ingress_sends_its_hosts_over_tls_to_the_api_service() -> None:
    rendered = _rendered("production")
    ingress = rendered.one("Ingress")
    assert ingress["spec"]["tls"] == [
        {"secretName": "crm-api-tls", "hosts": ["crm-api.example.com"]}]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": rendered.one("Service")["metadata"]["name"],
                       "port": {"name": "http"}}


def test_no_ingress_by_default() -> None:
    assert render().of_kind("Ingress") == []


def test_the_image_is_the_app_version_unless_a_digest_pins_it() -> None:
    assert _serve(render())["image"] == "rapport:0.1.0"
    assert _serve(_rendered("production"))["image"] == (
        "registry.example.com/crm/rapport@sha256:" + "0123456789abcdef" * 4)


# ---- settings and secrets ---------------------------------------------------------------

def test_the_settings_reach_the_pods_from_the_configmap_and_the_secret() -> None:
    rendered = render({"secretEnv": {"RAPPORT_DATABASE_URL": "postgresql://db/rapport"}})
    sources = _serve(rendered)["envFrom"]
    assert sources == [{"configMapRef": {"name": RELEASE}}, {"secretRef": {"name": RELEASE}}]
    assert rendered.one("ConfigMap")["data"]["RAPPORT_ENV"] == "production"
    assert set(rendered.one("Secret", RELEASE)["data"]) == {"RAPPORT_DATABASE_URL"}


def test_a_read_replica_url_goes_in_the_secret_beside_the_database_url() -> None:
    rendered = render({"secretEnv": {"RAPPORT_DATABASE_URL": "postgresql://db/rapport",
                                     "RAPPORT_READ_DATABASE_URL": "postgresql://db-ro/rapport"}})
    assert set(rendered.one("Secret", RELEASE)["data"]) == {
        "RAPPORT_DATABASE_URL", "RAPPORT_READ_DATABASE_URL"}


def test_an_existing_secret_replaces_the_charts_secret_everywhere() -> None:
    rendered = _rendered("production")
    assert rendered.of_kind("Secret") == []
    assert _secret_refs(rendered) == {"rapport-database"}


def test_the_notes_warn_when_no_database_is_configured() -> None:
    assert "no database is configured" in render().notes
    assert "no database is configured" not in _rendered("production").notes
    assert "no database is configured" not in _rendered("minimal").notes


# ---- migrations -------------------------------------------------------------------------

def _migrations(rendered: Rendered) -> dict[str, Any]:
    job: dict[str, Any] = rendered.one("Job", f"{RELEASE}-migrations")
    return job


def test_the_migrations_run_before_install_and_upgrade() -> None:
    job = _migrations(render())
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert _pod_spec(job)["containers"][0]["args"] == ["migrate"]
    assert _pod_spec(job)["restartPolicy"] == "Never"


def test_the_migrations_get_their_secret_from_a_hook_made_before_them() -> None:
    """A pre-install hook runs before the release's Secret exists: it has one of its own,
    with the same entries, made first (a lower weight) and deleted once the hooks pass."""
    rendered = render({"secretEnv": {"RAPPORT_DATABASE_URL": "postgresql://db/rapport"}})
    job = _migrations(rendered)
    hook_secret = rendered.one("Secret", f"{RELEASE}-migrations")
    annotations = hook_secret["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == job["metadata"]["annotations"]["helm.sh/hook"]
    assert int(annotations["helm.sh/hook-weight"]) < int(
        job["metadata"]["annotations"]["helm.sh/hook-weight"])
    assert "hook-succeeded" in annotations["helm.sh/hook-delete-policy"]
    assert hook_secret["data"] == rendered.one("Secret", RELEASE)["data"]
    assert _pod_spec(job)["containers"][0]["envFrom"] == [
        {"secretRef": {"name": f"{RELEASE}-migrations"}}]


def test_the_migrations_have_the_settings_of_the_pods() -> None:
    rendered = _rendered("production")
    env = {e["name"]: e["value"] for e in _pod_spec(_migrations(rendered))["containers"][0]["env"]
           if "value" in e}
    assert rendered.one("ConfigMap")["data"].items() <= env.items()


def test_the_migrations_run_as_the_namespace_default_account_until_the_chart_made_one() -> None:
    assert _pod_spec(_migrations(render()))["serviceAccountName"] == "default"
    external = render({"serviceAccount": {"create": False, "name": "crm-workload"}})
    assert _pod_spec(_migrations(external))["serviceAccountName"] == "crm-workload"


# ---- periodic jobs ----------------------------------------------------------------------

def test_each_periodic_command_is_a_cronjob_by_default() -> None:
    commands = {tuple(_pod_spec(c)["containers"][0]["args"]) for c in render().of_kind("CronJob")}
    assert commands == PERIODIC_COMMANDS


def test_the_cronjobs_never_overlap_and_keep_utc() -> None:
    for cronjob in render().of_kind("CronJob"):
        assert cronjob["spec"]["concurrencyPolicy"] == "Forbid"
        assert cronjob["spec"]["timeZone"] == "Etc/UTC"


def test_a_cronjob_takes_its_own_schedule_from_the_values() -> None:
    rendered = render({"cronJobs": {"jobs": {"partners-close-period": {
        "schedule": "0 6 2 * *", "args": ["partners", "close-period"]}}}})
    cronjob = rendered.one("CronJob", f"{RELEASE}-partners-close-period")
    assert cronjob["spec"]["schedule"] == "0 6 2 * *"


def test_a_cronjob_can_be_switched_off_alone() -> None:
    rendered = render({"cronJobs": {"jobs": {"loyalty-expire-points": {
        "enabled": False, "schedule": "20 0 * * *", "args": ["loyalty", "expire-points"]}}}})
    names = {c["metadata"]["name"] for c in rendered.of_kind("CronJob")}
    assert f"{RELEASE}-loyalty-expire-points" not in names
    assert len(names) == len(PERIODIC_COMMANDS) - 1


def test_the_minimal_release_has_no_cronjobs() -> None:
    assert _rendered("minimal").of_kind("CronJob") == []


# ---- the relay --------------------------------------------------------------------------

def test_the_relay_is_off_by_default() -> None:
    assert [d["metadata"]["name"] for d in render().of_kind("Deployment")] == [RELEASE]


def test_the_relay_runs_rapport_relay_beside_the_api_when_enabled() -> None:
    rendered = render({"relay": {"enabled": True}})
    relay = rendered.one("Deployment", f"{RELEASE}-relay")
    assert _pod_spec(relay)["containers"][0]["args"] == ["relay"]
    assert _pod_labels(relay)["app.kubernetes.io/component"] == "relay"


# ---- network policy and monitoring ------------------------------------------------------

def test_the_network_policy_admits_only_the_api_port() -> None:
    policy = render().one("NetworkPolicy")
    assert policy["spec"]["policyTypes"] == ["Ingress"]
    assert policy["spec"]["ingress"] == [{"ports": [{"port": "http", "protocol": "TCP"}]}]


def test_restricted_egress_still_allows_dns() -> None:
    policy = _rendered("production").one("NetworkPolicy")
    assert "Egress" in policy["spec"]["policyTypes"]
    first = policy["spec"]["egress"][0]["ports"]
    assert {(p["port"], p["protocol"]) for p in first} == {(53, "UDP"), (53, "TCP")}
    assert len(policy["spec"]["egress"]) == 4  # DNS, then the database, Redis, the collector


def test_the_minimal_release_has_no_network_policy() -> None:
    assert _rendered("minimal").of_kind("NetworkPolicy") == []


def test_no_service_monitor_by_default() -> None:
    assert render().of_kind("ServiceMonitor") == []


def test_the_service_monitor_scrapes_the_http_port_of_the_api_service() -> None:
    rendered = _rendered("production", serviceMonitor={
        "enabled": True, "labels": {"release": "kube-prometheus-stack"}})
    monitor, service = rendered.one("ServiceMonitor"), rendered.one("Service")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    ports = {p["name"] for p in service["spec"]["ports"]}
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == ["http"]
    assert ports == {"http"}
    assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"


def test_the_chart_directory_holds_the_files_a_chart_user_expects() -> None:
    expected = ["Chart.yaml", "values.yaml", "values.schema.json", "README.md",
                "templates/_helpers.tpl", "templates/NOTES.txt"]
    assert [name for name in expected if not (CHART / name).is_file()] == []


def test_the_kubernetes_schemas_refuse_a_misspelt_field() -> None:
    """The validation is strict (so the test above is not vacuous): an unknown field fails."""
    deployment = render().one("Deployment", RELEASE)
    container = _pod_spec(deployment)["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError, match="readinesProbe"):
        kubernetes_validate.validate(deployment, OLDEST_KUBERNETES, strict=True)
