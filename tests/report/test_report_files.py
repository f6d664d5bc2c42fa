"""write_reports: the three files, their directory, atomic replacement and bad input."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from html_tree import read_page
from report_samples import error_scenario, failing_scenario, passing_scenario, run

from harness.core.errors import HarnessError
from harness.report import REPORT_FILES, write_reports


def test_writes_the_three_files_and_each_parses(tmp_path: Path) -> None:
    results = run(passing_scenario(), failing_scenario(), error_scenario(), seed=99)
    paths = write_reports(results, tmp_path)
    assert set(paths) == set(REPORT_FILES)
    assert all(path.parent == tmp_path and path.is_file() for path in paths.values())
    assert json.loads(paths["results.json"].read_text(encoding="utf-8")) == results
    assert ET.parse(paths["junit.xml"]).getroot().tag == "testsuites"
    page = read_page(paths["report.html"].read_text(encoding="utf-8"))
    assert page.problems == []
    assert page.find("svg", "timeline")


def test_report_dir_is_created_with_its_parents(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "reports"
    paths = write_reports(run(passing_scenario()), str(target))
    assert sorted(path.name for path in target.iterdir()) == sorted(REPORT_FILES)
    assert paths["report.html"] == target / "report.html"


def test_writing_again_replaces_the_files_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    write_reports(run(failing_scenario()), tmp_path)
    write_reports(run(passing_scenario()), tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(REPORT_FILES)
    assert json.loads((tmp_path / "results.json").read_text())["scenarios"][0]["verdict"] == "pass"


def test_a_crash_while_writing_keeps_the_previous_report_whole(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    write_reports(run(passing_scenario()), tmp_path)
    before = {name: (tmp_path / name).read_bytes() for name in REPORT_FILES}

    def crash(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("harness.report.write.os.fsync", crash)
    with pytest.raises(HarnessError, match="No space left on device"):
        write_reports(run(failing_scenario()), tmp_path)
    assert {name: (tmp_path / name).read_bytes() for name in REPORT_FILES} == before
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(REPORT_FILES)


@pytest.mark.parametrize(("results", "message"), [
    ([], "results must be a dict with a 'scenarios' list"),
    ({"scenarios": "none"}, "results must be a dict with a 'scenarios' list"),
    ({"scenarios": [{"verdict": "pass"}]}, r"results\['scenarios'\]\[0\] must be a dict with a non-empty 'name'"),
    ({"scenarios": [{"name": "x", "verdict": "green"}]},
     r"results\['scenarios'\]\[0\] \(x\): verdict must be one of pass, fail, error, got 'green'"),
])
def test_bad_results_name_what_is_wrong(tmp_path: Path, results: object, message: str) -> None:
    with pytest.raises(HarnessError, match=message):
        write_reports(results, tmp_path)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_results_that_are_not_plain_json_are_refused_before_any_file_is_written(tmp_path: Path) -> None:
    scenario = passing_scenario()
    scenario["metrics"]["wire_overhead_ratio"] = math.nan
    with pytest.raises(HarnessError, match="cannot be written as JSON"):
        write_reports(run(scenario), tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_report_dir_that_is_a_file_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("not a directory")
    with pytest.raises(HarnessError, match=r"cannot write reports into .*reports.*--report-dir"):
        write_reports(run(passing_scenario()), blocker)
