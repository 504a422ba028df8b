"""An operator deploys netcoach from the kit: settings file, image, compose file, systemd units.

No Docker engine runs where these tests run, so the image and the compose file are checked
by reading them; the health checks they declare are run for real against a local server.
"""

from __future__ import annotations

import asyncio
import configparser
import fnmatch
import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web

from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
# Variables .env.example may hold beside the settings, and what reads them.
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}


# --- .env.example -----------------------------------------------------------------------


def _env_example() -> dict[str, tuple[str, str]]:
    """Each variable of .env.example with its value and the comment line right above it."""
    entries: dict[str, tuple[str, str]] = {}
    previous = ""
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(.*)", line)
        if match:
            name, value = match.groups()
            assert name not in entries, f"{name} is listed twice in .env.example"
            entries[name] = (value, previous.removeprefix("#").strip())
        previous = line if line.startswith("#") else ""
    return entries


def _setting_variables() -> set[str]:
    return {f"NETCOACH_{name.upper()}" for name in Settings.model_fields}


def test_env_example_lists_every_setting_and_nothing_unknown() -> None:
    listed = set(_env_example())
    missing = sorted(_setting_variables() - listed)
    unknown = sorted(listed - _setting_variables() - COMPOSE_ONLY)
    assert not missing, f"settings missing from .env.example: {', '.join(missing)}"
    assert not unknown, f".env.example lists what no setting reads: {', '.join(unknown)}"


def test_every_line_of_env_example_says_what_the_setting_means() -> None:
    unexplained = [name for name, (_, meaning) in _env_example().items() if not meaning]
    assert not unexplained, f"no comment line above: {', '.join(unexplained)}"


def test_env_example_shows_each_default_and_leaves_only_unset_ones_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in _setting_variables():
        monkeypatch.delenv(variable, raising=False)
    # Read through the program's own settings, exactly as a copied .env would be.
    from_example = Settings(_env_file=ROOT / ".env.example")
    entries = _env_example()
    wrong = []
    for name, field in Settings.model_fields.items():
        variable = f"NETCOACH_{name.upper()}"
        if variable not in entries:
            continue  # reported by the test above
        default = field.get_default(call_default_factory=True)
        written = entries[variable][0]
        if getattr(from_example, name) != default:
            wrong.append(f"{variable}={written} (the default is {default!r})")
        elif (written == "") != (default is None or default == frozenset()):
            wrong.append(f"{variable}={written} (write the default, or leave empty if none)")
    assert not wrong, "in .env.example: " + "; ".join(wrong)


def test_the_readme_settings_table_names_every_setting() -> None:
    table = [
        line
        for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("|")
    ]
    documented = set(re.findall(r"NETCOACH_[A-Z0-9_]+", "\n".join(table)))
    missing = sorted(_setting_variables() - documented)
    assert not missing, f"settings missing from the README table: {', '.join(missing)}"


# --- the health checks of the image and the compose file --------------------------------


@asynccontextmanager
async def _healthz(status: int) -> AsyncIterator[int]:
    """A stand-in for the bot's health endpoint answering `status`; yields its port."""

    async def answer(_request: web.Request) -> web.Response:
        return web.Response(status=status, text="ok" if status == 200 else "down")

    app = web.Application()
    app.router.add_get("/healthz", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


async def _exit_code(command: list[str], env: dict[str, str] | None = None) -> int:
    process = await asyncio.create_subprocess_exec(
        *command,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(process.wait(), timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _local_python(command: list[str]) -> list[str]:
    """The image's interpreter path replaced by this one (the snippet stays as written)."""
    assert command[0] == "/opt/netcoach/bin/python", command
    return [sys.executable, *command[1:]]


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
async def test_the_image_health_check_follows_healthz(status: int, healthy: bool) -> None:
    command = _local_python(_dockerfile_json("HEALTHCHECK", prefix="CMD"))
    async with _healthz(status) as port:
        code = await _exit_code(command, env={"NETCOACH_HEALTH_PORT": str(port)})
    assert (code == 0) is healthy


async def test_the_image_health_check_fails_when_nothing_answers() -> None:
    command = _local_python(_dockerfile_json("HEALTHCHECK", prefix="CMD"))
    assert await _exit_code(command, env={"NETCOACH_HEALTH_PORT": str(_free_port())}) != 0


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False)])
async def test_the_compose_health_check_follows_healthz(status: int, healthy: bool) -> None:
    bot = _compose()["services"]["bot"]
    test = bot["healthcheck"]["test"]
    assert test[0] == "CMD"
    port = bot["environment"]["NETCOACH_HEALTH_PORT"]
    async with _healthz(status) as local_port:
        # The port the service declares, moved to the stand-in's.
        command = [part.replace(f":{port}/", f":{local_port}/") for part in test[1:]]
        assert command != test[1:], "the health check does not ask NETCOACH_HEALTH_PORT"
        code = await _exit_code(_local_python(command))
    assert (code == 0) is healthy


