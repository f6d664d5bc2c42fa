"""report.html: summary, per-scenario sections, SVG timelines, escaping and row capping."""

from __future__ import annotations

import re
from pathlib import Path

from html_tree import PageReader, read_page
from report_samples import (
    SCRIPT_NAME,
    attempt,
    error_scenario,
    failing_scenario,
    item,
    many_items_scenario,
    passing_scenario,
    run,
)

from harness.report import write_reports
from harness.report.timeline_svg import FIRST_ROWS, MAX_ROWS


def page_of(tmp_path: Path, results: dict) -> tuple[str, PageReader]:
    html = write_reports(results, tmp_path)["report.html"].read_text(encoding="utf-8")
    page = read_page(html)
    assert page.problems == []
    return html, page


def section(page: PageReader, name: str):
    sections = [el for el in page.find("details", "scenario") if name in el.all_text()]
    assert len(sections) == 1, f"expected one section for {name}"
    return sections[0]


def test_summary_shows_counts_backend_and_seed(tmp_path: Path) -> None:
    _, page = page_of(tmp_path, run(passing_scenario(), failing_scenario(), error_scenario(), seed=1234))
    stats = {el.all_text().strip() for el in page.find("div", "stat")}
    assert {"3Scenarios", "1Passed", "1Failed", "1Errors", "41.2 sDuration"} == stats
    banner = page.find("div", "banner")[0]
    assert "fail" in banner.classes and "1 failed, 1 could not run, 1 passed" in banner.all_text()
    meta = page.find("div", "meta")[0].all_text()
    assert "Backend: embedded" in meta and "Seed: 1234" in meta


def test_failures_come_first_and_only_passes_are_folded(tmp_path: Path) -> None:
    _, page = page_of(tmp_path, run(passing_scenario(), failing_scenario(), error_scenario()))
    sections = page.find("details", "scenario")
    assert [next(iter(el.classes - {"card", "scenario"})) for el in sections] == ["fail", "error", "pass"]
    assert ["open" in el.attrs for el in sections] == [True, True, False]


def test_scenario_section_has_description_seed_replay_metrics_and_violations(tmp_path: Path) -> None:
    html, page = page_of(tmp_path, run(failing_scenario()))
    text = section(page, "response-lost-after-commit").all_text()
    assert "The server commits a note but the response is lost" in text
    assert "offline-harness run scenarios/response_lost_after_commit.yaml --seed 42" in text
    assert "time to sync—" in text and "requests6" in text and "bytes on wire2.2 MiB" in text
    rows = [row.all_text() for row in page.find("tr") if "DUPLICATE" in row.all_text() or "STUCK" in row.all_text()]
    assert len(rows) == 2
    assert "nt-7" in rows[0] and "applied 2 times (ledger seq 3, 4)" in rows[0]
    assert "server ledger: seq 3 and seq 4 both apply nt-7" in rows[0]
    assert "expected sync_state idle, got syncing" in text


def test_timeline_draws_bands_attempts_markers_and_highlights_violating_items(tmp_path: Path) -> None:
    _, page = page_of(tmp_path, run(failing_scenario()))
    svgs = page.find("svg", "timeline")
    assert len(svgs) == 1
    band_texts = {el.all_text() for el in page.find("text", "band-text")}
    assert {"online", "reset_peer", "degraded", "idle", "syncing"} <= band_texts
    assert len(page.find("rect", "attempt")) == 5  # 2 + 2 + 1 attempts in failing_scenario
    assert len(page.find("circle", "queued")) == 3
    assert len(page.find("path", "acked")) == 2  # ph-2 was never acknowledged
    assert len(page.find("line", "open")) == 1
    bad_labels = [el.all_text() for el in page.find("text", "bad")]
    assert len(page.find("rect", "row-bad")) == 2 and len(bad_labels) == 2
    assert {el.all_text() for el in page.find("text", "kind-tag")} == {"DUPLICATE", "STUCK"}
    steps = [el.all_text() for el in page.find("g", "step")]
    assert any(text.startswith("server drop_response_after_commit") for text in steps)


def test_attempt_colours_follow_their_outcome(tmp_path: Path) -> None:
    scenario = passing_scenario()
    scenario["timeline"]["items"] = [item("a", "note", 0.1, 3.0, attempt(1, 2, "fail", 503), attempt(2, 2.5, "info"),
                                          attempt(2.5, 3, "ok", 201))]
    _, page = page_of(tmp_path, run(scenario))
    fills = [el.attrs["fill"] for el in page.find("rect", "attempt")]
    assert fills == ["#cf222e", "#d4a72c", "#2da44e"]


