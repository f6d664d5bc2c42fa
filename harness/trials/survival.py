"""The media a user would see after a crash trial: every photo and signature record on the trial's
jobs, with its downloaded bytes; the checker's survival rules judge them (harness/checker/survival.py)."""

from __future__ import annotations

from typing import Any

import httpx

from harness.core.contract import sha256_hex


async def visible_media(http: httpx.AsyncClient, job_ids: list[str]) -> list[dict[str, Any]]:
    """Every photo and signature record the server shows on these jobs, with its downloaded bytes."""
    records = []
    for job_id in job_ids:
        job = (await http.get(f"/v1/jobs/{job_id}")).raise_for_status().json()
        for record in [*job.get("photos", []), *([job["signature"]] if job.get("signature") else [])]:
            content = (await http.get(record["url"])).raise_for_status().content
            records.append({**record, "job_id": job_id, "downloaded": len(content),
                            "downloaded_sha256": sha256_hex(content)})
    return records
