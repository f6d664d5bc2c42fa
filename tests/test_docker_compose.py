"""docker-compose.yml is checked without a Docker engine: its structure, pins and commands."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from harness.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _ci_toxiproxy_version() -> str:
    match = re.search(r'^TOXIPROXY_VERSION="([^"]+)"', (ROOT / ".ci" / "run").read_text(), re.M)
    assert match, ".ci/run must pin TOXIPROXY_VERSION"
    return match.group(1)


def test_compose_runs_the_real_toxiproxy_at_the_version_ci_tests_against(compose):
    proxy = compose["services"]["toxiproxy"]
    assert proxy["image"] == f"ghcr.io/shopify/toxiproxy:{_ci_toxiproxy_version()}"
    assert proxy["network_mode"] == "host"
    assert proxy["command"] == ["-host", "127.0.0.1", "-port", "8474"]
    assert "healthcheck" in proxy


def test_compose_server_command_is_a_valid_serve_invocation(compose):
    server = compose["services"]["server"]
    assert server["build"] == "."
    command = [part.replace("${HARNESS_ADMIN_TOKEN:-dev-admin-token}", "dev-admin-token") for part in server["command"]]
    assert command[0] == "offline-harness"
    args = build_parser(command[1:]).parse_args(command[1:])
    assert (args.command, args.host, args.port, args.db) == ("serve", "127.0.0.1", 8000, "/data/fsm.db")
    assert "server-data:/data" in server["volumes"] and "server-data" in compose["volumes"]


def test_dockerfile_default_command_is_a_valid_serve_invocation():
    text = (ROOT / "Dockerfile").read_text()
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", text, re.M).group(1))
    args = build_parser(cmd[1:]).parse_args(cmd[1:])
    assert (args.command, args.port, args.db) == ("serve", 8000, "/data/fsm.db")
    assert re.search(r"^FROM python:3\.11", text, re.M)


def test_compose_file_is_accepted_by_docker_compose_where_it_exists():
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("the docker compose plugin is not installed here (not a CI-required component)")
    result = subprocess.run([docker, "compose", "-f", str(ROOT / "docker-compose.yml"), "config", "--quiet"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
