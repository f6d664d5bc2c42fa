"""schema.json is generated from the registries: the committed file is the generator's output."""

from __future__ import annotations

import subprocess
import sys

from harness.scenarios import SCHEMA_PATH
from harness.scenarios.vocabulary.generate import GENERATED, schema_text

REGENERATE = "regenerate it: offline-harness schema > harness/scenarios/schema.json"


def test_the_committed_schema_is_the_generated_one() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), REGENERATE


def test_every_placeholder_of_the_frame_is_filled() -> None:
    assert GENERATED not in schema_text()


def test_offline_harness_schema_prints_it() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "harness", "schema"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert printed == schema_text()
