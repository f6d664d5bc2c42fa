"""Checks the schema cannot express: names used in steps must be declared (technicians, jobs, bugs)."""

from __future__ import annotations

import importlib
from typing import Any, Iterable

from harness.scenarios.errors import Path, Problem, did_you_mean, format_path, listed
from harness.scenarios.limits import MAX_PROBLEMS
from harness.scenarios.yaml_marks import Marks


def reference_problems(data: dict[str, Any], marks: Marks) -> list[Problem]:
    """Problems in a scenario that already matches the schema."""
    problems: list[Problem] = []

    def unknown(path: Path, value: Any, choices: Iterable[str], what: str, *, key: bool = False) -> None:
        choices = list(choices)
        known = listed(choices)
        problems.append(Problem(
            marks.line(path, scalar=not key),
            f"{format_path(path)}: {value!r} is not {what} (known: {known}).{did_you_mean(value, choices)}",
        ))

    setup = data["setup"]
    technicians = dict.fromkeys(setup["technicians"])  # ordered for the hints, O(1) to look up
    jobs: dict[str, str] = {}  # job id -> its technician
    for index, job in enumerate(setup["jobs"]):
        if len(problems) > MAX_PROBLEMS:
            break
        path: Path = ("setup", "jobs", index)
        if job["id"] in jobs:
            message = f"{format_path(path)}.id: job {job['id']!r} is declared twice; give each job its own id"
            problems.append(Problem(marks.line(path + ("id",), scalar=True), message))
        jobs[job["id"]] = job["technician"]
        if job["technician"] not in technicians:
            unknown(path + ("technician",), job["technician"], technicians, "a technician of setup.technicians")
    a_job = "a job of setup.jobs or of an earlier assign_job step"
    a_technician = "a technician of setup.technicians"
    uploads: list[str] = []  # labels of the earlier steps that made a photo or a signature
    for index, step in enumerate(data["steps"]):
        if len(problems) > MAX_PROBLEMS:
            break
        path = ("steps", index)
        args = step.get("args") or {}
        if step.get("do") in ("take_photo", "collect_signature") and step.get("label"):
            uploads.append(step["label"])
        wait = step.get("wait")
        if isinstance(wait, dict) and wait["until"] != "upload_offset":
            for key in ("item", "bytes"):
                if key in wait:
                    problems.append(Problem(marks.line(path + ("wait", key), scalar=False),
                                            f"{format_path(path + ('wait', key))}: {key} goes with until: upload_offset"
                                            f" only; remove it, or wait until upload_offset"))
        elif isinstance(wait, dict) and wait["item"] not in uploads:
            unknown(path + ("wait", "item"), wait["item"], uploads,
                    "the label of an earlier take_photo or collect_signature step")
        if "as" in step and step["as"] not in technicians:
            unknown(path + ("as",), step["as"], technicians, a_technician)
        if step.get("office") == "assign_job":
            if args["technician"] not in technicians:
                unknown(path + ("args", "technician"), args["technician"], technicians, a_technician)
            if args["job"] in jobs:
                message = (f"{format_path(path)}.args.job: job {args['job']!r} already exists;"
                           " a new assignment needs a new id")
                problems.append(Problem(marks.line(path + ("args", "job"), scalar=True), message))
            jobs[args["job"]] = args["technician"]
        elif "job" in args and args["job"] not in jobs:
            unknown(path + ("args", "job"), args["job"], jobs, a_job)
        elif "as" in step and "job" in args and _someone_else(jobs[args["job"]], step["as"], technicians):
            problems.append(_not_their_job(path, step["as"], args["job"], jobs[args["job"]], marks))
        expect = step.get("expect") or {}
        if "job_visible" in expect and expect["job_visible"] not in jobs:
            unknown(path + ("expect", "job_visible"), expect["job_visible"], jobs, a_job)
        for job in expect.get("job_status") or {}:
            if job not in jobs:
                unknown(path + ("expect", "job_status", job), job, jobs, a_job, key=True)
    for side, names in (setup.get("bugs") or {}).items():
        known = _seeded_bugs(side)
        if known is None:
            continue  # that side's bug list is not installed: the runner will refuse unknown names
        for index, name in enumerate(names):
            if name not in known:
                unknown(("setup", "bugs", side, index), name, known, f"a seeded bug of harness/{side}/bugs.py")
    return problems


def _someone_else(owner: str, technician: str, technicians: dict[str, None]) -> bool:
    """Whether a job of ``owner`` is another technician's (both declared: an undeclared one is reported already)."""
    return owner != technician and owner in technicians and technician in technicians


def _not_their_job(path: Path, technician: str, job: str, owner: str, marks: Marks) -> Problem:
    # The server lets a technician reach only the jobs assigned to them (harness/server/auth.py): such
    # an action would be refused on every retry and end LOST, blamed on the app.
    return Problem(marks.line(path + ("args", "job"), scalar=True),
                   f"{format_path(path)}.args.job: job {job!r} is {owner}'s, not {technician}'s; a technician"
                   f" works only on their own jobs: write `as: {owner}`, or give {technician} a job of their own")


def _seeded_bugs(side: str) -> list[str] | None:
    try:
        module = importlib.import_module(f"harness.{side}.bugs")
    except ImportError:
        return None
    return list(getattr(module, "BUGS", {})) or None
