"""ISO 8601 durations as OpenADR 3 uses them.

"P9999Y" means infinity (OpenADR 3 User Guide, intervalPeriod.duration).
Months and other years are refused rather than guessed: the User Guide
advises against months, and no calendar is implied by a bare duration.
"""

from datetime import timedelta
import re

INFINITE = timedelta.max
"""What "P9999Y" becomes: later than any event a household will see."""

_DURATION = re.compile(
    r"(?P<sign>-)?P(?:(?P<years>\d+)Y)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:[.,]\d+)?)S)?)?"
)


class DurationError(ValueError):
    """A duration Denki cannot read."""


def parse_duration(text: str) -> timedelta:
    """Parse an ISO 8601 duration such as "PT1H30M", "P1D" or "P9999Y"."""
    match = _DURATION.fullmatch(text.strip())
    if match is None or text.strip() in ("P", "PT", "-P") or text.strip().endswith("T"):
        raise DurationError(f"{text!r} is not an ISO 8601 duration Denki can read")
    parts = match.groupdict()
    if parts["years"] is not None:
        if int(parts["years"]) == 9999 and not any(
            parts[name] for name in ("weeks", "days", "hours", "minutes", "seconds")
        ):
            return INFINITE
        raise DurationError(f"{text!r}: years are only understood as P9999Y (infinity)")
    value = timedelta(
        weeks=int(parts["weeks"] or 0),
        days=int(parts["days"] or 0),
        hours=int(parts["hours"] or 0),
        minutes=int(parts["minutes"] or 0),
        seconds=float((parts["seconds"] or "0").replace(",", ".")),
    )
    return -value if parts["sign"] else value
