"""``deploy/``: the image recipe, the compose file and the Kubernetes manifests.

Docker and a cluster are not at hand where the suite runs, so each file is read and checked
for what a deployment relies on: the image runs ``serve`` as an unprivileged user and its
health check really asks ``/healthz`` (run here against the real server), compose starts two
replicas behind a balancer that names both, and every Kubernetes manifest passes the API's
own schema (``kubernetes-validate``, Kubernetes 1.30, strict, offline) and fits with the others.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from aiohttp import web

from adapters.slack.app import SHUTDOWN_GRACE_SECONDS
from bot.settings import PLATFORM_CREDENTIALS, Settings, SettingsError, load_settings
from surveys.program_file import load_program
from tests.deploy_files import (
    MissingVariable,
    Stage,
    caddyfile,
    dockerfile_stages,
    dockerignore_excludes,
    env_file,
    exec_form,
    healthcheck,
    interpolate,
    variables_used,
)
from tests.support import MONDAY_MORNING, ROOT, base_env, free_port, running_server, serving

DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
KUBERNETES_VERSION = "1.30"
SECRET_SETTINGS = {
    "LEARNPULSE_SECRET_KEY",
    "DATABASE_URL",
    "TEAMS_TENANT_ID",
    *PLATFORM_CREDENTIALS,
}
SETTING_NAMES = {str(f.alias) for f in Settings.model_fields.values()}
# Read by the libraries the server uses rather than by Settings.
LIBRARY_SETTINGS = {"MPLCONFIGDIR"}


# --- the image ----------------------------------------------------------------------------------


def stages() -> list[Stage]:
    return dockerfile_stages((DEPLOY / "Dockerfile").read_text(encoding="utf-8"))


def final_stage() -> Stage:
    return stages()[-1]


def image_uid() -> int:
    user = final_stage().all("USER")[-1].arguments
    return int(user.split(":")[0])


def test_image_builds_on_a_slim_official_python_311_or_newer() -> None:
    named = {stage.name for stage in stages() if stage.name}
    bases = [stage.base for stage in stages() if stage.base not in named]
    assert bases
    for base in bases:
        match = re.fullmatch(r"python:3\.(\d+)-slim(?:-\w+)?", base)
        assert match, f"{base} is not the official slim Python image"
        assert int(match.group(1)) >= 11


def test_image_runs_serve_as_an_unprivileged_user() -> None:
    stage = final_stage()
    users = stage.all("USER")
    assert users, "no USER: the server would run as root"
    assert users[-1].arguments.split(":")[0] not in ("0", "root")
    assert image_uid() >= 1000
    assert exec_form(stage.all("CMD")[-1].arguments) == ["learnpulse", "serve"]
    assert not stage.all("ENTRYPOINT")
    # The command is the console script that `pip install .` puts into the build stage's
    # virtualenv, which the final stage copies and puts first on PATH.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "learnpulse" in project["scripts"]
    venv = stages()[0].all("RUN")[0].arguments.split()
    assert venv[:3] == ["python", "-m", "venv"]
    copied = [i.arguments.split() for i in stage.all("COPY") if i.arguments.startswith("--from=")]
    assert [venv[3], venv[3]] in [words[1:] for words in copied]
    assert stage.env()["PATH"].split(":")[0] == f"{venv[3]}/bin"


def test_image_listens_beyond_loopback_on_the_port_it_exposes() -> None:
    stage = final_stage()
    env = stage.env()
    assert env["HOST"] == "0.0.0.0"
    assert [i.arguments for i in stage.all("EXPOSE")] == [env["PORT"]]
    assert load_settings(HOST=env["HOST"], PORT=env["PORT"]).listen_host == "0.0.0.0"


def test_image_installs_the_project_without_its_test_tools() -> None:
    build = stages()[0]
    installs = [i.arguments for i in build.all("RUN") if "pip install" in i.arguments]
    assert len(installs) == 1
    words = installs[0].split("&&")[0].split()
    assert words[words.index("install") + 1 :] == ["."]  # not editable, no extras
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    copied = {
        word.removeprefix("./").rstrip("/")
        for i in build.all("COPY")
        for word in i.arguments.split()[:-1]
    }
    packages = {
        p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    }
    assert packages | {"pyproject.toml", pyproject["project"]["readme"]} <= copied
    assert "tests" not in copied


def test_build_context_keeps_what_the_image_copies_and_nothing_else() -> None:
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8")
    for instruction in stages()[0].all("COPY"):
        for source in instruction.arguments.split()[:-1]:
            assert not dockerignore_excludes(ignore, source), source
            assert (ROOT / source).exists(), source
    assert not dockerignore_excludes(ignore, "storage/migrations/versions/0001_initial_schema.py")
    for left_out in (
        ".venv/bin/python",
        "tests/test_deploy.py",
        "demo-data/learnpulse-demo.db",
        ".git/HEAD",
        "deploy/.env",
        "learnpulse.db",
        "bot/__pycache__/app.cpython-311.pyc",
        "bench/RESULTS.md",
    ):
        assert dockerignore_excludes(ignore, left_out), left_out


def test_image_holds_no_secret() -> None:
    for stage in stages():
        for instruction in stage.all("ENV") + stage.all("ARG") + stage.all("LABEL"):
            named = set(re.findall(r"[A-Z_]+(?==)", instruction.arguments))
            assert not named & SECRET_SETTINGS, instruction
        for instruction in stage.all("COPY"):
            assert ".env" not in instruction.arguments, instruction


def test_healthcheck_asks_healthz_and_fails_on_anything_but_200(database_url: str) -> None:
    options, command = healthcheck(final_stage().all("HEALTHCHECK")[-1])
    assert options["timeout"] and options["interval"]
    assert command[0] == "python"
    command = [sys.executable, *command[1:]]

    port = free_port()
    env = base_env(
        MONDAY_MORNING,
        DATABASE_URL=database_url,
        LEARNPULSE_PROGRAM=str(ROOT / "examples" / "program.yaml"),
        HOST="127.0.0.1",
        PORT=str(port),
    )
    with running_server(["serve"], env, port):
        healthy = subprocess.run(command, env=env, capture_output=True, timeout=30)
    assert healthy.returncode == 0, healthy.stderr

    gone = subprocess.run(command, env=env, capture_output=True, timeout=30)
    assert gone.returncode != 0  # nothing listens any more

    degraded = asyncio.run(_run_against_a_degraded_server(command, env))
    assert degraded.returncode == 1, degraded.stderr


async def _run_against_a_degraded_server(
    command: list[str], env: dict[str, str]
) -> subprocess.CompletedProcess[bytes]:
    """A server that says 503 on ``/healthz`` and 200 on every other path."""

    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=503 if request.path == "/healthz" else 200)

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", answer)
    async with serving(app) as url:
        port = url.rsplit(":", 1)[1]
        return await asyncio.to_thread(
            subprocess.run, command, env={**env, "PORT": port}, capture_output=True, timeout=30
        )


# --- compose ------------------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    return loaded


def sample_env() -> dict[str, str]:
    """deploy/.env as an operator fills it in from .env.example."""
    values, _ = env_file(DEPLOY / ".env.example")
    values.update(
        POSTGRES_PASSWORD=secrets.token_urlsafe(24),
        LEARNPULSE_SECRET_KEY=secrets.token_urlsafe(32),
        SLACK_BOT_TOKEN="xoxb-0000",
        SLACK_SIGNING_SECRET="0" * 32,
    )
    return values


def built_from_the_dockerfile(service: dict[str, Any]) -> bool:
    build = service.get("build") or {}
    dockerfile = DEPLOY / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
    return bool(build) and dockerfile.resolve() == (DEPLOY / "Dockerfile").resolve()


def replicas(services: dict[str, Any]) -> dict[str, Any]:
    """The services that run the image's own command: ``serve``."""
    return {
        name: service
        for name, service in services.items()
        if built_from_the_dockerfile(service) and "command" not in service
    }


