"""pytest plugin (entry point ``pytest11``): YAML scenarios as test items, and fixtures for Python scenarios.

- Every ``*.yaml`` under a folder named ``scenarios`` (or matching the ``offline_harness_glob`` ini
  option) is collected; each scenario is one item named after it, its tags are markers (``-m upload``),
  ``-k``, ``-n`` (xdist) and ``--junitxml`` work as for any test. A failure shows the scenario's
  violations, expectation failures and timeline, and the seed to replay it; a broken file is a
  collection error naming file, line and fix.
- Fixtures ``network``, ``reference_server``, ``office`` and ``device`` (async, function scope) give a
  pytest-asyncio test the same pieces the runner uses.

One reference server per pytest process (per xdist worker) is shared by every scenario and
fixture, each in its own tenant; it starts on first use and stops at the end of the session. The
scenario items also share one network backend per process, set up as ``offline-harness run`` sets
up its own (the same network seed and proxy names), so ``--harness-seed N`` replays the jitter.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import os
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from harness.runner.environment import Scenario

SUFFIXES = (".yaml", ".yml")
_server_key = pytest.StashKey[Any]()
_environment_key = pytest.StashKey["SessionEnvironment"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("offline-harness")
    group.addoption("--harness-backend", default="embedded",
                    help="network backend for scenarios: embedded (default), binary, docker, auto or a URL")
    group.addoption("--harness-seed", type=int, default=None, help="seed for every scenario instead of its own")
    group.addoption("--harness-time-scale", type=float, default=1.0, help="multiply waits and deadlines by X")
    parser.addini("offline_harness_glob", "glob of scenario files to collect (default: */scenarios/*.yaml)",
                  default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "scenario: a YAML scenario of offline-harness")


def pytest_unconfigure(config: pytest.Config) -> None:
    env = config.stash.get(_environment_key, None)
    server = config.stash.get(_server_key, None)
    try:
        if env is not None:
            env.close()  # before the server it uses
    finally:
        if server is not None:
            server.stop()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in SUFFIXES:
        return None
    pattern = parent.config.getini("offline_harness_glob")
    wanted = fnmatch.fnmatch(str(file_path), pattern) if pattern else file_path.parent.name == "scenarios"
    return ScenarioFile.from_parent(parent, path=file_path) if wanted else None


def shared_server(config: pytest.Config) -> Any:
    """The process's reference server (a uvicorn thread), started on first use."""
    server = config.stash.get(_server_key, None)
    if server is None:
        from harness.runner.environment import shared_reference_server

        scratch = tempfile.mkdtemp(prefix="offline-harness-pytest-")
        server = shared_reference_server(Path(scratch) / "server.db")
        config.stash[_server_key] = server
    return server


def _options(config: pytest.Config) -> Any:
    from harness.runner import RunOptions

    return RunOptions(backend=config.getoption("harness_backend"), seed=config.getoption("harness_seed"),
                      time_scale=config.getoption("harness_time_scale"))


class ScenarioFailed(Exception):
    def __init__(self, result: Any) -> None:
        super().__init__(result.explain())
        self.result = result


class ScenarioFile(pytest.File):
    def collect(self) -> Any:
        from harness.runner.environment import load_scenario  # here: pytest starts without the runner

        scenario = load_scenario(os.path.relpath(self.path))  # errors then read scenarios/x.yaml:12
        item = ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)
        for tag in scenario.tags:
            self.config.addinivalue_line("markers", f"{tag}: scenario tag")
            item.add_marker(tag)
        item.add_marker("scenario")
        yield item

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        from harness.runner.environment import ScenarioError

        if isinstance(excinfo.value, ScenarioError):
            return str(excinfo.value)  # file:line: what is wrong and how to fix it; no traceback
        return super().repr_failure(excinfo)


