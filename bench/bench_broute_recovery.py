"""Time from a transient B-route fault to the next live reading: Denki vs momonga.

What a household sees when the radio stumbles: how long the power sensor
lags behind. The target is one poll interval (15 s, the integration's) with
no user action. Both clients talk to the same simulated dongle
(simulators.wisun_dongle, a profile of simulators.dongle_profiles) on a real
pseudo-terminal, in one process run; the meter answers each request
`--radio-delay` seconds after the dongle took it (0.3 s by default).

Each client joins once, reads once, then, `--rounds` times, a fault is
injected and the clock runs from the injection to the next successful
instantaneous power reading (the median is printed):

- "EVENT 21 01": the dongle's next SKSENDTO ends in EVENT 21 with parameter
  01, the datagram not sent (`DongleModel.send_failures`, as
  tests/simulators/test_dongle_profiles.py injects it), and the read is asked
  at once;
- "EVENT 24, refused once/twice": the session is lost (EVENT 29, then 24:
  `DongleModel.expire_session`), and the meter, busy, refuses the next one
  or two SKJOINs before it accepts (`DongleModel.refuse_joins`); the read is
  asked as soon as the dongle's events have been read.

How each client gets through, by its own logic and with its defaults:

- Denki (MeterLink.read_live, as the integration's coordinator polls it):
  an EVENT 21 01 is retransmitted at once; a lost session is joined again on
  the next read, a refusal from a meter that accepted the credentials before
  retried within that read after a back-off (2 s, then 4 s: a busy meter is
  given time). A read that still fails is asked again one poll interval
  (`--interval`) later, as the coordinator would: that wait is counted.
- momonga 0.7 (Momonga, get_instantaneous_power, from a thread): on EVENT 21
  01 it sleeps internal_xmit_interval (5 s) and sends again
  (momonga.py `_request_locked`); on EVENT 24 its receiver thread rejoins at
  once, up to join_retries (3) SKJOINs, and the request waits for the
  session's gate to open again (momonga_session_manager.py `_receiver`). A
  read that raises (MomongaNeedToReopen: "close Momonga and open it again")
  or is still waiting after `--limit` seconds counts as "no recovery by
  itself", printed as such; the figure is not made up.

On a real radio each SKJOIN's PANA exchange takes a few seconds more, for
both clients alike; the simulated meter refuses or accepts at once.

The "j11" profile: the same meter behind the simulated J11 dongle
(simulators.j11_dongle, ROHM's binary command set; its scans answer at once,
which no fault here needs), peer broute-j11 0.1.0 in momonga's place (its
J11Session over its SerialTransport, with its defaults), and J11's faults:

- "no ACK (result 5)": the dongle's next Transmit Data ends with transmission
  result 5, nothing sent (`J11Model.send_failures`), the read asked at once;
- "session ended", "... refused once/twice": the meter ends the PANA session
  (a connection status change, `PtyJ11Dongle.end_session`) and refuses the
  next zero, one or two PANA starts (result 02, `J11Model.refuse_joins`);
  the read is asked once the client has seen the session go (bounded wait).

Denki as above (result 5 is sent again at once, `J11Session.request`).
broute-j11: async_read_meter, whose async_ensure_connected rebuilds the
session (reset, the cached channel, B-route, PANA) up to 3 times with its
back-off (broute_j11/session.py lines 391-413, 925), and whose Get is retried
at once after result 5 (`_async_get_properties`, lines 682-700); a read that raises is asked again one poll
interval later, as for Denki. A PANA refusal is an AuthenticationError to it,
latched until a new session is made (broute_j11/session.py lines 636-649):
printed as "no recovery by itself"; the bench then makes a new session, as
its docstring asks of a user, so that the next fault starts from one.

    .venv/bin/python -m bench.bench_broute_recovery [--rounds N] [--radio-delay S]
                                                    [--interval S] [--profile NAME|j11]...
                                                    [--quick]
"""

