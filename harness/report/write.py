"""Write the three reports of a run into a directory, each file replaced atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from harness.core.errors import HarnessError
from harness.report.html_page import render_html
from harness.report.junit import junit_xml
from harness.report.scenario import VERDICTS

REPORT_FILES = ("results.json", "junit.xml", "report.html")


def write_reports(results: dict[str, Any], report_dir: str | Path) -> dict[str, Path]:
    """Write ``results.json``, ``junit.xml`` and ``report.html`` into ``report_dir``.

    All three are rendered in memory first, then each replaces its old file in one
    ``os.replace``: a crash leaves the previous report or the new one, never half a file.
    Returns ``{"results.json": path, "junit.xml": path, "report.html": path}``.
    """
    check_results(results)
    try:
        body = json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        raise HarnessError(f"results cannot be written as JSON ({exc}); pass plain JSON values only") from None
    contents = {
        "results.json": body.encode("utf-8"),
        "junit.xml": junit_xml(results),
        "report.html": render_html(results).encode("utf-8"),
    }
    directory = Path(report_dir)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        return {name: _replace_atomically(directory / name, data) for name, data in contents.items()}
    except OSError as exc:
        raise HarnessError(f"cannot write reports into {directory}: {exc.strerror or exc}; "
                           "pass a writable directory with --report-dir") from None


def check_results(results: Any) -> None:
    """The few shape facts the writers rely on; everything else is optional and shown if present."""
    if not isinstance(results, dict) or not isinstance(results.get("scenarios", []), list):
        raise HarnessError("results must be a dict with a 'scenarios' list (see harness.report's docstring)")
    for index, scenario in enumerate(results.get("scenarios", [])):
        where = f"results['scenarios'][{index}]"
        if not isinstance(scenario, dict) or not scenario.get("name"):
            raise HarnessError(f"{where} must be a dict with a non-empty 'name'")
        if scenario.get("verdict") not in VERDICTS:
            raise HarnessError(f"{where} ({scenario['name']}): verdict must be one of {', '.join(VERDICTS)}, "
                               f"got {scenario.get('verdict')!r}")


def _replace_atomically(path: Path, data: bytes) -> Path:
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, 0o644)  # mkstemp makes 0600; reports are meant to be read by CI and people
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return path
