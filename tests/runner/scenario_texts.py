"""Small scenario files the runner's tests write into a temporary folder."""

from __future__ import annotations

from pathlib import Path

TINY = """\
name: tiny-note
description: A technician adds a note in a lift with no signal and it syncs on the way out.
tags: [smoke, notes]
seed: 5
setup:
  technicians: [alice]
  jobs:
    - {id: job1, technician: alice}
steps:
  - network: offline
  - {as: alice, do: add_note, args: {job: job1, text: "hello"}}
  - {as: alice, do: set_status, args: {job: job1, status: en_route}}
  - wait: {until: offline, deadline_s: 5}
  - expect: {sync_state: offline, queued: 2}
  - network: online
  - wait: {until: synced, deadline_s: 10}
  - expect: {verdict: pass, sync_state: idle, job_status: {job1: en_route}}
"""

# The server applies every retry (seeded bug) and the first answer is lost: a real duplicate.
SERVER_IGNORES_KEY = """\
name: server-ignores-key
description: The backend forgets idempotency keys while a dead zone eats its answers.
tags: [bug]
seed: 9
setup:
  technicians: [alice]
  jobs:
    - {id: job1, technician: alice}
  bugs: {server: [ignore_idempotency_key]}
steps:
  - commit_then_fail: {route: POST /v1/batch}
  - {as: alice, do: add_note, args: {job: job1, text: "twice?"}}
  - wait: {until: synced, deadline_s: 10}
"""

# The device queues a card payment offline (seeded client bug) and charges it later.
CLIENT_QUEUES_PAYMENT = """\
name: client-queues-payment
description: An app that queues card payments taken in a cellar and charges them upstairs.
tags: [bug, payment]
seed: 13
setup:
  technicians: [alice]
  jobs:
    - {id: job1, technician: alice}
  bugs: {client: [queue_payments_offline]}
steps:
  - network: offline
  - {as: alice, do: add_note, args: {job: job1}}
  - wait: {until: offline, deadline_s: 5}
  - {as: alice, do: charge_card, args: {job: job1}}
  - network: online
  - wait: {until: synced, deadline_s: 10}
"""

BROKEN = """\
name: broken-one
description: A scenario with a typo in a step.
setup:
  technicians: [alice]
  jobs:
    - {id: job1, technician: alice}
steps:
  - {as: alice, do: add_nte, args: {job: job1}}
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path

# A byte of a photo chunk flipped on the way, on a device run as its own process (it is restarted
# first), so the fault travels over the control channel; {bugs} switches the server's bug on or not.
CORRUPTED_CHUNK_ON_PROCESS_DEVICE = """\
name: corrupted-chunk-process-device
description: A middlebox flips a byte of a photo chunk sent by an app that was restarted a moment ago.
tags: [checksum]
seed: 17
setup:
  technicians: [alice]
  jobs:
    - {{id: job1, technician: alice}}
  bugs: {{server: [{bugs}]}}
steps:
  - kill: device
  - restart: device
  - device_fault: corrupt_next_upload_chunk
  - {{as: alice, do: take_photo, args: {{job: job1, size_kb: 200}}}}
  - wait: {{until: synced, deadline_s: 15}}
"""
