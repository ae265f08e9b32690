"""Fault drills of the meter entry: the dongle, the PANA session, the meter's radio, a stop.

Each runs on Home Assistant's frozen clock with a real recorder (SQLite), the
Wi-SUN dongle simulator on a pseudo-terminal and the meter's 45 days of
records behind it. The statistics are checked hour by hour against the
meter's own counts, over the fault and the hours around it.
"""

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
import logging

from freezegun.api import TickingDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.const import METER_POLL_SECONDS
from tests.meter.conftest import Home

from .conftest import Availability, DrillLog, Figure, advance, one_window, watch
from .meter_life import HOUR, LIVE, MeterLife, SlotCheck, hour_of, hourly_slots

MINUTE = timedelta(minutes=1)
POLL = timedelta(seconds=METER_POLL_SECONDS)
STOPPED = timedelta(hours=6)


async def _start(
    hass: HomeAssistant, entry: MockConfigEntry, clock: TickingDateTimeFactory
) -> MeterLife:
    """Set the entry up at the start of the next hour."""
    clock.move_to(hour_of(dt_util.utcnow()) + HOUR)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return MeterLife.starting_now(hass, entry, clock)


@dataclass
class Verdict:
    """What a meter drill measured once the fault was over and the hours settled."""

    check: SlotCheck
    started: list[str]
    recovered: list[str]
    windows: dict[str, list[tuple[datetime, datetime | None]]]

    @property
    def outage(self) -> float:
        """Seconds the first live entity was unavailable."""
        since, until = self.windows[LIVE[0]][0]
        return ((until or since) - since).total_seconds()

    @property
    def logs(self) -> str:
        """The log-line part of the drill's figure."""
        return f"log lines {len(self.started)} start / {len(self.recovered)} recover"

    @property
    def slots(self) -> str:
        """The statistics part of the drill's figure."""
        return f"statistics {self.check.equal}/{self.check.total} slots equal the meter's history"

    def assert_whole(self, drill_log: DrillLog, fault: datetime, mended: datetime) -> None:
        """No crash, one unavailable window over the fault, every slot the meter's, one line each way."""
        assert drill_log.crashes() == []
        assert all(one_window(w, fault, mended) for w in self.windows.values()), self.windows
        assert self.check.whole, self.check
        drill_log.check_once_each_way(self.started, self.recovered)


async def _verdict(  # noqa: PLR0917 - what every meter drill has at hand
    recorder: Recorder,
    hass: HomeAssistant,
    home: Home,
    start: datetime,
    drill_log: DrillLog,
    seen: Availability,
) -> Verdict:
    """The statistics of the 6 hours before the drill's hour and the hour itself, the log, the windows."""
    assert home.meter.history is not None
    return Verdict(
        await hourly_slots(
            recorder, hass, home.meter.history, start - timedelta(hours=6), start + HOUR
        ),
        drill_log.lines("fault", "recover", logging.WARNING),
        drill_log.lines("recover", None, logging.INFO),
        {entity_id: seen.windows(entity_id) for entity_id in LIVE},
    )


async def test_dongle_unplugged_for_five_minutes(  # noqa: PLR0917 - fixtures
    recorder_mock: Recorder,
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    clock: TickingDateTimeFactory,
    drill_log: DrillLog,
    figure: Figure,
) -> None:
    """Unplugged at 55 past, plugged back in on the hour: the hour's energy is the meter's."""
    life = await _start(hass, meter_entry, clock)
    start = hour_of(dt_util.utcnow())
    seen = watch(hass, LIVE)
    await life.live_until(start + timedelta(minutes=55))  # the back-fill ran at 20 past
    backfill = meter_entry.runtime_data.backfill
    assert backfill.status.covered_until is not None
    written = backfill.status.hours_written

    drill_log.mark("fault")
    unplugged = dt_util.utcnow()
    home.unplug()
    await asyncio.sleep(0.1)  # the driver hears the port go, as it does within ms on real USB
    await life.poll()
    for _ in range(4):
        await life.step(MINUTE)
    await life.step(MINUTE, poll=False)
    drill_log.mark("recover")
    await home.plug_in()
    replugged = dt_util.utcnow()
    await life.poll()
    await life.settle()
    await life.live_until(start + timedelta(hours=2, minutes=20))  # both hours settle

    verdict = await _verdict(recorder_mock, hass, home, start, drill_log, seen)
    figure(
        f"DRILL dongle-unplugged-5min: unavailable {verdict.outage:.0f} s, {verdict.logs}, "
        f"{meter_entry.runtime_data.backfill.status.hours_written - written} hourly rows "
        f"back-filled, {verdict.slots}"
    )
    verdict.assert_whole(drill_log, unplugged, replugged)