def test_compose_runs_postgresql_with_a_volume_and_a_healthcheck() -> None:
    document = compose()
    postgres = document["services"]["postgres"]
    assert re.fullmatch(r"postgres:\d+(-\w+)?", postgres["image"])
    volume, target = postgres["volumes"][0].split(":")[:2]
    assert volume in document["volumes"]
    assert target == "/var/lib/postgresql/data"
    assert postgres["healthcheck"]["test"][:2] == ["CMD", "pg_isready"]


def test_compose_starts_two_replicas_after_postgresql_and_the_migration() -> None:
    services = compose()["services"]
    servers = replicas(services)
    assert len(servers) >= 2
    migrate = services["migrate"]
    assert built_from_the_dockerfile(migrate)
    assert migrate["command"] == ["learnpulse", "db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert (
        migrate["environment"]["DATABASE_URL"]
        == servers["learnpulse-1"]["environment"]["DATABASE_URL"]
    )
    for name, server in servers.items():
        assert server["image"] == migrate["image"], name
        assert server["depends_on"]["postgres"]["condition"] == "service_healthy", name
        assert server["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "ports" not in server, f"{name} is reached through the balancer only"
        grace = float(server["stop_grace_period"].removesuffix("s"))
        assert grace > SHUTDOWN_GRACE_SECONDS


def test_compose_balancer_sends_round_robin_to_every_replica_it_health_checks() -> None:
    services = compose()["services"]
    servers = replicas(services)
    published = [name for name, service in services.items() if service.get("ports")]
    assert published == ["balancer"], "one port in: the balancer's"
    balancer = services["balancer"]
    config_file, mounted_at = balancer["volumes"][0].split(":")[:2]
    assert mounted_at == "/etc/caddy/Caddyfile"
    for name in servers:
        assert balancer["depends_on"][name]["condition"] == "service_healthy"

    (site,) = caddyfile((DEPLOY / config_file).read_text(encoding="utf-8")).block
    container_port = str(balancer["ports"][0]).rsplit(":", 1)[1]
    assert site.tokens == [f":{container_port}"]
    (proxy,) = site.find("reverse_proxy")
    assert set(proxy.tokens[1:]) == {
        f"{name}:{server['environment']['PORT']}" for name, server in servers.items()
    }
    assert proxy.find("lb_policy")[0].tokens[1:] == ["round_robin"]
    assert proxy.find("health_uri")[0].tokens[1:] == ["/healthz"]
    assert proxy.find("health_status")[0].tokens[1:] == ["200"]


def test_compose_environment_is_one_the_server_accepts() -> None:
    document = compose()
    env_example, mentioned = env_file(DEPLOY / ".env.example")
    assert variables_used(document) == set(env_example) | mentioned
    filled = interpolate(document, sample_env())
    for name, server in replicas(filled["services"]).items():
        environment = {key: str(value) for key, value in server["environment"].items()}
        assert set(environment) <= SETTING_NAMES, name
        settings = load_settings(**environment)
        settings.check_secret_key()
        assert settings.listen_host == "0.0.0.0"
        assert settings.database_url.startswith("postgresql+psycopg://learnpulse:")
        assert settings.database_url.endswith("@postgres:5432/learnpulse")
        assert settings.slack_enabled == (True, "http")
        assert settings.teams_enabled[0] is False
        program_mount = next(
            v
            for v in server["volumes"]
            if v.split(":")[1] == settings.learnpulse_program.as_posix()
        )
        load_program(DEPLOY / program_mount.split(":")[0])  # the default program is a valid one


def test_compose_refuses_to_start_without_the_secrets() -> None:
    for missing in ("POSTGRES_PASSWORD", "LEARNPULSE_SECRET_KEY"):
        env = {**sample_env(), missing: ""}
        with pytest.raises(MissingVariable, match=missing):
            interpolate(compose(), env)


# --- Kubernetes ---------------------------------------------------------------------------------


def manifest_files() -> list[Path]:
    return sorted(p for p in KUBERNETES.rglob("*.yaml") if p.name != "kustomization.yaml")


def resources(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def resource(kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        doc
        for path in manifest_files()
        for doc in resources(path)
        if doc["kind"] == kind and name in (None, doc["metadata"]["name"])
    ]
    assert len(found) == 1, f"{kind} {name or ''}: {len(found)} found"
    return found[0]


def pod_spec(kind: str) -> dict[str, Any]:
    spec: dict[str, Any] = resource(kind)["spec"]["template"]["spec"]
    return spec


def server_container() -> dict[str, Any]:
    (container,) = pod_spec("Deployment")["containers"]
    return container


def settings_data() -> dict[str, str]:
    data: dict[str, str] = resource("ConfigMap", "learnpulse-settings")["data"]
    return data


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail on any attempt to resolve a name or open a connection."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"a network call was attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


@pytest.mark.parametrize("path", manifest_files(), ids=lambda p: str(p.relative_to(KUBERNETES)))
def test_manifest_is_valid_for_kubernetes(path: Path, no_network: None) -> None:
    documents = resources(path)
    assert documents
    for document in documents:
        # Strict: an unknown or misspelt field is an error, not something the API ignores.
        validated = kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
        assert validated == KUBERNETES_VERSION


def test_kustomizations_apply_every_manifest_but_the_secret() -> None:
    main = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text(encoding="utf-8"))
    migrate = yaml.safe_load((KUBERNETES / "migrate" / "kustomization.yaml").read_text("utf-8"))
    top_level = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    # The Secret is created by hand; `kubectl apply -k` must never overwrite it.
    assert set(main["resources"]) == top_level - {"secret.yaml"}
    assert migrate["resources"] == ["job.yaml"]
    assert main["images"] == migrate["images"]
    (image,) = main["images"]
    assert server_container()["image"] == image["name"]
    assert pod_spec("Job")["containers"][0]["image"] == image["name"]


def test_deployment_probes_ask_healthz_on_the_server_port() -> None:
    container = server_container()
    (port,) = container["ports"]
    assert port["containerPort"] == int(settings_data()["PORT"])
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        http_get = container[probe]["httpGet"]
        assert http_get["path"] == "/healthz", probe
        assert http_get["port"] in (port["name"], port["containerPort"]), probe
    # A short database outage takes a pod out of the Service; only a long one restarts it.
    readiness, liveness = container["readinessProbe"], container["livenessProbe"]
    assert (
        liveness["periodSeconds"] * liveness["failureThreshold"]
        > readiness["periodSeconds"] * readiness["failureThreshold"]
    )


def _quantity(value: str | int) -> float:
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}
    text = str(value)
    for suffix, factor in units.items():
        if text.endswith(suffix):
            return float(text.removesuffix(suffix)) * factor
    return float(text)


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_containers_request_and_limit_cpu_and_memory(kind: str) -> None:
    for container in pod_spec(kind)["containers"]:
        resources = container["resources"]
        for name in ("cpu", "memory"):
            request = _quantity(resources["requests"][name])
            limit = _quantity(resources["limits"][name])
            assert 0 < request <= limit, (kind, name)
    memory = server_container()["resources"]["limits"]["memory"]
    assert _quantity(memory) >= 512 * 2**20  # an idle replica plus a large digest


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_pods_run_as_the_image_user_without_privileges(kind: str) -> None:
    spec = pod_spec(kind)
    pod = spec["securityContext"]
    assert pod["runAsNonRoot"] is True
    assert pod["runAsUser"] == image_uid()
    assert spec["automountServiceAccountToken"] is False
    for container in spec["containers"]:
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["readOnlyRootFilesystem"] is True
        assert context["capabilities"]["drop"] == ["ALL"]