class ScenarioItem(pytest.Item):
    """One YAML scenario.

    A custom Item, not a generated Function: the runner owns its event loop (the scenario's proxy
    server, devices and timers all live in it), so each item simply ``asyncio.run``s the scenario.
    pytest-asyncio only drives Function items and would not help here; nothing of it is needed.
    """

    def __init__(self, *, scenario: Scenario, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        result = session_environment(self.config).run(self.scenario, _options(self.config))
        if not result.passed:
            raise ScenarioFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, ScenarioFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, f"scenario {self.scenario.name}: {self.scenario.description}"


class SessionEnvironment:
    """The run's environment (harness.runner.environment), opened once per pytest process (per xdist
    worker) on first use and closed at the end of the session: one network backend, seeded as the
    CLI's, and the process's shared reference server.

    A custom item cannot be driven by pytest-asyncio, so the environment lives in an event loop of
    its own (an ``asyncio.Runner``) in which every scenario item runs. It is not made the current
    event loop, so the pytest-asyncio fixtures keep theirs.
    """

    def __init__(self, config: pytest.Config) -> None:
        from harness.runner.environment import environment

        self.loop = asyncio.Runner(loop_factory=asyncio.new_event_loop)
        self.opened = contextlib.AsyncExitStack()
        kind = config.getoption("harness_backend")
        try:
            self.env = self.loop.run(self.opened.enter_async_context(environment(kind, server=shared_server(config))))
        except BaseException:
            self.loop.close()
            raise

    def run(self, scenario: Scenario, options: Any) -> Any:
        from harness.runner import run_scenario

        return self.loop.run(run_scenario(scenario, self.env, options))

    def close(self) -> None:
        try:
            self.loop.run(self.opened.aclose())
        finally:
            self.loop.close()


def session_environment(config: pytest.Config) -> SessionEnvironment:
    env = config.stash.get(_environment_key, None)
    if env is None:
        env = config.stash[_environment_key] = SessionEnvironment(config)
    return env


# --- fixtures for Python scenarios (pytest-asyncio tests) ---------------------------------------
try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the fixtures need pytest-asyncio; YAML scenarios do not
    pytest_asyncio = None

if pytest_asyncio is not None:

    @pytest_asyncio.fixture
    async def network(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
        """A Toxiproxy backend (``--harness-backend``, embedded by default): ``await network.proxy(...)``."""
        from harness.runner.environment import open_network

        async with open_network(request.config.getoption("harness_backend")) as net:
            yield net

    @pytest_asyncio.fixture
    async def reference_server(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
        """The reference backend (a ``BackendAdapter``) on the process's shared server."""
        from harness.runner.reference_backend import ReferenceBackend

        server = shared_server(request.config)
        backend = ReferenceBackend(server.url, server.admin_token)
        try:
            yield backend
        finally:
            await backend.close()

    @pytest_asyncio.fixture
    async def office(request: pytest.FixtureRequest, reference_server: Any, network: Any) -> AsyncIterator[Any]:
        """The test's own tenant (a ``World``): technician ``alice`` with job ``job1``, a proxy in
        ``office.link``; ``office.assign(...)``, ``office.ledger()``, ``office.job_status(...)``."""
        from harness.runner.environment import Job
        from harness.runner.world import World

        seed = request.config.getoption("harness_seed") or 0
        world = await World.create(reference_server, request.node.name, ("alice",), seed)
        await world.add_jobs([Job("job1", "alice")])
        world.link = await network.proxy(f"{request.node.name[:40]}-{id(world):x}",
                                         reference_server.url.removeprefix("http://"))
        try:
            yield world
        finally:
            await world.close()

    @pytest_asyncio.fixture
    async def device(office: Any, tmp_path: Path) -> AsyncIterator[Any]:
        """alice's device (the reference client in-process, a ``DeviceAdapter``) behind ``office.link``."""
        from harness.runner.reference_device import InProcessDevice

        await office.start_devices(InProcessDevice, tmp_path / "devices")
        yield office.devices["alice"]  # closed with the office's world
