"""``deploy/``: the image recipe and the compose file.

Docker is not at hand where the suite runs, so each file is read and checked for what a
deployment relies on: the image runs ``serve`` as an unprivileged user and its health check
really asks ``/healthz`` (run here against the real server), and compose starts two replicas
behind a balancer that names both.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import subprocess
import sys
import tomllib
from typing import Any

import pytest
import yaml
from aiohttp import web

from adapters.slack.app import SHUTDOWN_GRACE_SECONDS
from bot.settings import PLATFORM_CREDENTIALS, Settings, load_settings
from surveys.program import load_program
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
SECRET_SETTINGS = {
    "LEARNPULSE_SECRET_KEY",
    "DATABASE_URL",
    "TEAMS_TENANT_ID",
    *PLATFORM_CREDENTIALS,
}
SETTING_NAMES = {str(f.alias) for f in Settings.model_fields.values()}


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