def test_the_only_writable_directory_is_the_one_matplotlib_is_given() -> None:
    spec = pod_spec("Deployment")
    volumes = {v["name"]: v for v in spec["volumes"]}
    writable = [
        m["mountPath"]
        for m in server_container()["volumeMounts"]
        if not m.get("readOnly") and "emptyDir" in volumes[m["name"]]
    ]
    assert writable == ["/tmp"]
    assert settings_data()["MPLCONFIGDIR"].startswith("/tmp/")
    assert final_stage().env()["MPLCONFIGDIR"].startswith("/tmp/")


@pytest.mark.parametrize("kind", ["Deployment", "Job"])
def test_environment_references_exist(kind: str) -> None:
    secret = resource("Secret", "learnpulse-secrets")
    config_maps = {
        doc["metadata"]["name"]: doc
        for path in manifest_files()
        for doc in resources(path)
        if doc["kind"] == "ConfigMap"
    }
    for container in pod_spec(kind)["containers"]:
        names: set[str] = set()
        for source in container.get("envFrom", []):
            config_map = config_maps[source["configMapRef"]["name"]]
            names |= set(config_map["data"])
        for variable in container.get("env", []):
            ref = variable["valueFrom"]["secretKeyRef"]
            assert ref["name"] == secret["metadata"]["name"]
            assert ref["key"] in secret["stringData"], ref["key"]
            assert variable["name"] == ref["key"]
            # Only the platform credentials may be left out of the Secret.
            assert ref.get("optional", False) == (
                variable["name"] not in ("DATABASE_URL", "LEARNPULSE_SECRET_KEY")
            )
            names.add(variable["name"])
        assert names <= SETTING_NAMES | LIBRARY_SETTINGS, names - SETTING_NAMES
        assert "DATABASE_URL" in names
        if kind == "Deployment":
            assert {"LEARNPULSE_SECRET_KEY", "HOST", "PORT", "LEARNPULSE_PROGRAM"} <= names
    assert not SECRET_SETTINGS & set(settings_data()), "a secret in a ConfigMap"