def test_scenario_without_items_still_draws_its_network_and_says_so(tmp_path: Path) -> None:
    scenario = passing_scenario()
    scenario["timeline"]["items"] = []
    _, page = page_of(tmp_path, run(scenario))
    assert len(page.find("svg", "timeline")) == 1
    assert [el.all_text() for el in page.find("text", "empty")] == ["no queued items in this scenario"]
    assert page.find("text", "band-text")


def test_three_hundred_items_are_capped_with_violating_ones_kept(tmp_path: Path) -> None:
    _, page = page_of(tmp_path, run(many_items_scenario(300, violating=(250, 299))))
    labels = [el.all_text() for el in page.find("text", "label") if "band-label" not in el.classes]
    drawn = [label for label in labels if label.startswith("note ")]
    assert len(drawn) == FIRST_ROWS + 2 <= MAX_ROWS
    assert drawn[-2:] == ["note 250", "note 299"]
    note = page.find("text", "hidden-note")[0].all_text()
    assert note.startswith(f"+ {300 - FIRST_ROWS - 2} more items not drawn (none of them violating)")


def test_violating_rows_beyond_the_cap_are_counted_as_hidden(tmp_path: Path) -> None:
    violating = tuple(range(100, 300))
    _, page = page_of(tmp_path, run(many_items_scenario(300, violating=violating)))
    assert len(page.find("rect", "row-bad")) == MAX_ROWS - FIRST_ROWS
    note = page.find("text", "hidden-note")[0].all_text()
    assert f"+ {300 - MAX_ROWS} more items not drawn ({len(violating) - (MAX_ROWS - FIRST_ROWS)} of them violating)" in note


def test_error_scenario_shows_the_reason_and_no_timeline(tmp_path: Path) -> None:
    _, page = page_of(tmp_path, run(error_scenario()))
    text = section(page, "payment-offline").all_text()
    assert "reference server did not start within 10 s (port 8123 in use?)" in text
    assert "No timeline was recorded for this scenario." in text
    assert page.find("svg", "timeline") == []


def test_empty_run_says_no_scenarios_ran(tmp_path: Path) -> None:
    _, page = page_of(tmp_path, run())
    assert page.find("div", "banner")[0].all_text() == "No scenarios ran"
    assert page.find("details", "scenario") == []


def test_text_from_user_files_is_escaped_everywhere(tmp_path: Path) -> None:
    scenario = failing_scenario(SCRIPT_NAME)
    scenario["description"] = "<img src=x onerror=alert(1)>"
    scenario["violations"][0]["message"] = "</td><script>alert(2)</script>"
    scenario["violations"][0]["history"] = ["<iframe>"]
    scenario["timeline"]["items"][0]["label"] = "<svg onload=alert(3)>"
    scenario["timeline"]["steps"][0]["label"] = "</text><script>"
    scenario["timeline"]["network"][1]["state"] = "<b>bad</b>"
    html, page = page_of(tmp_path, run(scenario))
    assert page.find("script") == [] and page.find("img") == [] and page.find("iframe") == []
    assert len(page.find("svg")) == len(page.find("svg", "timeline")) + 8  # the legend's 8 swatches
    assert html.count("&lt;script&gt;") >= 3
    assert SCRIPT_NAME in "".join(page.text)


def test_page_is_self_contained(tmp_path: Path) -> None:
    html, page = page_of(tmp_path, run(passing_scenario(), failing_scenario(), error_scenario()))
    assert page.find("script") == [] and page.find("link") == [] and page.find("img") == []
    assert not [el for el in page.elements if "src" in el.attrs]
    assert not re.search(r"""(href|src)=["']?(https?:)?//""", html)
    assert "url(" not in html and "@import" not in html


def test_metrics_are_shown_in_units_a_reader_can_compare(tmp_path: Path) -> None:
    scenario = passing_scenario()
    scenario["metrics"] = {"time_to_sync_s": 1.234, "sync_times_s": [0.161962, 12.34], "requests": 1400,
                           "bytes_on_wire": 5_452_595, "payload_bytes": 900, "wire_overhead_ratio": 1.0349,
                           "custom_figure": "n/a"}
    _, page = page_of(tmp_path, run(scenario))
    chips = [el.all_text() for el in page.find("span", "metric")]
    assert chips == ["time to sync1.23 s", "sync times0.16 s, 12.3 s", "requests1,400", "bytes on wire5.2 MiB",
                     "payload bytes900 B", "wire / payload× 1.03", "custom figuren/a"]
