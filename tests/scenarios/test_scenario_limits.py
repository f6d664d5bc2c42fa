"""Hostile or odd scenario files: bounded size, nesting and alias expansion, and every odd input a
clear one-line ScenarioError (file, line, fix), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from loader_texts import HEAD

from harness.scenarios import ScenarioError, load_scenario, parse_scenario
from harness.scenarios.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_PROBLEMS, MAX_VALUES

NOTE = '  - {as: alice, do: add_note, args: {job: job1, text: "a note about the unit, all fine"}}\n'


def error_of(text: str, source: str = "s.yaml") -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(text, source)
    assert "\n" not in str(caught.value)
    return caught.value


def test_a_5_mb_file_is_refused_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text(HEAD + NOTE * (5 * 1024 * 1024 // len(NOTE)))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert str(caught.value) == (f"{path}: is 5.0 MB ({path.stat().st_size} bytes); a scenario file may be at"
                                 f" most {MAX_FILE_BYTES // 1024} KB: split it into several scenarios")


def test_a_file_just_under_the_size_limit_loads(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(HEAD + NOTE * ((MAX_FILE_BYTES - len(HEAD)) // len(NOTE)))
    assert len(load_scenario(path).steps) == (MAX_FILE_BYTES - len(HEAD)) // len(NOTE)


@pytest.mark.parametrize("shape", ["flow", "block"])
def test_600_levels_of_nesting_name_the_line_and_the_fix(shape: str) -> None:
    if shape == "flow":
        nested = NOTE.replace('text: "a note about the unit, all fine"', "text: " + "[" * 600 + "]" * 600)
    else:
        nested = "  - as: alice\n    do: add_note\n    args:\n" + "".join(
            "      " + "  " * level + f"k{level}:\n" for level in range(600))
    error = error_of(HEAD + nested)
    # block: the mapping under args (level 4) starts at line 10, one level more on each line below
    first_too_deep = 7 if shape == "flow" else 10 + (MAX_DEPTH + 1 - 4)
    assert error.line == first_too_deep
    assert str(error).startswith(f"s.yaml:{error.line}: lists and mappings are nested more than {MAX_DEPTH}"
                                 " levels deep here")
    assert "look for an unclosed '[' or '{'" in str(error)


def test_the_deepest_place_the_schema_has_is_well_within_the_limit() -> None:
    text = HEAD.replace("jobs: [{id: job1, technician: alice}]", "jobs: [{id: job1, technician: alice, line_items:"
                        " [{description: Valve, quantity: 1, unit_price_cents: 900}]}]") + NOTE
    assert parse_scenario(text).setup.jobs[0].line_items == ({"description": "Valve", "quantity": 1,
                                                                "unit_price_cents": 900},)


def billion_laughs(levels: int) -> str:
    lines = ["x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return HEAD.replace("steps:\n", "\n".join(lines) + "\nsteps:\n") + NOTE


def test_an_alias_bomb_is_refused_where_it_grows_past_the_limit() -> None:
    error = error_of(billion_laughs(9))  # a billion values once expanded
    first_too_big = next(level for level in range(10) if 10 ** (level + 1) > MAX_VALUES)
    assert error.line == 6 + first_too_big
    assert str(error).startswith(f"s.yaml:{error.line}: this value holds more than {MAX_VALUES:,} values once"
                                 " expanded; its aliases (*name) repeat whole lists or mappings")


def test_a_few_aliases_and_merge_keys_still_work() -> None:
    text = HEAD + ("  - &note {as: alice, do: add_note, args: {job: job1, text: hi}, label: first}\n"
                   "  - *note\n"
                   "  - {<<: *note, label: again}\n")
    first, second, third = parse_scenario(text).steps
    assert first == second and first.label == "first"
    assert third.label == "again" and third.args == first.args  # the mapping's own key wins over the merged one


@pytest.mark.parametrize("step", ["  - &a [*a]\n", "  - &a {as: alice, do: add_note, args: {job: job1, x: *a}}\n"])
def test_an_alias_inside_its_own_anchor_is_refused(step: str) -> None:
    assert str(error_of(HEAD + step)).startswith(
        "s.yaml:7: alias *a is used inside its own anchor &a, so the value would contain itself")


@pytest.mark.parametrize(("character", "hint"), [("\x00", " (a NUL byte: is it a binary file?)"), ("\x07", "")])
def test_a_control_character_names_its_line(character: str, hint: str) -> None:
    error = error_of(HEAD + NOTE.replace("all fine", f"all{character}fine"))
    assert str(error) == (f"s.yaml:7: invalid YAML: the character U+{ord(character):04X} is not allowed in a YAML"
                          f" file{hint}; delete it, or write it as an escape inside double quotes")


def test_a_file_that_is_not_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes((HEAD + NOTE.replace("all fine", "caf\xe9")).encode("latin-1"))
    offset = (HEAD + NOTE).index("all fine") + 3
    assert str(pytest.raises(ScenarioError, load_scenario, path).value) == (
        f"{path}:7: is not UTF-8 text (byte {offset}); save it as UTF-8")


def test_a_lone_surrogate_escape_is_refused() -> None:
    error = error_of(HEAD + '  - {as: alice, do: add_note, args: {job: job1, text: "a\\ud800b"}}\n')
    assert str(error).startswith("s.yaml:7: steps[0].args.text: \\ud800 is half of a UTF-16 surrogate pair")


@pytest.mark.parametrize("key", ["[a, b]", "{a: 1}"])
def test_a_list_or_mapping_as_a_key_is_refused(key: str) -> None:
    assert str(error_of(HEAD + f"  - {{? {key} : 1}}\n")) == (
        "s.yaml:7: a key must be a word or a number, not a list or a mapping: write `key: value`")


@pytest.mark.parametrize(("text", "expected"), [
    ("- name: x\n- steps: []\n", "s.yaml:1: (top level): a scenario is a mapping with name, description, setup"
                                 " and steps; got a list"),
    ("42\n", "s.yaml:1: (top level): a scenario is a mapping with name, description, setup and steps; got the"
             " number 42"),
    (HEAD.replace("setup:\n  technicians: [alice]\n  jobs: [{id: job1, technician: alice}]\n", "setup: 5\n") + NOTE,
     "s.yaml:3: setup: expected a mapping (key: value lines), got the number 5"),
    (HEAD + "  - 5\n", "s.yaml:7: steps[0]: expected a mapping (key: value lines), got the number 5"),
    (HEAD + "  - {as: alice, do: add_note, args: 5}\n",
     "s.yaml:7: steps[0].args: expected a mapping (key: value lines), got the number 5"),
    (HEAD + "  - {as: alice, do: add_note, args: {job: job1, job: job1}}\n",
     "s.yaml:7: duplicate key 'job' (first at line 7); keep only one"),
    (HEAD + "  - {as: alice, do: open_schedule, args: {date: 2024-05-01}}\n",
     "s.yaml:7: steps[0].args.date: expected text, got a date (2024-05-01; quote it to make it text: '2024-05-01')"),
    (HEAD + "  - {as: alice, do: add_note, args: {job: job1, text: !!binary aGVsbG8=}}\n",
     "s.yaml:7: steps[0].args.text: expected text, got binary data (!!binary)"),
    (HEAD + "  - !python/object:os.system {network: offline}\n",
     "s.yaml:7: invalid YAML: could not determine a constructor for the tag '!python/object:os.system'. Remove"
     " the tag (!name or !!name): a scenario is plain YAML."),
])
def test_odd_shapes_get_a_clear_error(text: str, expected: str) -> None:
    assert str(error_of(text)).startswith(expected)


def test_thousands_of_problems_stop_being_collected_after_the_first_few() -> None:
    jobs = "".join(f"    - {{id: job{i}, technician: alice}}\n" for i in range(2000))
    steps = "".join(f"  - {{as: alice, do: add_note, args: {{job: nope{i}}}}}\n" for i in range(2000))
    text = HEAD.replace("  jobs: [{id: job1, technician: alice}]\n", "  jobs:\n" + jobs) + steps
    error = error_of(text)
    assert len(error.problems) == MAX_PROBLEMS
    assert str(error).endswith(f"(at least {MAX_PROBLEMS - 1} more problems after this one)")
    assert "(known: job0, job1, job2, job3, job4, job5, job6, job7, job8, job9 and 1990 more)" in str(error)


@pytest.mark.parametrize(("content", "expected"), [
    ((HEAD + NOTE * (5 * 1024 * 1024 // len(NOTE))).encode(), "scenarios/x.yaml: is 5.0 MB"),
    ((HEAD + NOTE.replace('"a note about the unit, all fine"', "[" * 600 + "]" * 600)).encode(),
     f"scenarios/x.yaml:7: lists and mappings are nested more than {MAX_DEPTH} levels deep here"),
    (billion_laughs(9).encode(), "scenarios/x.yaml:11: this value holds more than"),
    ((HEAD + NOTE.replace("all fine", "caf\xe9")).encode("latin-1"), "scenarios/x.yaml:7: is not UTF-8 text"),
])
def test_offline_harness_run_exits_2_with_one_line(content: bytes, expected: str, tmp_path: Path, monkeypatch,
                                                   capsys) -> None:
    from harness.cli import main

    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "x.yaml").write_bytes(content)
    monkeypatch.chdir(tmp_path)
    assert main(["run", "scenarios/x.yaml"]) == 2
    out, err = capsys.readouterr()
    assert err.startswith(f"offline-harness run: error: {expected}") and err.count("\n") == 1, err
    assert "Traceback" not in out + err
