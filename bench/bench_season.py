"""A season of demand response: 30 simulated days of a household through the real integration.

    .venv/bin/python -m bench.bench_season [--seed N] [--override-rate R] [--days D]
                                           [--events E] [--warmup-days W] [--json]

What is real: Home Assistant (the test harness's `async_test_home_assistant`),
Denki's appliances, aggregator and savings entries as shipped, the ECHONET
Lite simulator's devices over UDP on loopback (an air conditioner and an
EcoCute on one node, a storage battery and a light on another), an amqtt
broker, and the aggregator played by an aiomqtt client on it: it publishes
the events (SIMPLE levels that change between intervals, import limits of
several sizes, price-only events, cancellations and modifications), reads
Denki's reports and acknowledges them. One Home Assistant restart (every
entry unloaded and set up again) and one aggregator outage (the broker
stopped, then a fresh one started on the same port) fall during events.
People change an appliance during an event with probability
`--override-rate` per event and appliance, with a plain service call.

What is modelled: the household's consumption. The base load is
`simulators.meter_history.base_load_w` (hour by hour, with its noise)
scaled by the day: a seeded weather factor and weekends. The appliances'
draws are computed from the devices' CURRENT property values, read from
the simulated nodes: `simulators.consumption`'s models for the air
conditioner (plus 100 W per kelvin the day's outdoor temperature is above
its fixed 31 degC), the battery and the light; the EcoCute's model is this
bench's own, because `simulators.consumption` reads its 0xB0 codes the other
way round from the ECHONET Lite specification and from Denki (0x42 is manual
heating, 0x43 manual stop; see the report of issue 22). The meter is a plain
power sensor (W) and a cumulative energy sensor (kWh, total_increasing)
whose states the bench sets at each step, instead of the smart meter over
the Wi-SUN B-route: 30 days of B-route polling at the dongle's pace would
not fit in 25 minutes, and the B-route has benches of its own. The true
counterfactual is the same model with every appliance at its pre-event
setting.

The clock: freezegun's `freeze_time(..., tick=True)`, moved with
`move_to` (as tests/drills do): Home Assistant's wall clock and the event
loop's monotonic clock jump together, so every timer that falls due runs
at the next turn of the loop; `async_fire_time_changed` runs the
time-pattern listeners. Steps are 15 minutes (the warm-up's history
included), and 5 minutes from 40 minutes before an event to an hour after
it. The simulators answer in real time: each step waits for Home
Assistant's tasks, the outstanding exchanges and the acknowledgement of
the reports in flight (a publish waiting for its PUBACK across a jump
times out: aiomqtt's 10 s, amqtt's 5 s, for no reason a real home has).
The MQTT clients run without keep-alive (Denki's link is given
keepalive=0): a jump of the clock would otherwise make the broker drop
every client at every step. `simulators.consumption.HomeLoad` keeps the
devices' own measured properties (the air conditioner's 0x84, ...) in
step with their settings, for Denki's plan to read.

Figures (targets from issue 22):
- answered %: events that asked for curtailment (a SIMPLE level at or above
  the household's minimum, or an import limit the counterfactual draw
  exceeds at some minute) during which Denki held at least one appliance
  curtailed, over such events; price-only events ask nothing and are left
  out of both (target >= 95 %);
- delivered %: kWh delivered (counterfactual - actual) over the kWh the home
  could deliver (counterfactual - every planned appliance at its full
  curtailment within the household's limits), time-weighted over the asked
  events' active minutes; a SIMPLE 1 interval or an import limit the home
  meets with less asks for less than the full curtailment, so 100 % is not
  expected of every event (target >= 80 %). The counterfactual is the
  household's own: from the minute a person takes an appliance back, that
  appliance is as the person set it in the counterfactual, and it is no
  longer something the home could deliver (what Denki must not touch is
  not Denki's to deliver, and the person's own use, a battery set to rapid
  charging, is the person's, not a shortfall of Denki's). Beside it:
  `delivered_strict_pct` keeps every appliance at its pre-event setting in
  the counterfactual and counts it deliverable to the end, so what people
  take back and add counts against the home; `delivered_of_needed_pct`
  divides by what was asked instead (an import limit: the draw above it,
  capped at the full curtailment; a level: the full curtailment);
- comfort violations: steps at which the air conditioner held a setpoint
  above cooling_max (28) while cooling or below heating_min (18) while
  heating that no person set (target 0);
- unrestored: appliances not back at their pre-event value 10 minutes after
  an event ended, those a person changed left out (target 0); `clobbered`
  counts the overridden ones whose person's value Denki overwrote;
- savings error %: |Denki's scored kWh - true kWh| / true kWh, summed over
  the events the savings entry scored, the true kWh being counterfactual -
  actual over the same half-hour slots (target <= 10 %); beside it,
  `savings_event_error_pct` sums each event's absolute error instead, so
  that errors of opposite sign do not cancel;
- reports lost: sequence numbers of Denki's outbox that never reached the
  aggregator by the end (the outbox resends what was not acknowledged),
  target 0.
"""

# isort: off
from pytest_homeassistant_custom_component import patch_time  # before Home Assistant

# isort: on

import argparse
import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
import json
import random
import sys
import tempfile
import time
from typing import Any
from unittest.mock import patch
from zoneinfo import ZoneInfo

import aiomqtt
from amqtt.broker import Broker
import freezegun
from freezegun import freeze_time
from homeassistant import loader
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_test_home_assistant,
)

