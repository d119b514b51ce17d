"""Who is speaking, from the RFC 6464 audio level each audio packet carries.

The level is in -dBov (0 loudest, 127 silence). Speaking starts after the level stayed louder than
-50 dBov for 150 ms (gaps of loudness shorter than 100 ms do not reset that count: speech has
them), and stops once nothing was louder than -50 dBov for 700 ms, or no packet came for that long
(a muted or stopped microphone). A browser's microphone in a quiet room sits near -60 to -80 dBov;
speech into it sits near -20 to -40. The time is passed in; nothing here reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SpeakingThresholds:
    loud_dbov: int = 50  # a level (-dBov) at or below this is loud
    start_after: float = 0.15
    stop_after: float = 0.7
    gap: float = 0.1

    def __post_init__(self) -> None:
        if not 0 <= self.loud_dbov <= 127:
            raise ValueError("loud_dbov is a level in -dBov, 0 to 127")
        if min(self.start_after, self.stop_after, self.gap) <= 0:
            raise ValueError("speaking durations must be positive")


class SpeakingDetector:
    __slots__ = ("speaking", "_loud_since", "_last_loud", "_last_packet", "_thresholds")

    def __init__(self, thresholds: SpeakingThresholds) -> None:
        self._thresholds = thresholds
        self.speaking = False
        self._loud_since: float | None = None
        self._last_loud = -1e18
        self._last_packet = -1e18

    def level(self, level: int, now: float) -> bool | None:
        """Take one packet's level; returns the new state when it changed, else None."""
        t = self._thresholds
        self._last_packet = now
        if level <= t.loud_dbov:
            if self._loud_since is None or now - self._last_loud > t.gap:
                self._loud_since = now
            self._last_loud = now
            if not self.speaking and now - self._loud_since >= t.start_after:
                self.speaking = True
                return True
            return None
        return self.tick(now)

    def tick(self, now: float) -> bool | None:
        """Called now and then without a packet: ends speaking after enough quiet or silence."""
        if self.speaking and now - self._last_loud >= self._thresholds.stop_after:
            self.speaking = False
            self._loud_since = None
            return False
        return None
