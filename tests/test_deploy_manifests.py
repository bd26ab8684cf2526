"""deploy/: the Dockerfile, the kustomize base and the local overlay agree on what each service is.

The manifests are rendered with `kubectl kustomize` (kubectl must be installed:
a missing kubectl fails these tests, it does not skip them) and checked against
each service's port, probes, image, environment and autoscaler.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from aigw_runtime.config import parse_config

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
BASE = DEPLOY / "kustomize" / "base"
LOCAL = DEPLOY / "kustomize" / "overlays" / "local"

Doc = dict[str, Any]


@dataclass(frozen=True)
class ServiceSpec:
    """What the manifests must say about one aigw service."""

    name: str
    grpc_port: int
    addr_env: str
    member_dir: str
    uses_database: bool = False
    uses_redis: bool = False

    @property
    def image(self) -> str:
        return f"aigw-{self.name}"


SERVICES = {
    spec.name: spec
    for spec in (
        ServiceSpec("edge", 50050, "AIGW_EDGE_GRPC_ADDR", "edge"),
        ServiceSpec("auth", 50051, "AIGW_AUTH_ADDR", "services/auth", uses_database=True, uses_redis=True),
        ServiceSpec("router", 50052, "AIGW_ROUTER_ADDR", "services/router"),
        ServiceSpec("cache", 50053, "AIGW_CACHE_ADDR", "services/cache", uses_redis=True),
        ServiceSpec(
            "metering", 50054, "AIGW_METERING_ADDR", "services/metering", uses_database=True, uses_redis=True
        ),
    )
}
GRPC_BACKENDS = [name for name in SERVICES if name != "edge"]
EDGE_HTTP_PORT = 8080
CONFIG_PATH = "/etc/aigw/config.yaml"
SECRET = "aigw-secrets"
LOCAL_DATABASE_URL = "postgresql://aigw:aigw@postgres:5432/aigw"
LOCAL_REDIS_URL = "redis://redis:6379/0"
LOCAL_OTLP_ENDPOINT = "http://jaeger:4317"


# ---------------------------------------------------------------- rendering


class Manifests:
    """One rendered kustomization, looked up by kind and name."""

    def __init__(self, docs: list[Doc]) -> None:
        self.docs = docs

    def of_kind(self, kind: str) -> list[Doc]:
        return [doc for doc in self.docs if doc["kind"] == kind]

    def get(self, kind: str, name: str) -> Doc:
        found = [doc for doc in self.of_kind(kind) if doc["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} named {name!r}, found {len(found)}"
        return found[0]

    def workloads(self) -> list[Doc]:
        return [doc for doc in self.docs if doc["kind"] in ("Deployment", "StatefulSet")]

    def selected_by(self, service: str) -> list[Doc]:
        """The workloads whose pods the Service named `service` selects."""
        selector = self.get("Service", service)["spec"]["selector"].items()
        return [w for w in self.workloads() if selector <= pod_labels(w).items()]

    def container(self, deployment: str) -> Doc:
        return container_named(self.get("Deployment", deployment), deployment)


def render(directory: Path) -> Manifests:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is not installed; it renders deploy/kustomize (`kubectl kustomize`)")
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, f"kubectl kustomize {directory} failed:\n{result.stderr}"
    return Manifests([doc for doc in yaml.safe_load_all(result.stdout) if doc])


@pytest.fixture(scope="module")
def base() -> Manifests:
    return render(BASE)


@pytest.fixture(scope="module")
def local() -> Manifests:
    return render(LOCAL)


@pytest.fixture(scope="module", params=["base", "local"])
def rendered(request: pytest.FixtureRequest) -> Manifests:
    """Each of the two renders, for what must hold in both."""
    manifests: Manifests = request.getfixturevalue(request.param)
    return manifests


def pod_labels(workload: Doc) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def pod_spec(workload: Doc) -> Doc:
    spec: Doc = workload["spec"]["template"]["spec"]
    return spec


def container_named(workload: Doc, name: str) -> Doc:
    found = [c for c in pod_spec(workload)["containers"] if c["name"] == name]
    assert len(found) == 1, f"{workload['metadata']['name']}: expected one container named {name!r}"
    return found[0]


def all_containers(workload: Doc) -> Iterator[Doc]:
    yield from pod_spec(workload).get("initContainers", [])
    yield from pod_spec(workload)["containers"]


def env_of(container: Doc) -> dict[str, Doc]:
    """The container's env entries by name; a name set twice is a mistake."""
    names = [entry["name"] for entry in container.get("env", [])]
    duplicates = {name for name in names if names.count(name) > 1}
    assert not duplicates, f"{container['name']}: env set twice: {sorted(duplicates)}"
    return {entry["name"]: entry for entry in container.get("env", [])}