def test_the_settings_configmap_and_secret_make_a_server_that_listens_beyond_loopback() -> None:
    secret = dict(resource("Secret", "learnpulse-secrets")["stringData"])
    secret["LEARNPULSE_SECRET_KEY"] = secrets.token_urlsafe(32)
    settings = load_settings(
        **{k: v for k, v in settings_data().items() if k in SETTING_NAMES}, **secret
    )
    settings.check_secret_key()
    assert settings.listen_host == "0.0.0.0"
    assert settings.port == server_container()["ports"][0]["containerPort"]


def test_the_placeholder_secret_key_is_refused_beside_real_credentials() -> None:
    placeholder = resource("Secret", "learnpulse-secrets")["stringData"]
    settings = load_settings(
        LEARNPULSE_SECRET_KEY=placeholder["LEARNPULSE_SECRET_KEY"], SLACK_BOT_TOKEN="xoxb-1"
    )
    with pytest.raises(SettingsError, match="LEARNPULSE_SECRET_KEY"):
        settings.check_secret_key()


def test_the_program_is_mounted_where_the_settings_say_and_is_valid(tmp_path: Path) -> None:
    program_path = Path(settings_data()["LEARNPULSE_PROGRAM"])
    spec = pod_spec("Deployment")
    (mount,) = [m for m in server_container()["volumeMounts"] if m["name"] == "program"]
    (volume,) = [v for v in spec["volumes"] if v["name"] == "program"]
    (item,) = volume["configMap"]["items"]
    assert Path(mount["mountPath"]) / item["path"] == program_path
    config_map = resource("ConfigMap", volume["configMap"]["name"])
    copy = tmp_path / "program.yaml"
    copy.write_text(config_map["data"][item["key"]], encoding="utf-8")
    assert load_program(copy).workstreams


