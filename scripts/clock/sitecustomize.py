"""Run this Python process DENKI_CLOCK_OFFSET seconds ahead of the computer's clock.

`scripts/develop` puts this folder on PYTHONPATH for the simulated home and for
Home Assistant when DENKI_CLOCK_OFFSET is set, so both see the same shifted
wall clock: to try the home at another hour, or to have a DR event end on the
half hour it is scored by without waiting for one (the end-to-end tests do).

Only the wall clock moves: `time.time()`, `time.time_ns()`, `datetime.now()`,
`utcnow()`, `today()` and `date.today()`. The monotonic clock, which asyncio's
timers and every timeout run on, stays the real one. It is installed before
any other module is imported, so `from datetime import datetime` anywhere gets
the shifted class; instances of the real classes still pass `isinstance`.
(Debian's libfaketime was tried first: with Python 3.14 every `time.sleep`
failed with EINVAL under it, and starting a thread took 60 ms.)
"""

import datetime as dt
import os
import time as _time


def _install(offset: float) -> None:
    real_time, real_time_ns = _time.time, _time.time_ns
    real_datetime, real_date = dt.datetime, dt.date
    shift_ns = round(offset * 1e9)

    def time() -> float:
        return real_time() + offset

    def time_ns() -> int:
        return real_time_ns() + shift_ns

    class _DateType(type):
        def __instancecheck__(cls, instance: object) -> bool:
            return isinstance(instance, real_date)

        def __subclasscheck__(cls, subclass: type) -> bool:
            return issubclass(subclass, real_date)

    class _DatetimeType(type):
        def __instancecheck__(cls, instance: object) -> bool:
            return isinstance(instance, real_datetime)

        def __subclasscheck__(cls, subclass: type) -> bool:
            return issubclass(subclass, real_datetime)

    class date(real_date, metaclass=_DateType):  # noqa: N801 - it stands in for datetime.date
        @classmethod
        def today(cls) -> date:
            return cls.fromtimestamp(time())

    class datetime(real_datetime, metaclass=_DatetimeType):  # noqa: N801 - and for datetime
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> datetime:
            return cls.fromtimestamp(time(), tz)

        @classmethod
        def utcnow(cls) -> datetime:
            return cls.fromtimestamp(time(), dt.UTC).replace(tzinfo=None)

        @classmethod
        def today(cls) -> datetime:
            return cls.fromtimestamp(time())

    for cls in (date, datetime):
        cls.__module__, cls.__qualname__ = "datetime", cls.__name__
    _time.time, _time.time_ns = time, time_ns
    dt.date, dt.datetime = date, datetime


if _offset := float(os.environ.get("DENKI_CLOCK_OFFSET") or 0):
    _install(_offset)
