"""The REST API keeps the contract of its OpenAPI document: schemathesis runs every one of its
checks over ``/api/openapi.json`` against the real server (admin key included), at a fixed seed,
and any failure fails this test with schemathesis's own account of it."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

from aiohttp.test_utils import TestServer

from server.app import create_app
from server.http import ADMIN_GUARD, AdminGuard
from server.settings import Settings, WebhookSettings
from tests.support import ADMIN_KEY, Clock

SEED = 20261202
EXAMPLES = 40
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
ROOT = Path(__file__).resolve().parents[2]


def _failures(junit: Path) -> list[str]:
    failures = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        for failure in [*case.iter("failure"), *case.iter("error")]:
            failures.append(f"== {case.get('name')}\n{failure.text}")
    return failures


async def test_the_api_keeps_its_openapi_contract(aiohttp_server, settings: Settings,
                                                  clock: Clock, tmp_path: Path) -> None:
    # Webhook URLs are mapped to loopback (contract_hooks.py), which the server must allow.
    app = create_app(replace(settings, webhooks=WebhookSettings(allow_private=True)),
                     clock=clock)
    # The checks send wrong keys on purpose; the throttle they would trip is tested elsewhere.
    app[ADMIN_GUARD] = AdminGuard(clock, limit=1_000_000)
    server: TestServer = await aiohttp_server(app)
    reports = tmp_path / "schemathesis"
    started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", str(server.make_url("/api/openapi.json")),
        "--checks", "all", "--seed", str(SEED), "--max-examples", str(EXAMPLES),
        "--workers", "1", "--generation-database", "none", "--no-color",
        "--header", f"Authorization: Bearer {ADMIN_KEY}",
        # A CSV file's validity is beyond any schema: a generated text is rightly refused as a
        # bad import (400), which the checks would count as a valid request refused. The
        # import has tests of its own (tests/server/programmes, tests/rooms/test_cohort_import).
        "--exclude-path", "/api/cohorts/{cohort}/import",
        "--report", "junit", "--report-junit-path", str(reports / "junit.xml"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        cwd=tmp_path,  # its cache of failures stays out of the repository
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.server.contract_hooks",
             "PYTHONPATH": str(ROOT)},
    )
    output, _ = await proc.communicate()
    print(f"schemathesis ran in {time.monotonic() - started:.1f} s")
    text = output.decode(errors="replace")
    assert (reports / "junit.xml").exists(), text
    failures = _failures(reports / "junit.xml")
    assert not failures, f"{len(failures)} operations break the contract:\n\n" + "\n\n".join(
        failures)
    assert proc.returncode == 0, text
    # Every operation of the document but the import was reached.
    selected = re.search(r"Selected: (\d+)/(\d+)", text)
    tested = re.search(r"Tested: (\d+)", text)
    assert selected and tested, text
    assert int(tested[1]) == int(selected[1]) == int(selected[2]) - 1 >= 19, text
    print(text[text.index("SUMMARY"):])