import argparse
import asyncio
from collections.abc import Callable, Iterable
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import statistics
import threading
import time
from typing import Any, Protocol

from broute_j11 import J11Session, SerialTransport, SessionConfig
from momonga import Momonga

from bench.bench_broute_first_reading import (
    J11,
    J11_PEER,
    KeptNetwork,
    with_dongle,
    with_j11_dongle,
)
from bench.result import Row, emit
from custom_components.denki.lib.broute.errors import DongleError
from custom_components.denki.lib.broute.link import MeterLink
from simulators.dongle_profiles import MOMONGA_SUPPORTED, PROFILES
from simulators.j11_dongle import PtyJ11Dongle
from simulators.wisun_dongle import PtyDongle

REPRESENTATIVE = ("bp35c0", "bp35a1-1.2.10")
"""One dongle of each SK dialect (with and without the side field)."""
FAULTS = {
    "EVENT 21 01": 0,
    "EVENT 24, refused once": 1,
    "EVENT 24, refused twice": 2,
}
"""Each fault, and how many SKJOINs the meter refuses after it (EVENT 24 only)."""
J11_FAULTS = {
    "no ACK (result 5)": 0,
    "session ended": 0,
    "session ended, refused once": 1,
    "session ended, refused twice": 2,
}
"""The J11 dongle's faults, and how many PANA starts the meter refuses after it (session ends)."""
J11_NO_ACK = "no ACK (result 5)"
HEARD_WITHIN = 2.0
"""Seconds a client is given to see a J11 session end before the read is asked anyway."""
POLL_INTERVAL = 15.0
"""The integration's poll interval, and the target."""
POWER_W = 1234
"""What the simulated meter reads (bench.bench_broute_first_reading's meter)."""


def inject(pty: PtyDongle, fault: str) -> None:
    """Make the simulated dongle or meter stumble as `fault` says."""
    model = pty.model
    if fault == "EVENT 21 01":
        model.send_failures = 1  # the next SKSENDTO: EVENT 21 ... 01, nothing sent
        return
    model.refuse_joins = FAULTS[fault]  # the busy meter refuses, then accepts
    pty.write(b"".join(model.expire_session()))  # EVENT 29, then EVENT 24: the session is gone


def inject_j11(pty: PtyJ11Dongle, fault: str) -> None:
    """Make the simulated J11 dongle or meter stumble as `fault` says."""
    model = pty.model
    if fault == J11_NO_ACK:
        model.send_failures = 1  # the next Transmit Data: transmission result 5, nothing sent
        return
    model.refuse_joins = J11_FAULTS[fault]  # the busy meter refuses, then accepts
    pty.end_session()  # connection status: PANA disconnected


class Client(Protocol):
    """A client that tells whether its session is up (MeterLink, broute_j11's J11Session)."""

    @property
    def connected(self) -> bool:
        """Whether the session is up."""
        ...


async def seen_gone(fault: str, client: Client) -> None:
    """Wait (bounded) until `client` saw the session end, for the faults that end it."""
    if fault == J11_NO_ACK:
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(HEARD_WITHIN):
            while client.connected:  # noqa: ASYNC110 - the clients signal nothing to await
                await asyncio.sleep(0.005)


async def heard(pty: PtyDongle) -> None:
    """Wait until the driver has read what the dongle wrote (the fault's events)."""
    await pty.drained()
    await asyncio.sleep(0.01)


@dataclass
class Outcome:
    """One client's recoveries from one fault: seconds each, or why there is none."""

    seconds: list[float] = field(default_factory=list)
    failure: str | None = None

    @property
    def median(self) -> float | None:
        """The median recovery, None when the client did not recover by itself."""
        if self.failure is not None or not self.seconds:
            return None
        return statistics.median(self.seconds)