async def test_pana_session_expired(  # noqa: PLR0917 - fixtures
    recorder_mock: Recorder,
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    clock: TickingDateTimeFactory,
    drill_log: DrillLog,
    figure: Figure,
) -> None:
    """The session expires just before the hour and is not renewed: one poll lost, one rejoin."""
    life = await _start(hass, meter_entry, clock)
    start = hour_of(dt_util.utcnow())
    link = meter_entry.runtime_data.link
    seen = watch(hass, LIVE)
    await life.live_until(start + timedelta(minutes=59, seconds=45))
    joins = link.joins

    drill_log.mark("fault")
    expired = dt_util.utcnow()
    reauthenticating, refused = home.dongle.model.expire_session()
    home.dongle.write(reauthenticating)
    poll = asyncio.create_task(life.poll())  # the request waits while the dongle re-authenticates
    await asyncio.sleep(0.2)
    assert not poll.done()
    home.dongle.write(refused)
    await poll
    drill_log.mark("recover")  # the meter would take a join now: the next poll's
    renewed = dt_util.utcnow() + POLL
    await life.step(POLL)
    await life.settle()
    assert link.joins == joins + 1
    await life.live_until(start + timedelta(hours=2, minutes=20))

    verdict = await _verdict(recorder_mock, hass, home, start, drill_log, seen)
    figure(
        f"DRILL pana-session-expired: unavailable {verdict.outage:.0f} s (one poll), rejoins "
        f"{link.joins - joins}, {verdict.logs}, {verdict.slots}"
    )
    verdict.assert_whole(drill_log, expired, renewed)


async def test_meter_radio_silent_for_thirty_minutes(  # noqa: PLR0917 - fixtures
    recorder_mock: Recorder,
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    clock: TickingDateTimeFactory,
    drill_log: DrillLog,
    figure: Figure,
) -> None:
    """The meter answers nothing from 45 past to 15 past: both hours are back-filled."""
    life = await _start(hass, meter_entry, clock)
    start = hour_of(dt_util.utcnow())
    runtime = meter_entry.runtime_data
    runtime.link.request_timeout = 0.2  # the radio's 20 s, shortened: every poll waits it out
    seen = watch(hass, LIVE)
    await life.live_until(start + timedelta(minutes=45))
    written = runtime.backfill.status.hours_written

    drill_log.mark("fault")
    silenced = dt_util.utcnow()
    home.dongle.model.silent = True
    await life.poll()
    await life.live_until(silenced + timedelta(minutes=30))
    drill_log.mark("recover")
    home.dongle.model.silent = False
    spoke = dt_util.utcnow()
    await life.poll()
    await life.settle()
    await life.live_until(start + timedelta(hours=2, minutes=20))

    verdict = await _verdict(recorder_mock, hass, home, start, drill_log, seen)
    rewritten = runtime.backfill.status.hours_written - written
    figure(
        f"DRILL meter-silent-30min: unavailable {verdict.outage:.0f} s, {verdict.logs}, "
        f"{rewritten} hourly rows back-filled, {verdict.slots}"
    )
    verdict.assert_whole(drill_log, silenced, spoke)
    assert rewritten > 0  # the recorder's rows of the silent hours were not the meter's


async def test_home_assistant_stopped_for_six_hours(  # noqa: PLR0917 - fixtures
    recorder_mock: Recorder,
    hass: HomeAssistant,
    home: Home,
    meter_entry: MockConfigEntry,
    clock: TickingDateTimeFactory,
    drill_log: DrillLog,
    figure: Figure,
) -> None:
    """Stopped at 40 past for six hours (the recorder too): the start fills every hour."""
    life = await _start(hass, meter_entry, clock)
    start = hour_of(dt_util.utcnow())
    history = home.meter.history
    assert history is not None
    seen = watch(hass, LIVE)
    await life.live_until(start + timedelta(minutes=40))

    drill_log.mark("fault")
    stopped = dt_util.utcnow()
    assert await hass.config_entries.async_unload(meter_entry.entry_id)
    await hass.async_block_till_done()
    advance(clock, STOPPED)
    life.compiled_until = hour_of(dt_util.utcnow())  # the recorder compiled nothing meanwhile
    await life.compile()
    await home.plug_in()  # the host rebooted: a fresh dongle at the same path
    drill_log.mark("recover")
    restarted = dt_util.utcnow()
    assert await hass.config_entries.async_setup(meter_entry.entry_id)
    await hass.async_block_till_done()
    await life.settle()  # the run a start begins with
    back = hour_of(restarted)
    await life.live_until(back + timedelta(hours=2, minutes=20))

    check = await hourly_slots(
        recorder_mock, hass, history, start - timedelta(hours=6), back + HOUR
    )
    started = drill_log.lines("fault", "recover", logging.INFO)
    recovered = drill_log.lines("recover", None, logging.INFO)
    windows = {entity_id: seen.windows(entity_id) for entity_id in LIVE}
    since, until = windows[LIVE[0]][0]
    outage = ((until or since) - since).total_seconds()
    stopped_hours = [h for h in check.hours if stopped <= h + HOUR and h < restarted]
    figure(
        f"DRILL ha-stopped-6h: unavailable {outage / 3600:.1f} h, log lines {len(started)} at "
        f"the stop / {len(recovered)} at the start, statistics {check.equal}/{check.total} "
        f"slots equal the meter's history ({2 * len(stopped_hours)} of them in the stopped hours)"
    )
    assert drill_log.crashes() == []
    assert all(one_window(w, stopped, restarted) for w in windows.values()), windows
    assert check.whole, check
    # A clean stop is no fault to log; the start says once what it filled.
    assert started == []
    assert len(recovered) == 1, recovered
    assert "missing hours" in recovered[0]
