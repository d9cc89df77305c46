"""The Dockerfile and docker-compose.yml agree with the Compose spec and with the service."""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jwt
import pytest
import yaml
from jsonschema import Draft7Validator

from service.settings import VARIABLES, Settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
README = ROOT / "README.md"
COMPOSE_SCHEMA = Path(__file__).resolve().parent / "compose-spec.json"
POLARITY = str(Path(sys.executable).with_name("polarity"))
AUDIT_KEY = "cG9sYXJpdHktZGVwbG95bWVudC10ZXN0cy1rZXktMDE="  # base64 of 32 bytes
TOKEN_INSIDE = "docker compose exec polarity polarity token --sub alice --role steward"


def load_compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict), "docker-compose.yml must be a mapping"
    return loaded


def load_schema() -> dict[str, Any]:
    loaded = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def service(name: str) -> dict[str, Any]:
    services = load_compose()["services"]
    assert name in services, f"docker-compose.yml has no {name!r} service"
    found = services[name]
    assert isinstance(found, dict)
    return found


def environment_names(definition: dict[str, Any]) -> set[str]:
    """Names a service's `environment` sets, in either the mapping or the list form."""
    environment = definition.get("environment") or {}
    if isinstance(environment, dict):
        return {str(name) for name in environment}
    return {str(entry).split("=", 1)[0] for entry in environment}


def environment_value(definition: dict[str, Any], name: str) -> str | None:
    environment = definition.get("environment") or {}
    if isinstance(environment, dict):
        value = environment.get(name)
        return None if value is None else str(value)
    for entry in environment:
        key, _, value = str(entry).partition("=")
        if key == name:
            return value
    return None


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        keyword, _, arguments = pending.strip().partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def dockerfile_arguments(keyword: str) -> list[str]:
    return [arguments for found, arguments in dockerfile_instructions() if found == keyword]


def command_words(arguments: str) -> list[str]:
    """Words of an exec-form (JSON array) or shell-form command."""
    if arguments.startswith("["):
        words = json.loads(arguments)
        assert isinstance(words, list)
        return [str(word) for word in words]
    return shlex.split(arguments)


def test_the_vendored_compose_schema_is_a_valid_draft_7_schema() -> None:
    schema = load_schema()
    assert "draft-07" in schema["$schema"]
    Draft7Validator.check_schema(schema)


def test_the_compose_schema_rejects_a_service_key_it_does_not_know() -> None:
    compose = load_compose()
    compose["services"]["polarity"]["not_a_compose_key"] = True
    assert list(Draft7Validator(load_schema()).iter_errors(compose))


def test_docker_compose_yml_follows_the_compose_specification() -> None:
    errors = sorted(
        Draft7Validator(load_schema()).iter_errors(load_compose()),
        key=lambda error: list(error.absolute_path),
    )
    messages = [f"{list(error.absolute_path)}: {error.message}" for error in errors]
    assert not messages, "\n".join(messages)


@pytest.mark.parametrize("name", ["polarity", "check"])
def test_the_services_built_from_the_image_set_only_variables_the_service_reads(name: str) -> None:
    unknown = environment_names(service(name)) - set(VARIABLES)
    assert not unknown, f"variables service.settings does not read: {sorted(unknown)}"


def test_the_polarity_service_runs_in_production_against_the_postgres_service() -> None:
    polarity = service("polarity")
    assert environment_value(polarity, "POLARITY_ENV") == "production"
    database_url = environment_value(polarity, "POLARITY_DATABASE_URL")
    assert database_url is not None
    assert database_url.startswith("postgresql://")
    assert "@postgres:" in database_url


def test_compose_refuses_to_start_polarity_without_a_jwt_secret() -> None:
    secret = environment_value(service("polarity"), "POLARITY_JWT_SECRET")
    assert secret is not None
    assert secret.startswith("${POLARITY_JWT_SECRET:?")


def test_both_services_have_an_enabled_healthcheck() -> None:
    for name in ("postgres", "polarity"):
        healthcheck = service(name).get("healthcheck")
        assert isinstance(healthcheck, dict), f"{name} has no healthcheck"
        assert healthcheck.get("disable") is not True, f"{name} disables its healthcheck"
        test = healthcheck.get("test")
        assert test, f"{name} healthcheck has no test"
        words = [test] if isinstance(test, str) else test
        assert words[0] != "NONE", f"{name} healthcheck is NONE"


def test_the_polarity_healthcheck_calls_the_health_endpoint() -> None:
    test = service("polarity")["healthcheck"]["test"]
    joined = test if isinstance(test, str) else " ".join(test)
    assert "/health" in joined


def test_polarity_waits_for_postgres_to_be_healthy() -> None:
    depends_on = service("polarity").get("depends_on")
    assert isinstance(depends_on, dict), "depends_on must use the long form with a condition"
    assert depends_on["postgres"]["condition"] == "service_healthy"


def test_the_dockerfile_declares_a_healthcheck_on_the_health_endpoint() -> None:
    healthchecks = dockerfile_arguments("HEALTHCHECK")
    assert healthchecks, "Dockerfile has no HEALTHCHECK"
    final = healthchecks[-1]
    assert final.upper() != "NONE"
    assert "/health" in final