# --- deploy/Dockerfile and .dockerignore -------------------------------------------------


def _dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (INSTRUCTION, arguments), continuations joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for line in (DEPLOY / "Dockerfile").read_text(encoding="utf-8").splitlines():
        if line.lstrip().startswith("#") or not line.strip():
            continue
        pending += line.rstrip().removesuffix("\\") + " "
        if not line.rstrip().endswith("\\"):
            keyword, _, arguments = pending.strip().partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
            pending = ""
    return instructions


def _dockerfile_json(keyword: str, *, prefix: str = "") -> list[str]:
    """The last `keyword` instruction's exec-form (JSON) arguments, after `prefix`."""
    arguments = [args for name, args in _dockerfile() if name == keyword][-1]
    if prefix:
        arguments = arguments[arguments.index(prefix) + len(prefix) :]
    value = json.loads(arguments)
    assert isinstance(value, list)
    return [str(part) for part in value]


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for instruction in _dockerfile():
        if instruction[0] == "FROM":
            stages.append([])
        stages[-1].append(instruction)
    return stages


def test_the_image_builds_with_the_shared_install_step_and_runs_the_same_python() -> None:
    build, runtime = _stages()
    bases = [stage[0][1].split()[0] for stage in (build, runtime)]
    # The venv moves from one stage to the other: the same Python minor on the same Debian,
    # both pinned; the full image builds, the slim one runs.
    pins = [re.fullmatch(r"python:(3\.\d+)-(slim-)?([a-z]+)", base) for base in bases]
    assert all(pins), f"not pinned to a Python minor and a Debian release: {bases}"
    build_pin, runtime_pin = (pin.groups() for pin in pins if pin)
    assert build_pin[0] == runtime_pin[0] and build_pin[2] == runtime_pin[2], bases
    assert (build_pin[1], runtime_pin[1]) == (None, "slim-"), bases
    runs = " ".join(args for name, args in build if name == "RUN")
    assert "deploy/install-wheel.sh /src /opt/netcoach" in runs
    assert ("COPY", "--from=build /opt/netcoach /opt/netcoach") in runtime


def test_the_image_runs_as_a_user_in_its_data_directory() -> None:
    runtime = dict(_stages()[1])
    assert runtime["USER"].split(":")[0] not in {"root", "0"}
    assert json.loads(runtime["VOLUME"]) == [runtime["WORKDIR"]]
    assert "NETCOACH_HEALTH_PORT=8080" in runtime["ENV"].split()
    assert runtime["EXPOSE"] == "8080"
    assert _dockerfile_json("ENTRYPOINT") == ["/opt/netcoach/bin/netcoach"]
    assert _dockerfile_json("CMD") == ["run"]
    assert "/healthz" in runtime["HEALTHCHECK"]


