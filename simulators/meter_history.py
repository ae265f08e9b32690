"""What a simulated smart meter has measured: a household's energy, minute by minute.

A deterministic load profile (the household's own load, `base_load_w`: a
night-time floor, a morning and an evening peak, a little noise; and solar
export at midday) is integrated into import and export counters, so the
meter's live values and every history it keeps agree with each other
exactly, as a real meter's do. The meter's clock is a function, so a test
can move it (Home Assistant's frozen clock, for instance).

With a `load` (the appliances' net draw, from their settings as they are
when asked), the meter measures the household's base load plus that from
the moment it is connected on: its power is their sum, and the counters
integrate it as the clock passes, split at every minute, so that power,
counters and histories stay coherent. The history before that moment is the
base load plus `usual` (the same appliances with the settings they started
with), so that a home nobody touches reads the same live as in its history,
hour by hour; without `usual` it is the synthetic profile. Whoever changes
what the load depends on (an appliance's setting) calls `advance` first, so
the time before the change is counted at the old draw.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")
MINUTE = timedelta(minutes=1)
MICROSECOND = timedelta(microseconds=1)
NO_DATA = 0xFFFFFFFE
VOLTS = 100
"""Volts between each phase (R, T) and neutral, for 0xE8."""
_UNITS_PER_MINUTE = 60_000_000
"""W·µs in a watt-minute: the counters are kept in W·µs, so that seconds add up exactly."""

type Load = Callable[[datetime], int]
"""Watts the appliances draw at a time (negative: they export), with their settings as now."""


BASE_PROFILE_W = (
    250, 220, 200, 200, 200, 220, 350, 650, 550, 400, 350, 380,
    480, 400, 380, 370, 420, 600, 800, 900, 900, 800, 550, 330,
)  # fmt: skip
"""The household's own load at each hour (0:00 to 23:00), in W, besides the simulated appliances.

Interpolated in a straight line between the hours: no step at an hour boundary, so that
what a DR event curtails is not hidden by a jump of the household's own load.

