"""Reports of a run: ``results.json``, ``junit.xml`` and ``report.html`` from one results dict.

``write_reports(results, report_dir)`` writes the three files (each replaced atomically) and
returns their paths. The runner builds ``results``; this is the contract
between the two. Times inside ``timeline`` are seconds (float) since the scenario started;
top-level times are ISO-8601 UTC::

    {
      "harness_version": "0.1.0",
      "started_at": "2026-11-25T18:00:00Z", "finished_at": "...",
      "backend": "embedded" | "binary" | "docker" | "<url>",
      "seed": 1234 | null,            # the --seed given, if any
      "time_scale": 1.0,
      "summary": {"total": 6, "passed": 5, "failed": 1, "errors": 0, "duration_s": 41.2},
      "scenarios": [
        {
          "name": "upload-cut-mid-transfer",
          "file": "scenarios/upload_cut_mid_transfer.yaml",
          "description": "Photo upload cut in a basement ...",   # one line
          "tags": ["upload", "cut"],
          "seed": 42,                                  # the scenario's effective seed (replay with it)
          "verdict": "pass" | "fail" | "error",        # error = the harness itself could not run it
          "duration_s": 6.3,
          "violations": [ {"kind": "DUPLICATE", "item_id": "…", "message": "…", "history": ["…lines…"]} ],
          "expectation_failures": ["expected sync_state idle, got syncing"],
          "error": null | "one-line reason",
          "metrics": {"time_to_sync_s": 1.2, "requests": 14, "retries": 3, "bytes_on_wire": 123456,
                      "payload_bytes": 120000, "wire_overhead_ratio": 1.03},
          "timeline": {
            "duration_s": 6.3,
            # bands: each state holds until the next entry
            "network": [{"t": 0.0, "state": "online"}, {"t": 1.5, "state": "offline"}, ...],
            "sync_states": [{"t": 0.1, "state": "idle"}, {"t": 1.6, "state": "offline"}, ...],
            "steps": [{"t": 0.2, "label": "tech take_photo job-1"}, ...],
            "items": [
              {"item_id": "…", "kind": "photo", "job_id": "…", "label": "photo of job-1",
               "accepted_t": 0.2, "acknowledged_t": 4.1 | null,
               "attempts": [{"start_t": 2.0, "end_t": 2.4, "outcome": "ok"|"fail"|"info", "http_status": 204|null}]}
            ]
          }
        }
      ]
    }

Required by the writers: ``scenarios`` a list, and each scenario's ``name`` and ``verdict``
(a ``HarnessError`` names what is wrong otherwise). Everything else may be missing or null and
is then shown as unknown. Verdict ``fail`` becomes a JUnit ``failure``; ``error`` (the harness
itself could not run the scenario) a JUnit ``error``.
"""

from __future__ import annotations

from harness.report.write import REPORT_FILES, write_reports

__all__ = ["REPORT_FILES", "write_reports"]