async def denki(
    profile: str, radio_delay: float, rounds: int, interval: float, limit: float
) -> dict[str, Outcome]:
    """Denki's recoveries from every fault, on one dongle and one link."""
    pty, _ = await with_dongle(profile, radio_delay, 0.0)
    radio = pty.model.meter
    link = MeterLink(pty.path, radio.rbid, radio.password, scan_durations=(4,))
    outcomes: dict[str, Outcome] = {}

    def now() -> datetime:
        return datetime.now(UTC)

    try:
        assert (await link.read_live(now)).power_w == POWER_W
        for fault in FAULTS:
            outcome = outcomes[fault] = Outcome()
            for _ in range(rounds):
                await asyncio.sleep(0.2)
                started = time.perf_counter()
                inject(pty, fault)
                await heard(pty)
                while True:
                    try:
                        reading = await link.read_live(now)
                    except DongleError as err:
                        if time.perf_counter() - started + interval > limit:
                            outcome.failure = f"{type(err).__name__}: {err}"
                            break
                        await asyncio.sleep(interval)  # the coordinator's next poll
                        continue
                    assert reading.power_w == POWER_W, reading
                    outcome.seconds.append(time.perf_counter() - started)
                    break
                if outcome.failure is not None:
                    break
    finally:
        await link.close()
        await pty.stop()
    return outcomes


async def denki_j11(
    radio_delay: float, rounds: int, interval: float, limit: float
) -> dict[str, Outcome]:
    """Denki's recoveries from every J11 fault, on one J11 dongle and one link."""
    pty = await with_j11_dongle(radio_delay, 0.0)
    radio = pty.model.meter
    link = MeterLink(pty.path, radio.rbid, radio.password)
    outcomes: dict[str, Outcome] = {}

    def now() -> datetime:
        return datetime.now(UTC)

    try:
        assert (await link.read_live(now)).power_w == POWER_W
        for fault in J11_FAULTS:
            outcome = outcomes[fault] = Outcome()
            for _ in range(rounds):
                await asyncio.sleep(0.2)
                started = time.perf_counter()
                inject_j11(pty, fault)
                await seen_gone(fault, link)
                while True:
                    try:
                        reading = await link.read_live(now)
                    except DongleError as err:
                        if time.perf_counter() - started + interval > limit:
                            outcome.failure = f"{type(err).__name__}: {err}"
                            break
                        await asyncio.sleep(interval)  # the coordinator's next poll
                        continue
                    assert reading.power_w == POWER_W, reading
                    outcome.seconds.append(time.perf_counter() - started)
                    break
                if outcome.failure is not None:
                    break
    finally:
        await link.close()
        await pty.stop()
    return outcomes


async def broute_j11(
    radio_delay: float, rounds: int, interval: float, limit: float
) -> dict[str, Outcome]:
    """broute-j11's recoveries from every J11 fault, on one J11 dongle.

    A session that latched a refusal (AuthenticationError) is closed and a new
    one made, after the figure is taken, so that the next fault starts from one.
    """
    pty = await with_j11_dongle(radio_delay, 0.0)
    radio = pty.model.meter
    cache = KeptNetwork()
    config = SessionConfig(auth_id=radio.rbid, password=radio.password)

    def new_session() -> J11Session:
        return J11Session(SerialTransport(pty.path), config, network_cache=cache)

    session = new_session()
    outcomes: dict[str, Outcome] = {}
    try:
        await session.async_connect()
        reading = await session.async_read_meter()
        assert reading.instantaneous_power == POWER_W, reading
        for fault in J11_FAULTS:
            outcome = outcomes[fault] = Outcome()
            for _ in range(rounds):
                await asyncio.sleep(0.2)
                started = time.perf_counter()
                inject_j11(pty, fault)
                await seen_gone(fault, session)
                while True:
                    remaining = limit - (time.perf_counter() - started)
                    try:
                        async with asyncio.timeout(max(remaining, 0.001)):
                            reading = await session.async_read_meter()
                    except TimeoutError:
                        outcome.failure = f"no reading within {limit:g} s"
                        break
                    except Exception as err:  # noqa: BLE001 - broute-j11's own verdict, printed
                        latched = session.authentication_failed
                        if latched or time.perf_counter() - started + interval > limit:
                            outcome.failure = f"{type(err).__name__}: {err}"
                            break
                        await asyncio.sleep(interval)  # the caller's next poll
                        continue
                    assert reading.instantaneous_power == POWER_W, reading
                    outcome.seconds.append(time.perf_counter() - started)
                    break
                if outcome.failure is not None:
                    # What a user would do: a new session, the meter calmed down.
                    await session.async_close()
                    pty.model.refuse_joins = 0
                    session = new_session()
                    await session.async_connect()
                    break
    finally:
        await session.async_close()
        await pty.stop()
    return outcomes