def test_the_dockerfile_command_runs_polarity() -> None:
    commands = dockerfile_arguments("CMD")
    assert commands, "Dockerfile has no CMD"
    assert command_words(commands[-1])[0] == "polarity"


def test_the_dockerfile_runs_the_service_as_a_non_root_user() -> None:
    users = dockerfile_arguments("USER")
    assert users, "Dockerfile has no USER"
    assert users[-1].split(":", 1)[0] not in ("root", "0")


def test_the_dockerfile_exposes_the_port_compose_publishes() -> None:
    exposed = {port for arguments in dockerfile_arguments("EXPOSE") for port in arguments.split()}
    assert "8000" in exposed
    assert "8000:8000" in service("polarity")["ports"]


# Before the service starts: its settings checked ----------------------------------------------


def interpolated(definition: dict[str, Any], given: Mapping[str, str]) -> dict[str, str]:
    """A service's environment as compose fills it in from `given`: `${NAME:?why}` stops compose
    (ValueError) when NAME is unset or empty, `${NAME:-default}` falls back to the default."""

    def one(match: re.Match[str]) -> str:
        name, kind, rest = match.groups()
        if given.get(name):
            return given[name]
        if kind == "?":
            raise ValueError(rest)
        return rest if kind == "-" else ""

    environment = definition.get("environment") or {}
    assert isinstance(environment, dict), "the environment in its mapping form"
    pattern = re.compile(r"\$\{(\w+)(?::([?-])([^}]*))?\}")
    return {str(name): pattern.sub(one, str(value)) for name, value in environment.items()}


def polarity_in(
    environment: Mapping[str, str], *arguments: str
) -> subprocess.CompletedProcess[str]:
    """`polarity` run with a container's environment (and this one's Python path)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("POLARITY_")}
    return subprocess.run(
        [POLARITY, *arguments],
        env=inherited | dict(environment),
        capture_output=True,
        text=True,
        timeout=60,
    )


def strong_settings(**more: str) -> dict[str, str]:
    return {
        "POLARITY_JWT_SECRET": secrets.token_urlsafe(48),
        "POLARITY_AUDIT_KEY": AUDIT_KEY,
    } | more


def test_the_service_starts_only_once_a_one_shot_check_of_the_same_settings_succeeded() -> None:
    check, polarity = service("check"), service("polarity")

    assert check["command"] == ["polarity", "check"]
    assert check["restart"] == "no"
    assert check["build"] == polarity["build"]
    assert check["environment"] == polarity["environment"]
    depends_on = polarity["depends_on"]["check"]
    assert depends_on["condition"] == "service_completed_successfully"


def test_the_check_refuses_a_secret_too_short_with_the_reason_in_one_line() -> None:
    environment = interpolated(
        service("check"), strong_settings(POLARITY_JWT_SECRET="eighteen-chars-xyz")
    )

    refused = polarity_in(environment, *service("check")["command"][1:])

    assert refused.returncode == 1
    (line,) = refused.stderr.strip().splitlines()
    assert "POLARITY_JWT_SECRET has 18 characters: production needs at least 32" in line


def test_the_check_refuses_an_audit_key_that_is_not_a_key() -> None:
    environment = interpolated(service("check"), strong_settings(POLARITY_AUDIT_KEY="not-a-key"))

    refused = polarity_in(environment, "check")

    assert refused.returncode == 1
    assert "POLARITY_AUDIT_KEY is not an Ed25519 private key" in refused.stderr


def test_the_check_passes_settings_the_service_can_serve_with() -> None:
    passed = polarity_in(interpolated(service("check"), strong_settings()), "check")

    assert passed.returncode == 0, passed.stderr
    assert "will do for serving in production" in passed.stdout


def test_the_service_loads_the_demo_only_when_asked() -> None:
    polarity = service("polarity")

    assert not Settings.from_env(interpolated(polarity, strong_settings())).demo
    assert Settings.from_env(interpolated(polarity, strong_settings(POLARITY_DEMO="1"))).demo


def test_the_compose_file_and_the_readme_say_how_to_mint_a_token_inside_the_container() -> None:
    assert TOKEN_INSIDE in COMPOSE_FILE.read_text(encoding="utf-8")
    assert TOKEN_INSIDE in README.read_text(encoding="utf-8")


def test_that_token_command_mints_a_token_with_the_containers_settings() -> None:
    given = strong_settings()
    docker, inside = shlex.split(TOKEN_INSIDE)[:4], shlex.split(TOKEN_INSIDE)[4:]
    assert docker == ["docker", "compose", "exec", "polarity"]  # the service; then its command

    minted = polarity_in(interpolated(service("polarity"), given), *inside[1:])

    assert inside[0] == "polarity"
    assert minted.returncode == 0, minted.stderr
    claims = jwt.decode(minted.stdout.strip(), given["POLARITY_JWT_SECRET"], algorithms=["HS256"])
    assert claims["sub"] == "alice"


class ReadNames(dict[str, str]):
    """An empty environment that remembers every name the settings looked up in it."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.names.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.names.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.names.add(str(key))
        return super().__contains__(key)


def test_every_variable_the_settings_read_is_listed_for_deployment_files() -> None:
    environment = ReadNames()
    Settings.from_env(environment)
    assert environment.names, "the settings read no variable from the environment they were given"
    assert environment.names - set(VARIABLES) == set(), "read but not in service.settings.VARIABLES"