from bench.result import Row, emit
from custom_components.denki import lan as denki_lan
from custom_components.denki.aggregator.sources import mqtt as mqtt_source
from custom_components.denki.appliances import hub as appliances
from custom_components.denki.const import (
    CONF_BATTERIES,
    CONF_CLIMATES,
    CONF_DR_SOURCE,
    CONF_ENERGY_ENTITY,
    CONF_KIND,
    CONF_LIGHTS,
    CONF_POWER_ENTITY,
    CONF_WATER_HEATERS,
    CONF_YEN_PER_KWH,
    DOMAIN,
    EntryKind,
)
from custom_components.denki.lib.dr.mqtt_link import MqttLink
from custom_components.denki.lib.dr.mqtt_profile import SCHEMA, ProfileError, decode_report
from custom_components.denki.lib.dr.response import Limits
from custom_components.denki.lib.echonet import EOJ, RetryPolicy
from simulators.consumption import HomeLoad, device_w
from simulators.echonet_devices import (
    air_conditioner,
    general_lighting,
    storage_battery,
    water_heater,
)
from simulators.meter_history import base_load_w
from tests.aggregator.conftest import TOPICS, mqtt_cancel, mqtt_entry
from tests.aggregator.test_response import plan_options
from tests.appliances.conftest import (
    AIRCON,
    BATTERY,
    HEATER,
    LIGHT,
    LIVING,
    OUTSIDE,
    Lan,
    appliances_entry,
)
from tests.net import amqtt_config, free_port

JST = ZoneInfo("Asia/Tokyo")
SEASON_START = datetime(2027, 7, 5, tzinfo=JST)
"""The first day of the season, a Monday in summer (the warm-up days come before it)."""
POWER = "sensor.season_home_power"
ENERGY = "sensor.season_home_energy"
EVENTS_PER_30_DAYS = 20
WAIT = 30.0
"""Seconds (real) a set-up phase may take before the run fails."""
LIMITS = Limits()
"""The household's limits: the aggregator entry's defaults (cooling_max 28, heating_min 18)."""
KINDS = ("simple_change", "import", "price", "cancel", "modify", "simple", "import", "cancel")
"""The events' kinds, in the order they are dealt (then shuffled over the days)."""
IMPORT_LIMITS_KW = (2.5, 1.8, 1.2)
TARGETS = {"answered_pct": 95.0, "delivered_pct": 80.0, "savings_error_pct": 10.0}

type Key = tuple[str, EOJ]
type Objects = dict[Key, dict[int, bytes]]
OURS: dict[str, Key] = {
    "climate": (LIVING, AIRCON),
    "water_heater": (LIVING, HEATER),
    "battery": (OUTSIDE, BATTERY),
    "light": (OUTSIDE, LIGHT),
}
WATCHED_EPC = {"climate": 0xB3, "water_heater": 0xB0, "battery": 0xDA, "light": 0xB0}


def prepare_freezegun() -> None:
    """Home Assistant's changes to freezegun (its pytest plugin makes them per test)."""
    api: Any = freezegun.api
    api.FakeDate = patch_time.HAFakeDate
    api.datetime_to_fakedatetime = patch_time.ha_datetime_to_fakedatetime
    api.FakeDatetime = patch_time.HAFakeDatetime
    api._get_module_attributes = patch_time.ha_get_module_attributes  # noqa: SLF001
    api._get_module_attributes_hash = patch_time.ha_get_module_attributes_hash  # noqa: SLF001
    api._should_use_real_time = patch_time.ha_should_use_real_time  # noqa: SLF001
    api.get_current_time = patch_time.ha_get_current_time