def literal(container: Doc, name: str) -> str:
    entry = env_of(container).get(name)
    assert entry is not None, f"{container['name']}: {name} is not set"
    assert "valueFrom" not in entry, f"{container['name']}: {name} has a value and a valueFrom"
    value: str = entry["value"]
    return value


def secret_key(container: Doc, name: str) -> tuple[str, str]:
    entry = env_of(container).get(name)
    assert entry is not None, f"{container['name']}: {name} is not set"
    assert "value" not in entry, f"{container['name']}: {name} has a value and a valueFrom"
    ref = entry["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def ports_by_name(container: Doc) -> dict[str, int]:
    return {port["name"]: port["containerPort"] for port in container.get("ports", [])}


def image_name(image: str) -> str:
    """`registry/aigw-auth:tag` -> `aigw-auth`."""
    return image.rsplit("/", 1)[-1].split("@")[0].split(":")[0]


# ----------------------------------------------------------- the Dockerfile


@dataclass
class Stage:
    name: str
    parent: str
    instructions: list[tuple[str, str]]

    def args(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]


def parse_dockerfile(text: str) -> dict[str, Stage]:
    """The named stages (`FROM <parent> AS <name>`) and their instructions, continuations joined."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    stages: dict[str, Stage] = {}
    current: Stage | None = None
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            match = re.fullmatch(r"(?:--\S+\s+)*(\S+)\s+AS\s+(\S+)", args.strip(), re.IGNORECASE)
            assert match, f"every stage is named: {line!r}"
            current = Stage(name=match.group(2), parent=match.group(1), instructions=[])
            stages[current.name] = current
        elif current is not None:
            current.instructions.append((keyword, " ".join(args.split())))
    return stages


@pytest.fixture(scope="module")
def stages() -> dict[str, Stage]:
    return parse_dockerfile((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))


def lineage(stages: dict[str, Stage], name: str) -> list[Stage]:
    """The stage and its parents that are stages of this file, nearest first."""
    chain = []
    while name in stages:
        chain.append(stages[name])
        name = stages[name].parent
    return chain


def venv_build_stage(stages: dict[str, Stage], target: str) -> Stage:
    venv_copy = re.compile(r"--from=(\S+)\s+/app/\.venv")
    sources = [m.group(1) for args in stages[target].args("COPY") if (m := venv_copy.search(args))]
    assert len(sources) == 1, f"target {target} copies one virtual environment, found {sources}"
    return stages[sources[0]]


@pytest.mark.parametrize("name", SERVICES)
def test_dockerfile_has_a_target_that_serves_each_service(stages: dict[str, Stage], name: str) -> None:
    assert name in stages, f"no `FROM ... AS {name}` stage"
    entrypoints = [args for stage in lineage(stages, name) for args in stage.args("ENTRYPOINT")]
    assert entrypoints, f"target {name} has no ENTRYPOINT"
    assert json.loads(entrypoints[0]) == ["aigw", "serve", name]
    exposed = {int(port.split("/")[0]) for args in stages[name].args("EXPOSE") for port in args.split()}
    expected = {SERVICES[name].grpc_port} | ({EDGE_HTTP_PORT} if name == "edge" else set())
    assert exposed == expected


@pytest.mark.parametrize("name", SERVICES)
def test_each_image_installs_only_its_own_member_from_the_lock(stages: dict[str, Stage], name: str) -> None:
    build = venv_build_stage(stages, name)
    syncs = [args for args in build.args("RUN") if "uv sync" in args]
    assert syncs, f"{build.name} runs no `uv sync`"
    for sync in syncs:
        flags = sync.split()
        assert {"--frozen", "--no-dev"} <= set(flags), sync
        assert flags[flags.index("--package") + 1] == f"aigw-{name}", sync
    assert "--no-editable" in syncs[-1], "the final sync installs wheels, so the image needs no sources"
    copied_sources = {args.split()[0] for args in build.args("COPY") if not args.startswith("--")}
    assert copied_sources == {"runtime", SERVICES[name].member_dir}


@pytest.mark.parametrize("name", SERVICES)
def test_each_image_runs_as_a_numeric_non_root_user(stages: dict[str, Stage], name: str) -> None:
    users = [args for stage in lineage(stages, name) for args in stage.args("USER")]
    assert users, f"target {name} never sets USER"
    uid = users[0].split(":")[0]
    assert uid.isdigit() and int(uid) != 0


# ------------------------------------------------------ the five services


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_has_a_deployment_a_service_and_an_autoscaler(rendered: Manifests, name: str) -> None:
    deployment = rendered.get("Deployment", name)
    service = rendered.get("Service", name)
    hpa = rendered.get("HorizontalPodAutoscaler", name)

    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
    assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    [metric] = hpa["spec"]["metrics"]
    assert metric["type"] == "Resource"
    assert metric["resource"]["name"] == "cpu"
    assert metric["resource"]["target"]["type"] == "Utilization"
    # The autoscaler owns the replica count.
    assert "replicas" not in deployment["spec"]
    labels = pod_labels(deployment)
    assert labels["app.kubernetes.io/name"] == "aigw"
    assert labels["app.kubernetes.io/component"] == name
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]


def test_deployment_selectors_match_their_pod_labels(rendered: Manifests) -> None:
    for workload in rendered.workloads():
        selector = workload["spec"]["selector"]["matchLabels"]
        assert selector, workload["metadata"]["name"]
        assert selector.items() <= pod_labels(workload).items(), workload["metadata"]["name"]


def test_every_service_selects_pods_that_expose_its_target_ports(rendered: Manifests) -> None:
    for service in rendered.of_kind("Service"):
        name = service["metadata"]["name"]
        pods = rendered.selected_by(name)
        assert len(pods) == 1, f"Service {name} selects {len(pods)} workloads"
        container_ports: dict[str, int] = {}
        for container in pod_spec(pods[0])["containers"]:
            container_ports.update(ports_by_name(container))
        for port in service["spec"]["ports"]:
            target = port["targetPort"]
            if isinstance(target, str):
                assert target in container_ports, f"Service {name}: no container port named {target!r}"
                target = container_ports[target]
            assert target in container_ports.values(), f"Service {name}: no container listens on {target}"
            assert target == port["port"], f"Service {name}: port {port['port']} forwards to {target}"


@pytest.mark.parametrize("name", GRPC_BACKENDS)
def test_grpc_services_listen_on_all_interfaces_and_probe_grpc_health(rendered: Manifests, name: str) -> None:
    spec = SERVICES[name]
    container = rendered.container(name)

    assert ports_by_name(container) == {"grpc": spec.grpc_port}
    assert literal(container, spec.addr_env) == f"0.0.0.0:{spec.grpc_port}"
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"]["port"] == spec.grpc_port, probe
    assert rendered.get("Service", name)["spec"]["ports"] == [
        {"name": "grpc", "port": spec.grpc_port, "targetPort": "grpc", "protocol": "TCP"}
    ]


def test_edge_serves_http_and_grpc_and_probes_healthz_and_readyz(rendered: Manifests) -> None:
    edge = rendered.container("edge")

    assert ports_by_name(edge) == {"http": EDGE_HTTP_PORT, "grpc": SERVICES["edge"].grpc_port}
    assert literal(edge, "AIGW_HTTP_HOST") == "0.0.0.0"
    assert literal(edge, "AIGW_HTTP_PORT") == str(EDGE_HTTP_PORT)
    assert literal(edge, "AIGW_EDGE_GRPC_ADDR") == "0.0.0.0:50050"
    assert edge["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert edge["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}


@pytest.mark.parametrize("name", GRPC_BACKENDS)
def test_edge_dials_each_dependency_by_its_service_name(rendered: Manifests, name: str) -> None:
    spec = SERVICES[name]
    host, port = literal(rendered.container("edge"), spec.addr_env).split(":")
    assert (host, int(port)) == (name, spec.grpc_port)
    assert spec.grpc_port in [p["port"] for p in rendered.get("Service", host)["spec"]["ports"]]


@pytest.mark.parametrize("name", SERVICES)
def test_each_deployment_runs_the_image_target_that_serves_it(
    rendered: Manifests, stages: dict[str, Stage], name: str
) -> None:
    container = rendered.container(name)

    assert image_name(container["image"]) == SERVICES[name].image
    # The image's ENTRYPOINT (`aigw serve <name>`) is what runs.
    assert "command" not in container and "args" not in container
    assert json.loads(stages[name].args("ENTRYPOINT")[0]) == ["aigw", "serve", name]


@pytest.mark.parametrize("name", SERVICES)
def test_each_pod_stops_within_its_grace_period(rendered: Manifests, name: str) -> None:
    deployment = rendered.get("Deployment", name)
    container = rendered.container(name)

    drain_s = float(literal(container, "AIGW_SHUTDOWN_GRACE_S"))
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert pod_spec(deployment)["terminationGracePeriodSeconds"] >= int(pre_stop[1]) + drain_s + 5


def test_every_container_has_resource_requests_and_limits(rendered: Manifests) -> None:
    for workload in rendered.workloads():
        for container in all_containers(workload):
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= container["resources"][bound].keys(), (
                    f"{workload['metadata']['name']}/{container['name']} lacks {bound}"
                )


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_reads_the_mounted_gateway_config(rendered: Manifests, name: str) -> None:
    deployment = rendered.get("Deployment", name)
    container = rendered.container(name)

    assert literal(container, "AIGW_CONFIG") == CONFIG_PATH
    volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
    mounts = [m for m in container["volumeMounts"] if m["mountPath"] == str(Path(CONFIG_PATH).parent)]
    assert len(mounts) == 1 and "subPath" not in mounts[0]
    assert volumes[mounts[0]["name"]]["configMap"]["name"] == "aigw-config"


def test_example_config_routes_gpt_4o_mini_to_openai_by_reference(rendered: Manifests) -> None:
    text = rendered.get("ConfigMap", "aigw-config")["data"][Path(CONFIG_PATH).name]
    config = parse_config(text, "aigw-config/config.yaml")

    [model] = [m for m in config.models if m.name == "gpt-4o-mini"]
    provider = config.provider(model.deployments[0].provider)
    assert provider.type == "openai"
    assert provider.api_key == "env:OPENAI_API_KEY"


def test_secrets_reach_only_the_services_that_need_them(rendered: Manifests) -> None:
    keys = rendered.get("Secret", SECRET)["stringData"].keys()
    assert {"ADMIN_KEY", "KEY_HASH_SECRET", "OPENAI_API_KEY"} <= keys

    auth, router = rendered.container("auth"), rendered.container("router")
    assert secret_key(auth, "AIGW_ADMIN_KEY") == (SECRET, "ADMIN_KEY")
    assert secret_key(auth, "AIGW_KEY_HASH_SECRET") == (SECRET, "KEY_HASH_SECRET")
    assert secret_key(router, "OPENAI_API_KEY") == (SECRET, "OPENAI_API_KEY")
    for name in SERVICES:
        env = env_of(rendered.container(name)).keys()
        assert ("AIGW_ADMIN_KEY" in env) == (name == "auth"), name
        assert ("OPENAI_API_KEY" in env) == (name == "router"), name
        assert ("AIGW_DATABASE_URL" in env) == SERVICES[name].uses_database, name
        assert ("AIGW_REDIS_URL" in env) == SERVICES[name].uses_redis, name


@pytest.mark.parametrize("name", [n for n, spec in SERVICES.items() if spec.uses_database])
def test_services_with_tables_migrate_before_serving(rendered: Manifests, name: str) -> None:
    deployment = rendered.get("Deployment", name)
    [migrate] = pod_spec(deployment).get("initContainers", [])

    assert migrate["command"] == ["aigw", "migrate"]
    assert migrate["image"] == rendered.container(name)["image"]
    assert "AIGW_DATABASE_URL" in env_of(migrate)


def test_base_reads_datastore_urls_from_the_secret(base: Manifests) -> None:
    for name, spec in SERVICES.items():
        container = base.container(name)
        if spec.uses_database:
            assert secret_key(container, "AIGW_DATABASE_URL") == (SECRET, "DATABASE_URL")
        if spec.uses_redis:
            assert secret_key(container, "AIGW_REDIS_URL") == (SECRET, "REDIS_URL")


# -------------------------------------------------------- the local overlay


@pytest.mark.parametrize(
    ("service", "image", "ports"),
    [
        ("postgres", "postgres:16", {5432}),
        ("redis", "redis:7", {6379}),
        ("jaeger", "jaegertracing/", {4317, 16686}),
    ],
)
def test_local_overlay_runs_postgres_redis_and_jaeger(
    local: Manifests, service: str, image: str, ports: set[int]
) -> None:
    [workload] = local.selected_by(service)
    [container] = pod_spec(workload)["containers"]

    assert container["image"].startswith(image)
    assert ports <= {p["port"] for p in local.get("Service", service)["spec"]["ports"]}
    assert "readinessProbe" in container


@pytest.mark.parametrize("name", SERVICES)
def test_local_overlay_points_services_at_its_datastores_and_jaeger(local: Manifests, name: str) -> None:
    spec = SERVICES[name]
    deployment = local.get("Deployment", name)
    container = local.container(name)

    assert literal(container, "OTEL_EXPORTER_OTLP_ENDPOINT") == LOCAL_OTLP_ENDPOINT
    if spec.uses_redis:
        assert literal(container, "AIGW_REDIS_URL") == LOCAL_REDIS_URL
    if spec.uses_database:
        for each in all_containers(deployment):
            assert literal(each, "AIGW_DATABASE_URL") == LOCAL_DATABASE_URL, each["name"]


def test_local_overlay_uses_dev_images_in_its_own_namespace(local: Manifests) -> None:
    assert [ns["metadata"]["name"] for ns in local.of_kind("Namespace")] == ["aigw"]
    for doc in local.docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == "aigw", doc["metadata"]["name"]
    for name, spec in SERVICES.items():
        assert local.container(name)["image"] == f"{spec.image}:dev"