def test_service_selects_the_server_pods_only() -> None:
    service = resource("Service")
    deployment = resource("Deployment")
    selector = service["spec"]["selector"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    job_labels = resource("Job")["spec"]["template"]["metadata"]["labels"]
    assert not selector.items() <= job_labels.items(), "the Service would route to the Job"
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] in (
        p[key] for p in server_container()["ports"] for key in ("name", "containerPort")
    )
    budget = resource("PodDisruptionBudget")
    assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert 0 < budget["spec"]["minAvailable"] < deployment["spec"]["replicas"]


def test_a_rollout_keeps_every_replica_serving_and_lets_each_finish() -> None:
    deployment = resource("Deployment")
    assert deployment["spec"]["replicas"] >= 2
    rolling = deployment["spec"]["strategy"]["rollingUpdate"]
    assert rolling == {"maxUnavailable": 0, "maxSurge": 1}
    spec = pod_spec("Deployment")
    pre_stop = server_container()["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert spec["terminationGracePeriodSeconds"] > float(pre_stop[1]) + SHUTDOWN_GRACE_SECONDS


def test_the_migration_job_upgrades_the_database_once() -> None:
    job = resource("Job")
    spec = pod_spec("Job")
    (container,) = spec["containers"]
    assert container["args"] == ["learnpulse", "db", "upgrade"]
    assert spec["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] >= 1
    server_database = next(e for e in server_container()["env"] if e["name"] == "DATABASE_URL")
    assert container["env"] == [server_database]