The level, 10.7 kWh a day (3,900 kWh a year), is about a Japanese household's: 4,175 kWh a
year bought from the grid on average (環境省「令和3年度 家庭部門のCO2排出実態統計調査」
資料編 (確報値) 図1-69, https://www.env.go.jp/earth/ondanka/kateico2tokei/energy/detail/01/).
The shape: a floor of about 200 W at night (refrigerator, warm-water toilet seat, standby),
a morning peak at 07:00 and the evening peak at 19:00-20:00. With the simulated home's air
conditioner (620 W, cooling to 26 °C at 31 °C outdoors) and light (48 W), the home draws
1.05 kW at 14:00, 59 % of it the air conditioner, and 1.57 kW at 19:00, 40 % of it. The
Ministry of Economy, Trade and Industry's summer figures: about 1,200 W at 14:00 in a
household at home, about half of it the air conditioner, and about 340 W with nobody at home
(経済産業省「夏季の節電メニュー」, as quoted at
https://setsuden.nw.tohoku-epco.co.jp/setsuden/domestic/intro.html); at 19:00 the air
conditioner is 38 % of a household's use (経済産業省, summer 2022, as reported by 日本経済新聞
「家庭の電力消費、4割がエアコン」).
"""
NOISE_W = 120
"""The minute-to-minute spread of the base load: from -60 W to +59 W around the profile."""


def _noise(minute: int, seed: int) -> int:
    """0 to NOISE_W - 1, the same for the same minute and seed."""
    return ((minute + 7919 * seed) * 2654435761 >> 7) % NOISE_W


def base_load_w(local: datetime, minute: int, seed: int) -> int:
    """The household's own load at a local time: `BASE_PROFILE_W` with a little noise."""
    local = local.astimezone(JST)
    low, high = BASE_PROFILE_W[local.hour], BASE_PROFILE_W[(local.hour + 1) % 24]
    level = low + (high - low) * (local.minute + local.second / 60) / 60
    return round(level) + _noise(minute, seed) - NOISE_W // 2


def net_power_w(local: datetime, minute: int, seed: int) -> int:
    """The synthetic household's net power at a local time: positive imports, negative exports."""
    hour = local.hour + local.minute / 60
    solar = max(0.0, 1600 * (1 - abs(hour - 12.5) / 3.5)) if 9 <= hour < 16 else 0.0
    return base_load_w(local, minute, seed) - int(solar)


def minute_spans(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """[start, end) cut at every whole minute, as (from, to) pairs."""
    while start < end:
        boundary = start.replace(second=0, microsecond=0) + MINUTE
        to = min(boundary, end)
        yield start, to
        start = to


def current_edt(power_w: int) -> bytes:
    """0xE8 for a net power: amperes at `VOLTS` in 0.1 A, split between R and T."""
    total = round(power_w * 10 / VOLTS)
    t_phase = total // 2
    return (total - t_phase).to_bytes(2, signed=True) + t_phase.to_bytes(2, signed=True)


@dataclass
class MeterHistory:
    """Import and export counters of a meter since `origin`, and its clock.

    Counters are in counts of `wh_per_count` Wh, rolling over at 10^digits,
    starting from `import_base` / `export_base` at `origin`. With a `load`,
    minutes from the one the history was made in (or `connect`ed) on are
    measured: the base load plus the load, integrated as the clock passes.
    Minutes before are the base load plus `usual` when it is given, else the
    synthetic profile (`net_power_w`).
    """

    origin: datetime
    clock: Callable[[], datetime]
    wh_per_count: int = 10
    digits: int = 6
    import_base: int = 123_456
    export_base: int = 789
    seed: int = 0
    days_kept: int = 45
    load: Load | None = None
    usual: Load | None = None
    """What the appliances drew before the `load` was connected: the same appliances with
    the settings they started with, so that the history and the live power agree."""
    _import_energy: list[int] = field(default_factory=lambda: [0], repr=False)
    _export_energy: list[int] = field(default_factory=lambda: [0], repr=False)
    _measured_to: datetime | None = field(default=None, repr=False)
    _pending: tuple[int, int] = field(default=(0, 0), repr=False)

    def __post_init__(self) -> None:
        """Keep the origin in the meter's own time zone, on a whole minute."""
        self.origin = self.origin.astimezone(JST).replace(second=0, microsecond=0)
        if self.load is not None:
            self.connect(self.load)

    def connect(self, load: Load) -> None:
        """Measure `load` on top of the base load from the current minute on."""
        if self._measured_to is not None:
            self.advance()
            self.load = load
            return
        minute = max(0, self._minute(self.now()))
        self._extend(minute)
        self.load = load
        self._measured_to = self.origin + MINUTE * minute

    def now(self) -> datetime:
        """The meter's clock (Japan Standard Time)."""
        return self.clock().astimezone(JST)

    def _minute(self, when: datetime) -> int:
        return int((when.astimezone(JST) - self.origin) // MINUTE)

    def _extend(self, minutes: int) -> None:
        """Integrate power up to `minutes` after the origin (entry k covers minutes 0..k-1)."""
        imports, exports = self._import_energy, self._export_energy
        for m in range(len(imports) - 1, minutes):
            power = self._recorded_w(self.origin + MINUTE * m, m) * _UNITS_PER_MINUTE
            imports.append(imports[-1] + max(power, 0))
            exports.append(exports[-1] + max(-power, 0))

    def _recorded_w(self, when: datetime, minute: int) -> int:
        """The power of a minute before the load was connected (or of any, without one)."""
        if self.usual is None:
            return net_power_w(when, minute, self.seed)
        return base_load_w(when, minute, self.seed) + self.usual(when)

    def base_w(self, when: datetime) -> int:
        """The household's own load at `when`, without the appliances of a `load`."""
        return base_load_w(when.astimezone(JST), self._minute(when), self.seed)

    def advance(self) -> None:
        """Integrate the measured power up to now (nothing without a load).

        Each piece of time, cut at whole minutes, counts at the power of its
        start; a minute is entered in the counters once the clock has passed it.
        """
        if self.load is None or self._measured_to is None:
            return
        imports, exports = self._import_energy, self._export_energy
        pending_in, pending_out = self._pending
        for start, end in minute_spans(self._measured_to, self.now()):
            power = self.base_w(start) + self.load(start)
            energy = power * ((end - start) // MICROSECOND)
            pending_in += max(energy, 0)
            pending_out += max(-energy, 0)
            if end.second == 0 and end.microsecond == 0:
                imports.append(imports[-1] + pending_in)
                exports.append(exports[-1] + pending_out)
                pending_in = pending_out = 0
            self._measured_to = end
        self._pending = (pending_in, pending_out)

    def counts_at(self, when: datetime) -> tuple[int, int] | None:
        """Import and export counts at a time the meter has passed, else None."""
        minute = self._minute(when)
        if minute < 0 or when.astimezone(JST) > self.now():
            return None
        self.advance()
        self._extend(minute)
        per_count = 60 * self.wh_per_count * _UNITS_PER_MINUTE
        modulus = 10**self.digits
        return (
            (self.import_base + self._import_energy[minute] // per_count) % modulus,
            (self.export_base + self._export_energy[minute] // per_count) % modulus,
        )

    def kept(self, when: datetime, *, one_minute: bool = False) -> tuple[int, int] | None:
        """Counts at `when` if the meter still keeps that point in its history."""
        age = self.now() - when.astimezone(JST)
        limit = timedelta(minutes=60) if one_minute else timedelta(days=self.days_kept)
        if age > limit:
            return None
        return self.counts_at(when)

    def power_w(self) -> int:
        """Instantaneous net power now."""
        now = self.now()
        if self.load is None:
            return self._recorded_w(now, self._minute(now))
        self.advance()
        return self.base_w(now) + self.load(now)

    def last_boundary(self) -> datetime:
        """The latest 30-minute boundary the meter has passed."""
        now = self.now()
        return now.replace(minute=now.minute - now.minute % 30, second=0, microsecond=0)


def timestamp(when: datetime, *, seconds: bool) -> bytes:
    """Year (2 bytes), month, day, hour, minute and, if asked, second."""
    local = when.astimezone(JST)
    head = local.year.to_bytes(2) + bytes([local.month, local.day, local.hour, local.minute])
    return head + bytes([local.second]) if seconds else head


def _u32(value: int | None) -> bytes:
    return (NO_DATA if value is None else value).to_bytes(4)


def history_properties(history: MeterHistory, selected: dict[int, bytes]) -> dict[int, bytes]:
    """The time-dependent properties of a meter with `history`, as EDT bytes.

    `selected` holds what the controller last set in 0xE5, 0xED and 0xEF.
    """
    now = history.now()
    counts = history.counts_at(now) or (NO_DATA, NO_DATA)
    power = history.power_w()
    boundary = history.last_boundary()
    fixed = history.counts_at(boundary) or (NO_DATA, NO_DATA)
    props = {
        0x97: bytes([now.hour, now.minute]),
        0x98: now.year.to_bytes(2) + bytes([now.month, now.day]),
        0xE0: _u32(counts[0]),
        0xE3: _u32(counts[1]),
        0xE7: power.to_bytes(4, signed=True),
        0xEA: timestamp(boundary, seconds=True) + _u32(fixed[0]),
        0xEB: timestamp(boundary, seconds=True) + _u32(fixed[1]),
    }
    if history.load is not None:
        props[0xE8] = current_edt(power)
    days_ago = selected.get(0xE5, b"\x00")[0]
    day = (now - timedelta(days=days_ago)).replace(hour=0, minute=0, second=0, microsecond=0)
    slots = [history.kept(day + timedelta(minutes=30 * i)) for i in range(48)]
    props[0xE2] = days_ago.to_bytes(2) + b"".join(_u32(s[0] if s else None) for s in slots)
    props[0xE4] = days_ago.to_bytes(2) + b"".join(_u32(s[1] if s else None) for s in slots)
    props[0xEC] = _pairs(history, selected.get(0xED), boundary, 30, one_minute=False)
    return props


def one_minute_properties(history: MeterHistory, selected: dict[int, bytes]) -> dict[int, bytes]:
    """What next-generation meters add: 0xD0 (latest minute) and 0xEE (1-minute history)."""
    minute = history.now().replace(second=0, microsecond=0)
    latest = history.counts_at(minute) or (NO_DATA, NO_DATA)
    return {
        0xD0: timestamp(minute, seconds=True) + _u32(latest[0]) + _u32(latest[1]),
        0xEE: _pairs(history, selected.get(0xEF), minute, 1, one_minute=True),
    }


def _pairs(
    history: MeterHistory, request: bytes | None, default: datetime, step: int, *, one_minute: bool
) -> bytes:
    """0xEC / 0xEE: from the newest point that 0xED / 0xEF chose, newest first."""
    if request is None or len(request) != 7:
        newest, points = default, 12 if step == 30 else 10
    else:
        year = int.from_bytes(request[0:2])
        newest = datetime(year, request[2], request[3], request[4], request[5], tzinfo=JST)
        points = request[6]
    out = timestamp(newest, seconds=False) + bytes([points])
    for i in range(points):
        counts = history.kept(newest - timedelta(minutes=step * i), one_minute=one_minute)
        out += _u32(counts[0] if counts else None) + _u32(counts[1] if counts else None)
    return out
