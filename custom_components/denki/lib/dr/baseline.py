"""The household's draw before an event: the mean of the last readings.

It stands for the household's draw when its power sensor gives none at the
moment an import limit is sized (`Responder.replan`).
"""

from collections import deque
from datetime import datetime, timedelta

BASELINE_WINDOW = timedelta(minutes=30)
"""The draw before an event that its curtailment is measured against."""


class BaselineWindow:
    """The power readings of the last `window`, and their mean."""

    def __init__(self, window: timedelta = BASELINE_WINDOW) -> None:
        """Start with no readings."""
        self.window = window
        self._readings: deque[tuple[datetime, float]] = deque()

    def __len__(self) -> int:
        """How many readings are kept."""
        return len(self._readings)

    def add(self, at: datetime, kw: float) -> None:
        """A reading of `kw` at `at` (readings come in time order); older ones leave."""
        self._readings.append((at, kw))
        while self._readings and self._readings[0][0] < at - self.window:
            self._readings.popleft()

    def baseline(self, now: datetime) -> float | None:
        """The mean of the readings within the window before `now`, in kW (None: none)."""
        recent = [kw for at, kw in self._readings if at >= now - self.window]
        return round(sum(recent) / len(recent), 3) if recent else None