async def in_thread[T](work: Callable[[], T], within: float) -> T:
    """`work()` in a thread of its own while the loop serves the dongle; TimeoutError after `within`.

    The thread is a daemon: one still blocked when the bench ends does not hold it.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def target() -> None:
        try:
            result = work()
        except BaseException as err:  # noqa: BLE001 - handed to the awaiting task
            loop.call_soon_threadsafe(settle, None, err)
        else:
            loop.call_soon_threadsafe(settle, result, None)

    threading.Thread(target=target, name="momonga-recovery", daemon=True).start()
    return await asyncio.wait_for(asyncio.shield(future), within)


async def momonga(
    profile: str, radio_delay: float, rounds: int, limit: float
) -> dict[str, Outcome]:
    """momonga's recoveries from every fault, on one dongle and one open Momonga."""
    pty, _ = await with_dongle(profile, radio_delay, 0.0)
    radio = pty.model.meter
    client = Momonga(radio.rbid, radio.password, pty.path)
    outcomes: dict[str, Outcome] = {}
    try:
        await in_thread(client.open, 120)
        assert await in_thread(client.get_instantaneous_power, 60) == POWER_W
        for fault in FAULTS:
            outcome = outcomes[fault] = Outcome()
            for _ in range(rounds):
                await asyncio.sleep(0.2)
                started = time.perf_counter()
                inject(pty, fault)
                await heard(pty)
                try:
                    power = await in_thread(client.get_instantaneous_power, limit)
                except TimeoutError:
                    outcome.failure = f"no reading within {limit:g} s"
                except Exception as err:  # noqa: BLE001 - momonga's own verdict, printed
                    outcome.failure = f"{type(err).__name__}: {err}"
                else:
                    assert power == POWER_W, power
                    outcome.seconds.append(time.perf_counter() - started)
                    continue
                # No recovery by itself: what a user would do, so that the next fault
                # starts from a session again.
                await pty.stop()
                return {
                    **outcomes,
                    **{f: Outcome(failure="not run") for f in FAULTS if f not in outcomes},
                }
    finally:
        if not pty.unplugged:
            with contextlib.suppress(Exception):  # closing after the figures are taken
                await in_thread(client.close, 30)
        await pty.stop()
    return outcomes


def times(ratio: float) -> str:
    """A ratio, as "12.3x", or "0.012x" below 1."""
    return f"{ratio:.1f}x" if ratio >= 1 else f"{ratio:.2g}x"


def cell(outcome: Outcome | None) -> str:
    """A table cell: the median, or why there is none."""
    if outcome is None:
        return "-"
    median = outcome.median
    if median is None:
        return f"no recovery by itself ({outcome.failure})"
    return f"{median:.2f} s"


def table_rows(
    profile: str,
    faults: Iterable[str],
    *,
    ours: dict[str, Outcome],
    peer: dict[str, Outcome],
    peer_name: str,
    interval: float,
) -> tuple[list[Row], bool]:
    """Print one profile's lines of the table; its rows, and whether Denki met the target."""
    rows: list[Row] = []
    met = True
    for fault in faults:
        figure = ours[fault].median
        theirs = peer[fault].median if fault in peer else None
        within = figure is not None and figure <= interval
        met &= within
        ratio = "-" if figure is None or theirs is None else times(theirs / figure)
        print(
            f"| {profile} | {fault} | {cell(ours[fault])} | {cell(peer.get(fault))}"
            f" | {ratio} | {'yes' if within else 'NO'} |"
        )
        rows.append(
            Row(
                f"{fault} -> next reading, {profile}",
                peer_name if theirs is not None else f"{peer_name} (no recovery by itself)",
                figure if figure is not None else float("nan"),
                theirs,
                "s",
            )
        )
    return rows, met