def _ignored_by_docker(path: str) -> bool:
    """Whether .dockerignore keeps `path` out of the build context (its simple patterns)."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = path.split("/")
    prefixes = ["/".join(parts[: index + 1]) for index in range(len(parts))]
    for pattern in patterns:
        anywhere = pattern.startswith("**/")
        for prefix in prefixes:
            name = prefix.rsplit("/", 1)[-1] if anywhere else prefix
            if fnmatch.fnmatchcase(name, pattern.removeprefix("**/")):
                return True
    return False


@pytest.mark.parametrize(
    "path", [".env", "deploy/.env", "netcoach.db", "data/netcoach.db-wal", ".venv/bin/python"]
)
def test_secrets_databases_and_environments_stay_out_of_the_image(path: str) -> None:
    assert _ignored_by_docker(path)


def test_what_the_wheel_is_built_from_goes_into_the_image() -> None:
    needed = ["pyproject.toml", "README.md", "LICENSE", "deploy/install-wheel.sh"]
    needed += ["requirements.lock", "requirements-runtime.lock"]
    needed += [str(path.relative_to(ROOT)) for path in (ROOT / "storage").rglob("*.py")]
    needed += [str(path.relative_to(ROOT)) for path in (ROOT / "content").rglob("*.yaml")]
    assert [path for path in needed if _ignored_by_docker(path)] == []


# --- deploy/compose.yaml ----------------------------------------------------------------


def _compose() -> dict[str, Any]:
    document = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def test_compose_runs_bot_worker_and_postgres_after_one_migration() -> None:
    services = _compose()["services"]
    assert set(services) == {"migrate", "bot", "worker", "postgres"}
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    assert services["bot"]["command"] == ["run"]
    assert services["worker"]["command"] == ["run", "--dispatch-only"]
    for name in ("bot", "worker"):
        service = services[name]
        assert service["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }
        assert service["restart"] in {"always", "unless-stopped", "on-failure"}
        assert service["env_file"] == ".env"
        assert "/healthz" in " ".join(service["healthcheck"]["test"])
    assert services["migrate"]["depends_on"] == {"postgres": {"condition": "service_healthy"}}


def test_compose_builds_the_image_from_the_repository() -> None:
    for name in ("migrate", "bot", "worker"):
        build = _compose()["services"][name]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == (
            DEPLOY / "Dockerfile"
        )


def test_compose_points_netcoach_at_its_postgres_with_a_url_the_settings_accept() -> None:
    url = _compose()["services"]["bot"]["environment"]["NETCOACH_DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://netcoach:${POSTGRES_PASSWORD")
    assert url.endswith("@postgres:5432/netcoach")
    concrete = re.sub(r"\$\{POSTGRES_PASSWORD[^}]*\}", "s3cret", url)
    assert load_settings(_env_file=None, database_url=concrete).database_url == concrete


def test_compose_keeps_postgres_data_in_a_named_volume_and_checks_it_is_ready() -> None:
    compose = _compose()
    postgres = compose["services"]["postgres"]
    assert postgres["image"] == "postgres:16"
    volume, _, target = postgres["volumes"][0].partition(":")
    assert volume in compose["volumes"]
    assert target == "/var/lib/postgresql/data"
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert postgres["environment"]["POSTGRES_USER"] == "netcoach"


# --- systemd units -----------------------------------------------------------------------

HARDENING = {
    "DynamicUser": "yes",
    "StateDirectory": "netcoach",
    "WorkingDirectory": "/var/lib/netcoach",
    "EnvironmentFile": "/etc/netcoach/netcoach.env",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "NoNewPrivileges": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallFilter": "@system-service",
    "Restart": "on-failure",
}
UNITS = {"netcoach.service": "run", "netcoach-worker@.service": "run --dispatch-only"}


def _unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=True, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


@pytest.mark.parametrize(("name", "command"), UNITS.items())
def test_the_units_run_netcoach_hardened(name: str, command: str) -> None:
    service = _unit(name)["Service"]
    assert service["ExecStart"] == f"/opt/netcoach/bin/netcoach {command}"
    weaker = {
        key: service.get(key) for key, value in HARDENING.items() if service.get(key) != value
    }
    assert not weaker, f"{name}: {weaker}"


def test_bot_and_workers_share_user_state_and_hardening() -> None:
    start = {"ExecStart", "ExecStartPre", "TimeoutStartSec"}
    bot, worker = (
        {key: value for key, value in _unit(name)["Service"].items() if key not in start}
        for name in UNITS
    )
    assert bot == worker


def test_the_bot_unit_migrates_before_workers_ordered_after_it_start() -> None:
    assert _unit("netcoach.service")["Service"]["ExecStartPre"] == (
        "/opt/netcoach/bin/netcoach db upgrade"
    )
    assert "netcoach.service" in _unit("netcoach-worker@.service")["Unit"]["After"].split()


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    # verify insists on an executable ExecStart; /opt/netcoach exists only on a server.
    executable = shutil.which("true")
    assert executable is not None
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("/opt/netcoach/bin/netcoach", executable))
    result = subprocess.run(
        ["systemd-analyze", "verify", "netcoach.service", "netcoach-worker@1.service"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == ""


# --- deploy/install-wheel.sh ------------------------------------------------------------


def test_install_wheel_explains_its_arguments_when_called_wrong(tmp_path: Path) -> None:
    script = DEPLOY / "install-wheel.sh"
    for arguments in ([], [str(ROOT)], [str(tmp_path), str(tmp_path / "venv")]):
        result = subprocess.run(
            ["sh", str(script), *arguments],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 2, shlex.join(arguments)
        assert result.stdout == ""
        assert "SOURCE_DIR VENV_DIR [EXTRAS]" in result.stderr or "pyproject.toml" in result.stderr
    assert not (tmp_path / "venv").exists()
