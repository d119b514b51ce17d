"""Readiness: named checks of what this process depends on, run together when ``/readyz`` is
asked, each within a short timeout, the answer kept for a moment.

Any part of the server registers a check with ``ctx.health.add_check(name, check)``: ``check`` is
an async callable that returns when the dependency is available and raises (anything) when it is
not, for instance a Redis ``PING`` or a ``SELECT 1``. ``/readyz`` answers 200 while every check
passed at the last run, else 503, and names each check with ``ok``, ``failed`` or ``timed_out``:
never the exception's text, which could hold an address with a password in it. Exceptions are
logged by their type alone, once when a check starts failing and once when it passes again.

A run starts when ``/readyz`` is asked and the last answer is older than ``fresh_for`` seconds;
probes arriving meanwhile share the run under way, so a flood of probes runs each check at most
once a ``fresh_for`` and nothing piles up behind a check that hangs (it is abandoned at
``timeout``). Nothing runs while nobody asks.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

logger = logging.getLogger(__name__)

Check = Callable[[], Awaitable[object]]
Outcome = Literal["ok", "failed", "timed_out"]
CHECK_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")


@dataclass(frozen=True, slots=True)
class Readiness:
    """One run of the checks: each check's outcome, and when the run ended (``time.monotonic``)."""

    checks: dict[str, Outcome]
    at: float

    @property
    def ready(self) -> bool:
        return all(outcome == "ok" for outcome in self.checks.values())


class Health:
    def __init__(self, *, timeout: float = 1.0, fresh_for: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if timeout <= 0 or fresh_for < 0:
            raise ValueError("timeout must be positive and fresh_for not negative")
        self.timeout, self.fresh_for, self.clock = timeout, fresh_for, clock
        self._checks: dict[str, Check] = {}
        self._last: Readiness | None = None
        self._running: asyncio.Task[Readiness] | None = None
        self._failing: set[str] = set()

    def add_check(self, name: str, check: Check) -> None:
        """Make ``/readyz`` depend on ``check`` (see the module's doc). ``name`` is short,
        lower case, and names the dependency (``database``, ``redis``): it is shown to whoever
        may read ``/readyz``."""
        if not CHECK_NAME.fullmatch(name):
            raise ValueError(f"a check's name is [a-z][a-z0-9_]*, at most 32 long: {name!r}")
        if name in self._checks:
            raise ValueError(f"there is already a readiness check called {name!r}")
        self._checks[name] = check
        self._last = None

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    async def readiness(self) -> Readiness:
        """The checks' outcomes, at most ``fresh_for`` seconds old (or the run under way)."""
        last = self._last
        if last is not None and self.clock() - last.at < self.fresh_for:
            return last
        if self._running is None:
            self._running = asyncio.get_running_loop().create_task(self._run(),
                                                                   name="readiness-checks")
            self._running.add_done_callback(self._ran)
        # Shielded: a probe that goes away does not cancel the run the others wait for.
        return await asyncio.shield(self._running)

    def _ran(self, task: asyncio.Task[Readiness]) -> None:
        if self._running is task:
            self._running = None

    async def _run(self) -> Readiness:
        names = list(self._checks)
        outcomes = await asyncio.gather(*(self._one(name, self._checks[name]) for name in names))
        readiness = Readiness(dict(zip(names, outcomes, strict=True)), self.clock())
        self._last = readiness
        return readiness

    async def _one(self, name: str, check: Check) -> Outcome:
        outcome: Outcome = "ok"
        cause = ""
        try:
            await asyncio.wait_for(check(), self.timeout)
        except TimeoutError:
            outcome, cause = "timed_out", f"no answer within {self.timeout:g} s"
        except Exception as exc:  # noqa: BLE001 - any failure of a dependency is "not ready"
            outcome, cause = "failed", type(exc).__name__
        if outcome != "ok" and name not in self._failing:
            self._failing.add(name)
            logger.warning("readiness check %s: %s (%s); /readyz answers 503", name, outcome,
                           cause)
        elif outcome == "ok" and name in self._failing:
            self._failing.discard(name)
            logger.info("readiness check %s passes again", name)
        return outcome

    async def close(self) -> None:
        task = self._running
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