async def main(
    profiles: list[str], radio_delay: float, rounds: int, interval: float, limit: float
) -> None:
    print(
        "B-route: transient fault -> next instantaneous power, simulated dongle on a pty,"
        f" meter answering {radio_delay:g} s after each request, {rounds} rounds, median;"
        f" target: within one poll interval ({interval:g} s), no user action"
    )
    rows: list[Row] = []
    met = True
    sk_profiles = [profile for profile in profiles if profile != J11]
    if sk_profiles:
        print()
        print("| profile | fault | Denki | momonga | momonga / Denki | Denki within target |")
        print("|---|---|---|---|---|---|")
    for profile in sk_profiles:
        ours = await denki(profile, radio_delay, rounds, interval, limit)
        peer = (
            await momonga(profile, radio_delay, rounds, limit)
            if profile in MOMONGA_SUPPORTED
            else {}
        )
        more, within = table_rows(
            profile, FAULTS, ours=ours, peer=peer, peer_name="momonga", interval=interval
        )
        rows += more
        met &= within
    if J11 in profiles:
        ours = await denki_j11(radio_delay, rounds, interval, limit)
        peer = await broute_j11(radio_delay, rounds, interval, limit)
        print()
        print(f"J11 dongle (simulators.j11_dongle), peer {J11_PEER} 0.1.0:")
        print()
        print(
            f"| profile | fault | Denki | {J11_PEER} | {J11_PEER} / Denki | Denki within target |"
        )
        print("|---|---|---|---|---|---|")
        more, within = table_rows(
            J11, J11_FAULTS, ours=ours, peer=peer, peer_name=J11_PEER, interval=interval
        )
        rows += more
        met &= within
    print()
    print(f"Denki within one poll interval ({interval:g} s) every time: {'yes' if met else 'NO'}")
    if sk_profiles:
        print(
            "EVENT 24: Denki waits 2 s, then 4 s, before joining a meter that refused again"
            " (a busy meter is given time); momonga's receiver joins again at once. Here the"
            " meter refuses at once; a real PANA exchange adds seconds to every attempt, both"
            " sides."
        )
    if J11 in profiles:
        print(
            "J11: a refused PANA start (result 02) is wrong credentials to broute-j11"
            " (AuthenticationError, latched until a new session is made); Denki takes a"
            " refusal of credentials the meter accepted before as a busy meter's and joins"
            " again after 2 s, then 4 s."
        )
    emit(
        "bench_broute_recovery",
        rows,
        radio_delay=radio_delay,
        rounds=rounds,
        target_s=interval,
        target_met=met,
        profiles=profiles,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--radio-delay", type=float, default=0.3)
    parser.add_argument(
        "--interval", type=float, default=POLL_INTERVAL, help="the poll interval and target (15 s)"
    )
    parser.add_argument(
        "--limit", type=float, default=90.0, help="seconds after which a fault counts unrecovered"
    )
    parser.add_argument(
        "--profile",
        action="append",
        choices=[*PROFILES, J11],
        help=f"this dongle profile (repeatable; default: {', '.join(REPRESENTATIVE)}, {J11})",
    )
    parser.add_argument(
        "--quick", action="store_true", help=f"one round on bp35c0 and {J11}, a short radio delay"
    )
    arguments = parser.parse_args()
    chosen = arguments.profile or [*REPRESENTATIVE, J11]
    if arguments.quick:
        arguments.rounds, arguments.radio_delay = 1, 0.05
        chosen = arguments.profile or ["bp35c0", J11]
    asyncio.run(
        main(chosen, arguments.radio_delay, arguments.rounds, arguments.interval, arguments.limit)
    )