class _QuietLink(MqttLink):
    """Denki's MQTT link without keep-alive: the moved clock would make the broker drop it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["keepalive"] = 0
        super().__init__(*args, **kwargs)


# --- the household's consumption -----------------------------------------------------


def ecocute_w(values: Mapping[int, bytes], when: datetime) -> int:
    """An EcoCute by its 0xB0 as ECHONET Lite and Denki read it: 0x42 heats, 0x43 stops."""
    if values.get(0x80, b"\x30") != b"\x30":
        return 2
    setting = values.get(0xB0, b"\x41")
    hour = when.astimezone(JST).hour
    boils = setting == b"\x42" or (setting == b"\x41" and (hour >= 23 or hour < 7))
    return 1200 if boils else 5


@dataclass
class Household:
    """The consumption model: the base load by hour, day and weather, and the appliances."""

    seed: int
    weather: dict[int, tuple[float, float]] = field(default_factory=dict)
    """Day ordinal -> (outdoor degC in the evening, base-load factor)."""

    def day(self, when: datetime) -> tuple[float, float]:
        """The day's outdoor temperature and base-load factor (seeded, fixed per day)."""
        local = when.astimezone(JST)
        ordinal = local.date().toordinal()
        if ordinal not in self.weather:
            rng = random.Random(self.seed * 100_003 + ordinal)
            outdoor = rng.uniform(27.0, 35.0)
            factor = 0.85 + 0.04 * (outdoor - 27.0) + rng.uniform(-0.05, 0.05)
            if local.weekday() >= 5:
                factor *= 1.12
            self.weather[ordinal] = (outdoor, factor)
        return self.weather[ordinal]

    def base_w(self, when: datetime) -> float:
        """The household's own load besides the simulated appliances."""
        minute = int(when.timestamp() // 60)
        return base_load_w(when.astimezone(JST), minute, self.seed) * self.day(when)[1]

    def appliance_w(
        self, name: str, eoj: EOJ, values: Mapping[int, bytes], when: datetime
    ) -> float:
        """One appliance's draw from its settings."""
        if name == "water_heater":
            return ecocute_w(values, when)
        watts = float(device_w(eoj, values, when))
        if name == "climate" and watts > 3 and values.get(0xB0, b"\x42") in (b"\x41", b"\x42"):
            watts = max(120.0, watts + 100.0 * (self.day(when)[0] - 31.0))
        return watts

    def power_w(self, objects: Objects, when: datetime) -> float:
        """The home's draw at `when` with the appliances' settings in `objects`."""
        return self.base_w(when) + sum(
            self.appliance_w(name, OURS[name][1], objects[OURS[name]], when) for name in OURS
        )


def snapshot(lan: Lan) -> Objects:
    """The four appliances' property tables, copied."""
    return {key: dict(lan.nodes[key[0]].objects[key[1]]) for key in OURS.values()}


def watched(objects: Objects) -> dict[str, bytes]:
    """The value each appliance's curtailment changes, by appliance."""
    return {name: bytes(objects[OURS[name]][WATCHED_EPC[name]]) for name in OURS}


def fully_curtailed(
    prior: Objects, limits: Limits = LIMITS, withdrawn: frozenset[str] = frozenset()
) -> Objects:
    """Every planned appliance at its full curtailment within the household's limits.

    The `withdrawn` appliances (a person took them back) stay as they are in `prior`.
    """
    full = {key: dict(values) for key, values in prior.items()}
    if "climate" not in withdrawn:
        climate = full[OURS["climate"]]
        setpoint = climate[0xB3][0]
        if climate.get(0xB0) == b"\x43":  # heating: lower, not below heating_min
            target = max(setpoint - limits.climate_offset, min(setpoint, limits.heating_min))
        else:
            target = min(setpoint + limits.climate_offset, max(setpoint, limits.cooling_max))
        climate[0xB3] = bytes((round(target),))
    if "water_heater" not in withdrawn:
        full[OURS["water_heater"]][0xB0] = b"\x43"  # manual stop
    if "battery" not in withdrawn:
        full[OURS["battery"]][0xDA] = b"\x43"  # discharging
    if "light" not in withdrawn:
        light = full[OURS["light"]]
        light[0xB0] = bytes((round(light[0xB0][0] * limits.light_percent / 100),))
    return full


def household_prior(prior: Objects, now: Objects, withdrawn: frozenset[str]) -> Objects:
    """The counterfactual with the household's own choices: `prior`, but each appliance a
    person took back (`withdrawn`) as that person set it (`now`)."""
    if not withdrawn:
        return prior
    mixed = dict(prior)
    for name in withdrawn:
        mixed[OURS[name]] = now[OURS[name]]
    return mixed


# --- the season's plan -----------------------------------------------------------------


@dataclass
class SeasonEvent:
    """One event of the season, as the aggregator plans it, and what was seen of it."""

    event_id: str
    kind: str
    start: datetime
    end: datetime
    published: datetime
    limit_kw: float | None = None
    cancel_at: datetime | None = None
    modify_at: datetime | None = None
    restart_at: datetime | None = None
    outage: tuple[datetime, datetime] | None = None
    overrides: dict[str, datetime] = field(default_factory=dict)
    """Appliance -> when a person changes it (if it is curtailed then)."""
    # What was seen:
    prior: Objects = field(default_factory=dict)
    asked: bool = False
    answered: bool = False
    overridden: dict[str, bytes] = field(default_factory=dict)
    """Appliance -> the device's value right after the person's change."""
    overridden_at: dict[str, datetime] = field(default_factory=dict)
    """Appliance -> when the person changed it."""
    unrestored: list[str] = field(default_factory=list)
    clobbered: list[str] = field(default_factory=list)
    delivered_kwh: float = 0.0
    deliverable_kwh: float = 0.0
    strict_delivered_kwh: float = 0.0
    """As `delivered_kwh`, against the pre-event settings even after a person's change."""
    strict_deliverable_kwh: float = 0.0
    needed_kwh: float = 0.0
    """What the event asked for: an import limit, the draw above it; a level, all of it."""
    true_kwh: float | None = None
    scored_kwh: float | None = None

    @property
    def effective_end(self) -> datetime:
        """When the event stopped asking: its end, or its cancellation."""
        return self.cancel_at if self.cancel_at is not None else self.end

    def message(self, *, level_boost: int = 0, modified: datetime | None = None) -> bytes:
        """The event message of the MQTT aggregator profile."""
        span = self.end - self.start
        if self.kind == "simple_change":
            half = self.start + max(timedelta(minutes=30), _grid(span / 2, timedelta(minutes=30)))
            parts = [(self.start, half, {"SIMPLE": [1]}), (half, self.end, {"SIMPLE": [2]})]
        elif self.kind == "import":
            parts = [(self.start, self.end, {"IMPORT_CAPACITY_LIMIT": [self.limit_kw]})]
        elif self.kind == "price":
            parts = [(self.start, self.end, {"PRICE": [48.5]})]
        else:
            level = (1 if self.kind == "modify" else 2) + level_boost
            parts = [(self.start, self.end, {"SIMPLE": [level]})]
        event: dict[str, Any] = {
            "id": self.event_id,
            "program": "kanto-dr",
            "name": f"Season {self.event_id}",
            "intervals": [
                {
                    "id": n,
                    "start": begin.isoformat(),
                    "duration": f"PT{int((end - begin).total_seconds())}S",
                    "payloads": payloads,
                }
                for n, (begin, end, payloads) in enumerate(parts)
            ],
        }
        if modified is not None:
            event["modified"] = modified.astimezone(UTC).isoformat()
        return json.dumps({"schema": SCHEMA, "type": "event", "event": event}).encode()


def plan_season(
    seed: int, days: int, events: int, override_rate: float, season_start: datetime
) -> list[SeasonEvent]:
    """The season's events: days, hours, kinds, the restart, the outage and the overrides."""
    rng = random.Random(seed)
    kinds = [KINDS[n % len(KINDS)] for n in range(events)]
    chosen_days = sorted(
        rng.sample(range(days), events) if events <= days else rng.choices(range(days), k=events)
    )
    rng.shuffle(kinds)
    planned: list[SeasonEvent] = []
    imports = 0
    for n, (day, kind) in enumerate(zip(chosen_days, kinds, strict=True)):
        begin_h = rng.choice((17.0, 17.5, 18.0, 18.5, 19.0))
        hours = rng.choice((1.0, 1.5, 2.0, 2.5, 3.0))
        start = season_start + timedelta(days=day, hours=begin_h)
        end = start + timedelta(hours=hours)
        event = SeasonEvent(f"season-{n:02d}", kind, start, end, start - timedelta(hours=2))
        if kind == "import":
            event.limit_kw = IMPORT_LIMITS_KW[imports % len(IMPORT_LIMITS_KW)]
            imports += 1
        if kind == "cancel":
            event.cancel_at = start + _grid((end - start) / 2)
        if kind == "modify":
            event.modify_at = start + timedelta(minutes=30)
        if kind != "price":
            for name in OURS:
                if rng.random() < override_rate:
                    last = max(1, int((event.effective_end - start) / timedelta(minutes=5)) - 2)
                    event.overrides[name] = start + timedelta(minutes=5 * rng.randint(1, last))
        planned.append(event)
    durable = [e for e in planned if e.kind in ("simple", "simple_change", "import", "modify")]
    durable = durable or [e for e in planned if e.kind != "price"]
    if durable:
        durable[len(durable) // 2].restart_at = durable[len(durable) // 2].start + timedelta(
            minutes=25
        )
        others = [e for e in durable if e.restart_at is None]
        if others:
            others[-1].outage = (
                others[-1].start + timedelta(minutes=10),
                others[-1].start + timedelta(minutes=40),
            )
        else:  # one event: the outage after the restart
            durable[0].outage = (
                durable[0].start + timedelta(minutes=35),
                durable[0].start + timedelta(minutes=50),
            )
    return planned


def _grid(span: timedelta, step: timedelta = timedelta(minutes=5)) -> timedelta:
    return step * int(span / step)


def step_moments(start: datetime, end: datetime, events: list[SeasonEvent]) -> list[datetime]:
    """The clock's stops: 15 minutes, 5 around events.

    Never 30: the savings spread a counter's energy over its slots only when
    two readings are at most 30 minutes apart (`MAX_SPREAD`).
    """
    windows = [(e.start - timedelta(minutes=40), e.end + timedelta(hours=1)) for e in events]
    moments = []
    moment = start
    while moment < end:
        moments.append(moment)
        if any(a <= moment < b for a, b in windows):
            step = timedelta(minutes=5)
        else:
            step = timedelta(minutes=15)
        moment += step
    return moments


# --- the aggregator ---------------------------------------------------------------------


class Aggregator:
    """The aggregator's client on the broker: publishes events, reads and acknowledges reports."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.client: aiomqtt.Client | None = None
        self.connected = asyncio.Event()
        self.received: set[tuple[str, int]] = set()
        self.messages = 0
        self.pending: list[bytes] = []
        """Events to publish once the broker is back (one falls in its outage, with some seeds)."""
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Connect, and stay connected (reconnecting after an outage)."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Disconnect for good."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            try:
                async with aiomqtt.Client(
                    "127.0.0.1", self.port, identifier="season-aggregator", keepalive=0
                ) as client:
                    await client.subscribe(TOPICS.reports, qos=1)
                    self.client = client
                    self.connected.set()
                    while self.pending:
                        await client.publish(TOPICS.events, self.pending[0], qos=1)
                        del self.pending[0]
                    async for message in client.messages:
                        await self._report(client, message.payload)
            except aiomqtt.MqttError:
                pass
            self.client = None
            self.connected.clear()
            await asyncio.sleep(0.2)

    async def _report(self, client: aiomqtt.Client, payload: object) -> None:
        if not isinstance(payload, bytes):
            return
        try:
            report = decode_report(payload)
        except ProfileError:
            return
        self.messages += 1
        self.received.add((report.outbox, report.seq))
        ack = {"schema": SCHEMA, "type": "ack", "outbox": report.outbox, "seq": report.seq}
        await client.publish(TOPICS.acks, json.dumps(ack).encode(), qos=1)

    async def publish(self, payload: bytes) -> None:
        """Publish on the events topic; while the broker is down, once it is back, as an
        aggregator's own client would (it keeps what it could not send)."""
        if self.client is None or not self.connected.is_set():
            self.pending.append(payload)
            return
        await self.client.publish(TOPICS.events, payload, qos=1)


# --- the run ----------------------------------------------------------------------------


@dataclass
class Season:
    """What the season measured."""

    seed: int
    override_rate: float
    days: int
    events: list[SeasonEvent] = field(default_factory=list)
    comfort_violations: int = 0
    reports_expected: int = 0
    reports_received: int = 0
    reports_lost: int = 0
    points: int = 0
    cards: int = 0
    price_curtailed: int = 0
    restart_done: bool = False
    outage_done: bool = False
    steps: int = 0
    runtime_s: float = 0.0

    def figures(self) -> dict[str, Any]:
        """The headline figures, JSON-friendly."""
        asked = [e for e in self.events if e.asked]
        answered = [e for e in asked if e.answered]
        deliverable = sum(e.deliverable_kwh for e in asked)
        delivered = sum(e.delivered_kwh for e in asked)
        needed = sum(e.needed_kwh for e in asked)
        strict_deliverable = sum(e.strict_deliverable_kwh for e in asked)
        strict_delivered = sum(e.strict_delivered_kwh for e in asked)
        scored = [e for e in self.events if e.scored_kwh is not None and e.true_kwh is not None]
        true_total = sum(e.true_kwh or 0.0 for e in scored)
        scored_total = sum(e.scored_kwh or 0.0 for e in scored)
        return {
            "seed": self.seed,
            "override_rate": self.override_rate,
            "days": self.days,
            "events": len(self.events),
            "events_asked": len(asked),
            "events_answered": len(answered),
            "events_price_only": sum(1 for e in self.events if e.kind == "price"),
            "answered_pct": round(100 * len(answered) / len(asked), 1) if asked else None,
            "delivered_pct": round(100 * delivered / deliverable, 1) if deliverable > 0 else None,
            "delivered_of_needed_pct": round(100 * delivered / needed, 1) if needed > 0 else None,
            "delivered_strict_pct": round(100 * strict_delivered / strict_deliverable, 1)
            if strict_deliverable > 0
            else None,
            "delivered_kwh": round(delivered, 3),
            "needed_kwh": round(needed, 3),
            "deliverable_kwh": round(deliverable, 3),
            "comfort_violations": self.comfort_violations,
            "unrestored": sum(len(e.unrestored) for e in self.events),
            "overrides": sum(len(e.overridden) for e in self.events),
            "clobbered": sum(len(e.clobbered) for e in self.events),
            "price_curtailed": self.price_curtailed,
            "events_scored": len(scored),
            "scored_kwh": round(scored_total, 3),
            "true_kwh": round(true_total, 3),
            "savings_error_pct": round(100 * abs(scored_total - true_total) / true_total, 1)
            if true_total > 0
            else None,
            "savings_event_error_pct": round(
                100
                * sum(abs((e.scored_kwh or 0.0) - (e.true_kwh or 0.0)) for e in scored)
                / true_total,
                1,
            )
            if true_total > 0
            else None,
            "reports_expected": self.reports_expected,
            "reports_received": self.reports_received,
            "reports_lost": self.reports_lost,
            "points": self.points,
            "cards": self.cards,
            "restart": self.restart_done,
            "outage": self.outage_done,
            "steps": self.steps,
            "runtime_s": round(self.runtime_s, 1),
        }


async def until(predicate: Callable[[], bool], seconds: float = WAIT) -> None:
    """Wait, in real time, until `predicate` holds."""
    async with asyncio.timeout(seconds):
        while not predicate():  # noqa: ASYNC110 - what is awaited signals nothing
            await asyncio.sleep(0.02)


class Run:
    """One season: the harness, the household, the clock and the bookkeeping."""

    def __init__(
        self,
        hass: HomeAssistant,
        *,
        clock: Any,
        lan: Lan,
        port: int,
        season: Season,
        planned: list[SeasonEvent],
    ) -> None:
        self.hass = hass
        self.clock = clock
        self.lan = lan
        self.port = port
        self.season = season
        self.planned = planned
        self.house = Household(season.seed)
        self.aggregator = Aggregator(port)
        self.broker: Broker | None = None
        self.entries: dict[str, MockConfigEntry] = {}
        self.plan: dict[str, list[str]] = {}
        self.entity: dict[str, str] = {}
        self.normal: dict[str, dict[str, Any]] = {}
        """The household's usual setting of each appliance, as service data."""
        self.by_person: set[str] = set()
        self.energy_kwh = 1000.0
        self.now: datetime | None = None
        self.minutes: dict[datetime, tuple[float, float]] = {}
        """Minute -> (counterfactual W, actual W), during events' windows."""
        self.loads = [
            HomeLoad(lan.nodes[address].objects, dt_util.utcnow) for address in (LIVING, OUTSIDE)
        ]

    # -- set-up --

    async def set_up(self) -> None:
        """The entries: appliances (already), aggregator, savings; the sensors first."""
        registry = er.async_get(self.hass)
        self.plan = plan_options(registry)
        self.entity = {
            "climate": self.plan[CONF_CLIMATES][0],
            "water_heater": self.plan[CONF_WATER_HEATERS][0],
            "battery": self.plan[CONF_BATTERIES][0],
            "light": self.plan[CONF_LIGHTS][0],
        }
        self.normal = self._usual_settings()
        self._write_sensors(dt_util.utcnow())
        aggregator_entry = mqtt_entry(self.port, **self.plan, **{CONF_POWER_ENTITY: POWER})
        aggregator_entry.add_to_hass(self.hass)
        assert await self.hass.config_entries.async_setup(aggregator_entry.entry_id)
        await until(lambda: aggregator_entry.runtime_data.source.connected)
        savings_entry = MockConfigEntry(
            domain=DOMAIN,
            title="Savings",
            unique_id=EntryKind.SAVINGS,
            data={CONF_KIND: EntryKind.SAVINGS, CONF_ENERGY_ENTITY: ENERGY, CONF_YEN_PER_KWH: 31.0},
            options={CONF_DR_SOURCE: aggregator_entry.entry_id, CONF_YEN_PER_KWH: 31.0},
        )
        savings_entry.add_to_hass(self.hass)
        assert await self.hass.config_entries.async_setup(savings_entry.entry_id)
        self.entries = {"aggregator": aggregator_entry, "savings": savings_entry}
        self.aggregator.start()
        await until(self.aggregator.connected.is_set)
        await self.hass.async_block_till_done()

    def _usual_settings(self) -> dict[str, dict[str, Any]]:
        states = {name: self.hass.states.get(entity) for name, entity in self.entity.items()}
        assert all(state is not None for state in states.values())
        climate, heater, battery, light = (states[n] for n in OURS)
        assert climate is not None
        assert heater is not None
        assert battery is not None
        assert light is not None
        return {
            "climate": {"temperature": climate.attributes["temperature"]},
            "water_heater": {"operation_mode": heater.state},
            "battery": {"option": battery.state},
            "light": {"brightness": light.attributes["brightness"]},
        }

    # -- the meter --

    def _write_sensors(self, now: datetime) -> None:
        watts = self.house.power_w(snapshot(self.lan), now)
        self.hass.states.async_set(
            POWER,
            str(round(watts)),
            {"unit_of_measurement": "W", "device_class": "power", "state_class": "measurement"},
        )
        self.hass.states.async_set(
            ENERGY,
            f"{self.energy_kwh:.4f}",
            {
                "unit_of_measurement": "kWh",
                "device_class": "energy",
                "state_class": "total_increasing",
            },
            force_update=True,
        )

    def _integrate(self, begin: datetime, end: datetime) -> None:
        """The energy from `begin` to `end`, the devices holding their settings of now."""
        actual_objects = snapshot(self.lan)
        after = timedelta(minutes=30)
        events = [e for e in self.planned if e.prior and e.start < end and begin < e.end + after]
        minute = begin
        while minute < end:
            actual = self.house.power_w(actual_objects, minute)
            self.energy_kwh += max(actual, 0.0) / 60_000
            for event in events:
                if not event.start <= minute < event.end + after:
                    continue
                strict = self.house.power_w(event.prior, minute)
                self.minutes[minute] = (strict, actual)
                if event.asked and event.start <= minute < event.effective_end:
                    withdrawn = frozenset(
                        name for name, at in event.overridden_at.items() if at <= minute
                    )
                    prior = household_prior(event.prior, actual_objects, withdrawn)
                    counterfactual = self.house.power_w(prior, minute)
                    full = self.house.power_w(fully_curtailed(prior, withdrawn=withdrawn), minute)
                    event.delivered_kwh += (counterfactual - actual) / 60_000
                    event.deliverable_kwh += (counterfactual - full) / 60_000
                    strict_full = self.house.power_w(fully_curtailed(event.prior), minute)
                    event.strict_delivered_kwh += (strict - actual) / 60_000
                    event.strict_deliverable_kwh += (strict - strict_full) / 60_000
                    needed = counterfactual - full
                    if event.limit_kw is not None:
                        needed = max(0.0, min(needed, counterfactual - 1000 * event.limit_kw))
                    event.needed_kwh += needed / 60_000
            minute += timedelta(minutes=1)

    # -- the clock --

    async def settle(self, seconds: float = 0.02) -> None:
        """Let Home Assistant's tasks and the outstanding exchanges finish.

        That includes the reports in flight: a publish still waiting for its
        PUBACK when the clock jumps would time out (aiomqtt's 10 s, amqtt's
        5 s) for no reason a real home would have.
        """
        await self.hass.async_block_till_done()
        await asyncio.sleep(seconds)
        await self.hass.async_block_till_done()
        entry = self.entries.get("aggregator")
        source = getattr(entry, "runtime_data", None)
        link = getattr(getattr(source, "source", None), "link", None)
        if link is None or not source.source.connected or not self.aggregator.connected.is_set():
            return
        deadline = time.perf_counter() + 1.0
        while link.queued and time.perf_counter() < deadline:  # noqa: ASYNC110 - no signal
            await asyncio.sleep(0.005)

    async def step(self, moment: datetime) -> None:
        """Move the clock to `moment`, run what falls due, and read the meter."""
        if self.now is not None:
            self._integrate(self.now, moment)
        for event in self.planned:
            if moment == event.start:  # what the devices hold just before Denki's start
                event.prior = snapshot(self.lan)
                if event.kind == "import":  # a limit the home stays under asks for nothing
                    assert event.limit_kw is not None
                    limit_w, prior = 1000 * event.limit_kw, event.prior
                    minutes = int((event.effective_end - event.start) / timedelta(minutes=1))
                    event.asked = any(
                        self.house.power_w(prior, event.start + timedelta(minutes=n)) > limit_w
                        for n in range(minutes)
                    )
        self.clock.move_to(moment)
        self.now = moment
        async_fire_time_changed(self.hass, moment)
        await self.settle()
        for event in self.planned:
            await self._act(event, moment)
        for load in self.loads:
            load.refresh()
        self._write_sensors(moment)
        await self.settle()
        self._observe(moment)
        self.season.steps += 1

    async def _act(self, event: SeasonEvent, moment: datetime) -> None:
        if moment == event.published:
            event.prior = snapshot(self.lan)
            event.asked = event.kind != "price"
            await self.aggregator.publish(event.message())
            if not self.aggregator.pending:  # else it reaches Denki when the broker is back
                hub = self.entries["aggregator"].runtime_data
                await until(lambda: hub.store.get(event.event_id) is not None)
        if moment == event.modify_at:
            await self.aggregator.publish(event.message(level_boost=1, modified=moment))
            await self.settle(0.1)
        if moment == event.cancel_at:
            await self.aggregator.publish(mqtt_cancel(event.event_id))
            await self.settle(0.1)
        if moment == event.restart_at:
            await self._restart()
            self.season.restart_done = True
        if event.outage is not None and moment == event.outage[0]:
            await self._broker_down()
        if event.outage is not None and moment == event.outage[1]:
            await self._broker_up()
            self.season.outage_done = True
        for name, at in event.overrides.items():
            if moment == at:
                await self._override(event, name, moment)
        if moment == event.effective_end + timedelta(minutes=10):
            self._check_restored(event)
        if moment == event.effective_end + timedelta(minutes=60):
            await self._people_put_back(event)

    def _observe(self, moment: datetime) -> None:
        """Comfort, and whether Denki holds an appliance curtailed in an event in force."""
        climate = self.lan.nodes[LIVING].objects[AIRCON]
        setpoint, mode = climate[0xB3][0], climate.get(0xB0)
        too_warm = mode in (b"\x41", b"\x42") and setpoint > LIMITS.cooling_max
        too_cold = mode == b"\x43" and setpoint < LIMITS.heating_min
        if (too_warm or too_cold) and "climate" not in self.by_person:
            self.season.comfort_violations += 1
        now_values = watched(snapshot(self.lan))
        for event in self.planned:
            if not (event.prior and event.start <= moment < event.effective_end):
                continue
            prior = watched(event.prior)
            denki = [
                name
                for name in OURS
                if name not in event.overridden and now_values[name] != prior[name]
            ]
            if event.kind == "price":
                self.season.price_curtailed += bool(denki)
            elif denki:
                event.answered = True

    # -- people --

    async def _override(self, event: SeasonEvent, name: str, moment: datetime) -> None:
        """A person changes an appliance Denki curtailed (nothing if it is not curtailed now)."""
        now_value = watched(snapshot(self.lan))[name]
        if not event.prior or now_value == watched(event.prior)[name]:
            return
        entity = self.entity[name]
        if name == "climate":
            call = ("climate", "set_temperature", {"temperature": 25})
        elif name == "water_heater":
            call = ("water_heater", "set_operation_mode", {"operation_mode": "manual_heating"})
        elif name == "battery":
            state = self.hass.states.get(entity)
            assert state is not None
            options = [
                o
                for o in state.attributes.get("options", [])
                if o not in (state.state, self.normal["battery"]["option"])
            ]
            if not options:
                return
            # Someone wants the battery full before going out.
            option = "rapid_charging" if "rapid_charging" in options else options[0]
            call = ("select", "select_option", {"option": option})
        else:
            call = ("light", "turn_on", {"brightness": 255})
        domain, service, data = call
        await self.hass.services.async_call(
            domain, service, {"entity_id": entity, **data}, blocking=True
        )
        await self.settle(0.05)
        self.by_person.add(name)
        event.overridden[name] = watched(snapshot(self.lan))[name]
        event.overridden_at[name] = moment

    async def _people_put_back(self, event: SeasonEvent) -> None:
        """An hour after the event, the people set what they changed back to the usual."""
        for name in event.overridden:
            entity, usual = self.entity[name], self.normal[name]
            if name == "climate":
                call = ("climate", "set_temperature")
            elif name == "water_heater":
                call = ("water_heater", "set_operation_mode")
            elif name == "battery":
                call = ("select", "select_option")
            else:
                call = ("light", "turn_on")
            await self.hass.services.async_call(
                *call, {"entity_id": entity, **usual}, blocking=True
            )
            self.by_person.discard(name)
        await self.settle(0.05)

    def _check_restored(self, event: SeasonEvent) -> None:
        if not event.prior:
            return
        now_values, prior = watched(snapshot(self.lan)), watched(event.prior)
        for name in OURS:
            if name in event.overridden:
                if now_values[name] != event.overridden[name]:
                    event.clobbered.append(name)
            elif now_values[name] != prior[name]:
                event.unrestored.append(name)

    # -- faults --

    async def _restart(self) -> None:
        """Home Assistant restarts: every entry unloaded, then set up again."""
        appliances_entries = [
            e
            for e in self.hass.config_entries.async_entries(DOMAIN)
            if e.data.get(CONF_KIND) == EntryKind.APPLIANCES
        ]
        order = [*appliances_entries, self.entries["aggregator"], self.entries["savings"]]
        for entry in reversed(order):
            assert await self.hass.config_entries.async_unload(entry.entry_id)
        await self.hass.async_block_till_done()
        for entry in order:
            # Not asserted: an entry that cannot start (its broker away) retries by itself.
            loaded = await self.hass.config_entries.async_setup(entry.entry_id)
            if loaded and entry in appliances_entries:
                await until(lambda entry=entry: _polled(entry))
            elif loaded and entry is self.entries["aggregator"]:
                await until(lambda: self.entries["aggregator"].runtime_data.source.connected)
            await self.hass.async_block_till_done()
        await self.settle(0.1)

    async def _broker_down(self) -> None:
        if self.broker is not None:
            await self.broker.shutdown()
            self.broker = None
        await asyncio.sleep(0.1)

    async def _broker_up(self) -> None:
        self.broker = Broker(amqtt_config(self.port))
        await self.broker.start()
        hub = self.entries["aggregator"].runtime_data
        # Denki's back-off sleeps on the loop's clock, which the steps move: a step or two.
        for _ in range(100):
            if hub.source.connected and self.aggregator.connected.is_set():
                break
            await asyncio.sleep(0.05)

    # -- the end --

    async def finish(self) -> None:
        """Let the outbox drain, then read the savings and the reports."""
        hub = self.entries["aggregator"].runtime_data
        link = hub.source.link
        assert self.now is not None
        moment = self.now
        for _ in range(24):  # two hours more, for the last settlements and resends
            moment += timedelta(minutes=5)
            await self.step(moment)
            if link is not None and link.queued == 0:
                await self.settle(0.2)
        outbox = link._outbox if link is not None else None  # noqa: SLF001
        if outbox is not None:
            short = outbox.outbox_id[:8]
            last = outbox._next - 1  # noqa: SLF001
            got = {seq for name, seq in self.aggregator.received if name == short}
            self.season.reports_expected = last
            self.season.reports_received = len(got & set(range(1, last + 1)))
            self.season.reports_lost = last - self.season.reports_received
        tracker = self.entries["savings"].runtime_data
        self.season.points = tracker.score.points
        self.season.cards = len(tracker.score.cards)
        for event in self.planned:
            outcome = tracker.ledger.events.get(event.event_id)
            if outcome is None or not outcome.participated or outcome.saved_kwh is None:
                continue
            event.scored_kwh = float(outcome.saved_kwh)
            minute, total = outcome.start, 0.0
            while minute < outcome.end:
                counterfactual, actual = self.minutes.get(minute, (0.0, 0.0))
                total += (counterfactual - actual) / 60_000
                minute += timedelta(minutes=1)
            event.true_kwh = total


def _polled(entry: MockConfigEntry) -> bool:
    ours = ("-013001", "-026b01", "-027d01", "-029001")
    coordinators = getattr(entry, "runtime_data", None)
    if coordinators is None:
        return False
    found = {k: c for k, c in coordinators.coordinators.items() if k.endswith(ours)}
    return len(found) == len(ours) and all(c.data for c in found.values())


async def _home(hass: HomeAssistant) -> Lan:
    lan = Lan(denki_lan.LISTEN_PORT)
    await lan.start(LIVING, b"LIVING-NODE-1", {AIRCON: air_conditioner(), HEATER: water_heater()})
    await lan.start(
        OUTSIDE, b"OUTSIDE-NODE1", {BATTERY: storage_battery(), LIGHT: general_lighting()}
    )
    entry = appliances_entry(lan)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await until(lambda: _polled(entry))
    await hass.async_block_till_done()
    return lan


async def measure(
    seed: int = 1,
    override_rate: float = 0.0,
    days: int = 30,
    events: int | None = None,
    warmup_days: int = 10,
) -> Season:
    """Run the season and return what it measured."""
    started = time.perf_counter()
    count = events if events is not None else max(1, round(EVENTS_PER_30_DAYS * days / 30))
    season = Season(seed, override_rate, days)
    planned = plan_season(seed, days, count, override_rate, SEASON_START)
    season.events = planned
    first = SEASON_START - timedelta(days=warmup_days)
    prepare_freezegun()
    port = free_port()
    with (
        freeze_time(first - timedelta(minutes=30), tick=True) as clock,
        tempfile.TemporaryDirectory() as config_dir,
        patch.multiple(
            denki_lan,
            LISTEN_PORT=free_port(),
            MULTICAST_LOOP=True,
            RETRY=RetryPolicy(timeout=1.0, max_timeout=4.0),
        ),
        patch.object(appliances, "DISCOVERY_WINDOW", 0.5),
        patch.object(mqtt_source, "MqttLink", _QuietLink),
    ):
        broker = Broker(amqtt_config(port))
        await broker.start()
        run: Run | None = None
        try:
            async with async_test_home_assistant(config_dir=config_dir) as hass:
                hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # load custom_components/denki
                lan = await _home(hass)
                run = Run(hass, clock=clock, lan=lan, port=port, season=season, planned=planned)
                run.broker = broker
                try:
                    await run.set_up()
                    end = SEASON_START + timedelta(days=days)
                    for moment in step_moments(first, end, planned):
                        await run.step(moment)
                    await run.finish()
                finally:
                    await run.aggregator.stop()
                    for loaded in hass.config_entries.async_entries():
                        await hass.config_entries.async_unload(loaded.entry_id)
                    await hass.async_block_till_done()
                    await hass.async_stop(force=True)
                    lan.close()
        finally:
            if run is not None and run.broker is not None:
                await run.broker.shutdown()
            elif run is None:
                await broker.shutdown()
    season.runtime_s = time.perf_counter() - started
    return season


# --- output -----------------------------------------------------------------------------


def _table(season: Season) -> list[str]:
    lines = [
        (
            "| event | kind | start (JST) | h | asked | answered | delivered / deliverable kWh"
            " | scored / true kWh | overrides | unrestored |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in season.events:
        extra = []
        if e.cancel_at:
            extra.append("cancelled")
        if e.modify_at:
            extra.append("modified")
        if e.restart_at:
            extra.append("HA restart")
        if e.outage:
            extra.append("broker outage")
        kind = e.kind + (f" {e.limit_kw:g} kW" if e.limit_kw else "")
        kind += f" ({', '.join(extra)})" if extra else ""
        scored = "-" if e.scored_kwh is None else f"{e.scored_kwh:.2f}"
        true = "-" if e.true_kwh is None else f"{e.true_kwh:.2f}"
        lines.append(
            f"| {e.event_id} | {kind} | {e.start.astimezone(JST):%m-%d %H:%M}"
            f" | {(e.end - e.start).total_seconds() / 3600:g} | {'yes' if e.asked else 'no'}"
            f" | {'yes' if e.answered else 'no'}"
            f" | {e.delivered_kwh:.2f} / {e.deliverable_kwh:.2f} | {scored} / {true}"
            f" | {', '.join(e.overridden) or '-'} | {', '.join(e.unrestored) or '-'} |"
        )
    return lines


def main(argv: list[str] | None = None) -> None:
    """Run the season and print the table (or one JSON line)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--override-rate", type=float, default=0.0)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument(
        "--events", type=int, help=f"events (default {EVENTS_PER_30_DAYS} / 30 days)"
    )
    parser.add_argument("--warmup-days", type=int, default=10, help="history before the season")
    parser.add_argument("--json", action="store_true", help="print one JSON object as last line")
    args = parser.parse_args(argv)
    season = asyncio.run(
        measure(args.seed, args.override_rate, args.days, args.events, args.warmup_days)
    )
    figures = season.figures()
    if args.json:
        sys.stdout.write(json.dumps(figures) + "\n")
        return
    print(
        f"{args.days} days (+{args.warmup_days} of history), {figures['events']} events,"
        f" seed {args.seed}, override rate {args.override_rate:g};"
        f" {figures['steps']} clock steps in {figures['runtime_s']:.0f} s"
    )
    print()
    print("\n".join(_table(season)))
    print()
    for key in (
        "answered_pct",
        "delivered_pct",
        "delivered_of_needed_pct",
        "delivered_strict_pct",
        "comfort_violations",
        "unrestored",
        "clobbered",
        "price_curtailed",
        "savings_error_pct",
        "savings_event_error_pct",
        "reports_lost",
        "points",
        "cards",
    ):
        print(f"{key}: {figures[key]}")
    print(
        "answered % leaves out the price-only events (they ask nothing);"
        f" {figures['events_price_only']} of {figures['events']} were price-only."
    )

    wanted = (
        ("events answered", "answered_pct", 95.0, "%", "higher"),
        ("flexible kWh delivered", "delivered_pct", 80.0, "%", "higher"),
        ("comfort violations", "comfort_violations", 0.0, "", "lower"),
        ("appliances unrestored", "unrestored", 0.0, "", "lower"),
        ("savings error", "savings_error_pct", 10.0, "%", "lower"),
        ("reports lost", "reports_lost", 0.0, "", "lower"),
    )
    # A figure with nothing to measure (no event scored, say) has no row rather than a 0.
    rows = [
        Row(metric, "target", float(figures[key]), target, unit, better)  # type: ignore[arg-type]
        for metric, key, target, unit, better in wanted
        if figures[key] is not None
    ]
    emit(
        "bench_season",
        rows,
        **{k: figures[k] for k in ("seed", "override_rate", "days", "events", "runtime_s")},
    )


if __name__ == "__main__":
    main()
