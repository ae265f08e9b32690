"""Time from opening the dongle's port to the first instantaneous power reading: Denki vs momonga.

(On the J11 dongle, Denki vs broute-j11: see "j11" below.)

What a household waits for after Home Assistant restarts. Both clients talk
to the same simulated dongle (simulators.wisun_dongle) on a real
pseudo-terminal, in one process run, once for every dongle profile
(simulators.dongle_profiles.PROFILES: one row each), with a radio's timing
where it counts:

- the active scan takes a radio's time, channel by channel
  (PtyDongle(scan_time_scale=1.0): 9.6 ms x (2^duration + 1) per channel,
  17.5 s for the 28 channels at duration 6), and the meter is on channel
  0x2E, the middle of the band, so its beacon is heard 14 channels in;
- the meter answers each request `--radio-delay` seconds after the dongle
  took it (0.3 s by default; a real B-route round trip is a few hundred ms).

The rows:

- Denki after a restart: the PAN descriptor is cached in the config entry, so
  it joins without scanning; then the identification (0x83) and the scale
  (0xD3/0xE1/0xD7), then power, current and energies in one Get (what the
  integration's first update reads).
- Denki on its first start: the same, with an active scan first, at the
  integration's durations (4, 5, 6, 7), shortest first, stopping at the first
  that finds the meter.
- momonga 0.7 (Momonga.open, then get_instantaneous_power): it scans on every
  open, from duration 6, then reads the unit and coefficient. Its open sleeps
  internal_xmit_interval (5 s) on purpose; the column "momonga, no pacing"
  sets it to 0, its best case. It runs on the profiles it can read through
  (MOMONGA_CANNOT says why not on the others, as
  tests/simulators/test_dongle_profiles.py shows); there its cells are "-".

The "j11" row (a table of its own): the same meter behind the simulated J11
dongle (simulators.j11_dongle, ROHM's binary command set), peer broute-j11
0.1.0 (its J11Session over its SerialTransport, with its defaults) in
momonga's place:

- Denki: MeterLink as the integration builds it, so the port is asked for SK
  first (`probe.FAMILY_WAIT`, 3 s unanswered on a J11 dongle: nothing keeps
  the command set across a restart), then J11; after a restart with the
  cached PAN, on its first start scanning at J11's own durations
  (`j11_session.J11_SCAN_DURATIONS`: 8, 9, 10). The output also gives, not
  as a row, Denki after a restart with J11 asked first.
- broute-j11: async_connect (reset, version, [scan,] B-route, PANA, then its
  scaling and identity Gets), then async_read_meter's instantaneous_power;
  after a restart with its NetworkCache holding the meter's channel, PAN ID
  and MAC, on its first start scanning from duration 8.
- The simulated J11 dongle answers a scan at once; this bench paces it as a
  radio would (`PacedJ11Dongle`): 9.64 ms x 2^duration on each of the 14
  channels of the mask (broute_j11/session.py lines 61-70, commands.py line
  258), times `--time-scale`, the response after the last channel
  (broute_j11/session.py lines 597-600): 34.5 s at duration 8. Both clients
  wait for that response, so the meter's channel (0x0B) does not matter.
- The meter answers each Transmit Data `--radio-delay` s later, as above;
  the dongle's own responses come at once.

    .venv/bin/python -m bench.bench_broute_first_reading [--radio-delay S] [--time-scale X]
                                                         [--profile NAME|j11]...
"""

import argparse
import asyncio
from datetime import UTC, datetime
import threading
import time

from broute_j11 import CachedNetwork, J11Session, SerialTransport, SessionConfig
from momonga import Momonga

from bench.result import Row, emit
from custom_components.denki.lib.broute import j11
from custom_components.denki.lib.broute.j11_session import J11_SCAN_DURATIONS
from custom_components.denki.lib.broute.link import MeterLink
from custom_components.denki.lib.broute.probe import FAMILY_WAIT
from custom_components.denki.lib.broute.session import SCAN_DURATIONS, PanInfo
from simulators.dongle_profiles import MOMONGA_SUPPORTED, PROFILES, make_model
from simulators.j11_dongle import J11Model, PtyJ11Dongle
from simulators.smart_meter import SimulatedMeter
from simulators.wisun_dongle import MeterRadio, PtyDongle

CHANNEL = 0x2E  # 14th of the 28 channels
J11 = "j11"
"""The J11 dongle's row (simulators.j11_dongle; peer broute-j11)."""
J11_PEER = "broute-j11"
J11_CHANNEL = 0x0B
"""The meter's J11 channel: the 8th of the 14 (4 to 17, broute_j11/commands.py lines 27-28)."""
J11_DWELL_UNIT = 0.00964
"""Seconds a J11 scan dwells on a channel at duration 0: 9.64 ms x 2^duration
(broute_j11/commands.py lines 256-258, session.py lines 68-70)."""
MOMONGA_CANNOT = {
    "bp35a1-old": "joins, reads nothing: drops the ERXUDP without SECURED",
    **dict.fromkeys(
        sorted(set(PROFILES) - MOMONGA_SUPPORTED),
        "cannot scan: FAIL ER05 to its 4-argument SKSCAN",
    ),
}
"""Profiles momonga 0.7 gets no reading through, and why (tests/simulators/test_dongle_profiles.py)."""


async def with_dongle(
    profile: str, radio_delay: float, time_scale: float
) -> tuple[PtyDongle, SimulatedMeter]:
    """A started simulated dongle with a meter behind it that answers `radio_delay` s later."""
    loop = asyncio.get_running_loop()
    meter = SimulatedMeter(power_w=1234)
    model = make_model(profile, MeterRadio(channel=CHANNEL))
    pty = PtyDongle(model, scan_time_scale=time_scale)

    def answer_later(payload: bytes) -> None:
        answer = meter.answer(payload)
        if answer is not None:
            loop.call_later(radio_delay, pty.write, model.erxudp(answer))

    model.meter.responder = answer_later
    await pty.start()
    return pty, meter


async def denki(profile: str, radio_delay: float, time_scale: float, *, cached: bool) -> float:
    """Seconds from opening the port to Denki's first live reading."""
    pty, _ = await with_dongle(profile, radio_delay, time_scale)
    radio = pty.model.meter
    pan = PanInfo(radio.channel, radio.pan_id, radio.mac) if cached else None
    link = MeterLink(pty.path, radio.rbid, radio.password, pan=pan, scan_durations=SCAN_DURATIONS)
    try:
        started = time.perf_counter()
        reading = await link.read_live(lambda: datetime.now(UTC))
        elapsed = time.perf_counter() - started
        assert reading.power_w == 1234, reading
        return elapsed
    finally:
        await link.close()
        await pty.stop()


async def momonga(profile: str, radio_delay: float, time_scale: float, *, paced: bool) -> float:
    """Seconds from momonga's open to its first instantaneous power, in a thread of its own."""
    pty, _ = await with_dongle(profile, radio_delay, time_scale)
    radio = pty.model.meter
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    result: dict[str, float] = {}

    def run() -> None:
        client = Momonga(radio.rbid, radio.password, pty.path, scan_retries=3, join_retries=1)
        if not paced:
            client.internal_xmit_interval = 0
        try:
            started = time.perf_counter()
            client.open()
            power = client.get_instantaneous_power()
            result["elapsed"] = time.perf_counter() - started
            result["power"] = float(power or 0)
            client.close()
        finally:
            loop.call_soon_threadsafe(done.set)

    thread = threading.Thread(target=run, name="momonga-bench")
    thread.start()
    await done.wait()
    thread.join()
    await pty.stop()
    assert result.get("power") == 1234, result
    return result["elapsed"]


class PacedJ11Dongle(PtyJ11Dongle):
    """The simulated J11 dongle, its active scan taking a radio's time (the simulator's is instant).

    Each channel's scan result notification comes after its dwell,
    `J11_DWELL_UNIT` x 2^duration x `scan_time_scale`, and the scan's
    response after the last one, as broute_j11 expects them (session.py lines
    597-614: results, then the response once every channel is dwelled on).
    Everything else is the simulator's, unchanged.
    """

    def __init__(self, model: J11Model, *, scan_time_scale: float = 0.0) -> None:
        """Wrap `model.handle` so that an active scan's frames are written in time."""
        super().__init__(model)
        self.scan_time_scale = scan_time_scale
        handle = model.handle

        def paced(frame: j11.J11Frame) -> list[bytes]:
            out = handle(frame)
            if frame.command != j11.Command.ACTIVE_SCAN or not scan_time_scale or len(out) < 2:
                return out
            dwell = J11_DWELL_UNIT * 2 ** frame.data[0] * scan_time_scale  # data[0]: duration
            loop = asyncio.get_running_loop()
            for index, chunk in enumerate(out[:-1], start=1):
                loop.call_later(index * dwell, self.write, chunk)
            loop.call_later((len(out) - 1) * dwell, self.write, out[-1])
            return []

        model.handle = paced  # type: ignore[method-assign]


async def with_j11_dongle(radio_delay: float, time_scale: float) -> PtyJ11Dongle:
    """A started simulated J11 dongle with the meter behind it answering `radio_delay` s later."""
    loop = asyncio.get_running_loop()
    meter = SimulatedMeter(power_w=1234)
    model = J11Model(meter=MeterRadio(), channel=J11_CHANNEL)
    pty = PacedJ11Dongle(model, scan_time_scale=time_scale)

    def deliver(answer: bytes) -> None:
        if model.joined:  # a session ended meanwhile: the dongle passes nothing on
            pty.write(model.datagram(answer))

    def answer_later(payload: bytes) -> None:
        answer = meter.answer(payload)
        if answer is not None:
            loop.call_later(radio_delay, deliver, answer)

    model.meter.responder = answer_later
    await pty.start()
    return pty


class KeptNetwork:
    """broute_j11's NetworkCache: the network a restarted session rejoins without scanning."""

    def __init__(self, network: CachedNetwork | None = None) -> None:
        """Hold `network` (None: nothing known yet, the session scans)."""
        self.network = network

    def load(self) -> CachedNetwork | None:
        """The network last joined."""
        return self.network

    def store(self, network: CachedNetwork) -> None:
        """Remember `network`."""
        self.network = network


def j11_network(model: J11Model) -> CachedNetwork:
    """What broute_j11 would have cached of the simulated meter."""
    return CachedNetwork(model.channel, model.meter.pan_id, model.meter_mac)


async def denki_j11(radio_delay: float, time_scale: float, *, cached: bool) -> float:
    """Seconds from opening the J11 dongle's port to Denki's first live reading.

    With a cached PAN (a restart), its J11 channel makes MeterLink ask J11 first.
    """
    pty = await with_j11_dongle(radio_delay, time_scale)
    model = pty.model
    pan = PanInfo(model.channel, model.meter.pan_id, model.meter.mac) if cached else None
    link = MeterLink(
        pty.path,
        model.meter.rbid,
        model.meter.password,
        pan=pan,
        scan_durations=J11_SCAN_DURATIONS,
    )
    try:
        started = time.perf_counter()
        reading = await link.read_live(lambda: datetime.now(UTC))
        elapsed = time.perf_counter() - started
        assert reading.power_w == 1234, reading
        return elapsed
    finally:
        await link.close()
        await pty.stop()


async def broute_j11(radio_delay: float, time_scale: float, *, cached: bool) -> float:
    """Seconds from broute_j11's async_connect to its first instantaneous power."""
    pty = await with_j11_dongle(radio_delay, time_scale)
    radio = pty.model.meter
    cache = KeptNetwork(j11_network(pty.model) if cached else None)
    session = J11Session(
        SerialTransport(pty.path),
        SessionConfig(auth_id=radio.rbid, password=radio.password),
        network_cache=cache,
    )
    try:
        started = time.perf_counter()
        await session.async_connect()
        reading = await session.async_read_meter()
        elapsed = time.perf_counter() - started
        assert reading.instantaneous_power == 1234, reading
        return elapsed
    finally:
        await session.async_close()
        await pty.stop()


def seconds(value: float | None) -> str:
    """A cell: seconds, or "-" where there is no figure."""
    return "-" if value is None else f"{value:.2f} s"


def ratio(peer: float | None, denki: float) -> str:
    """A cell: peer / Denki, or "-"."""
    if peer is None:
        return "-"
    return f"{peer / denki:.1f}x" if peer >= denki else f"{peer / denki:.2g}x"


async def j11_rows(radio_delay: float, time_scale: float) -> list[Row]:
    """The J11 dongle's table and rows: Denki vs broute-j11, after a restart and on a first start."""
    restart = await denki_j11(radio_delay, time_scale, cached=True)
    first = await denki_j11(radio_delay, time_scale, cached=False)
    peer_restart = await broute_j11(radio_delay, time_scale, cached=True)
    peer_first = await broute_j11(radio_delay, time_scale, cached=False)
    print()
    print(
        f"J11 dongle (simulators.j11_dongle, meter on J11 channel {J11_CHANNEL:#04x}, scan paced"
        f" at {time_scale:g}x 9.64 ms x 2^d per channel by this bench), peer {J11_PEER} 0.1.0:"
    )
    print()
    print(
        f"| dongle | Denki after a restart | Denki first start | {J11_PEER} after a restart"
        f" | {J11_PEER} first start | {J11_PEER} / Denki restart"
        f" | {J11_PEER} / Denki first start |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {J11} | {seconds(restart)} | {seconds(first)} | {seconds(peer_restart)}"
        f" | {seconds(peer_first)} | {ratio(peer_restart, restart)} | {ratio(peer_first, first)} |"
    )
    print()
    print(
        "Denki's first start includes the SK question its port probe asks first"
        f" ({FAMILY_WAIT:g} s unanswered on a J11 dongle); after a restart the cached PAN's"
        " J11 channel makes it ask J11 first. broute-j11 knows it holds a J11 dongle."
    )
    return [
        Row(
            f"port open -> first power, {J11}, after a restart",
            J11_PEER,
            restart,
            peer_restart,
            "s",
        ),
        Row(f"port open -> first power, {J11}, first start", J11_PEER, first, peer_first, "s"),
    ]


async def main(radio_delay: float, time_scale: float, profiles: list[str]) -> None:
    with_j11 = J11 in profiles
    profiles = [profile for profile in profiles if profile != J11]
    print(
        "B-route: port open -> first instantaneous power, simulated dongle on a pty,"
        f" scan at {time_scale:g}x a radio's time, meter on channel {CHANNEL:#04x},"
        f" meter answering {radio_delay:g} s after each request"
    )
    rows: list[Row] = []
    if profiles:
        print()
        print(
            "| profile | Denki after a restart | Denki first start | momonga | momonga, no pacing"
            " | momonga / Denki restart | no pacing / Denki restart |"
        )
        print("|---|---|---|---|---|---|---|")
    for profile in profiles:
        restart = await denki(profile, radio_delay, time_scale, cached=True)
        first = await denki(profile, radio_delay, time_scale, cached=False)
        paced = unpaced = None
        if profile not in MOMONGA_CANNOT:
            paced = await momonga(profile, radio_delay, time_scale, paced=True)
            unpaced = await momonga(profile, radio_delay, time_scale, paced=False)
        print(
            f"| {profile} | {seconds(restart)} | {seconds(first)} | {seconds(paced)}"
            f" | {seconds(unpaced)} | {ratio(paced, restart)} | {ratio(unpaced, restart)} |"
        )
        peer = "momonga" if profile not in MOMONGA_CANNOT else "momonga (no reading)"
        rows += [
            Row(f"port open -> first power, {profile}, after a restart", peer, restart, paced, "s"),
            Row(f"port open -> first power, {profile}, first start", peer, first, paced, "s"),
        ]
    notes = [f"{name}: {why}" for name, why in MOMONGA_CANNOT.items() if name in profiles]
    if notes:
        print()
        print("momonga gets no reading through " + "; ".join(notes) + ".")
    if with_j11:
        rows += await j11_rows(radio_delay, time_scale)
    emit(
        "bench_broute_first_reading",
        rows,
        radio_delay=radio_delay,
        time_scale=time_scale,
        profiles=[*profiles, J11] if with_j11 else profiles,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--radio-delay", type=float, default=0.3)
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument(
        "--profile",
        action="append",
        choices=[*PROFILES, J11],
        help=f"only this dongle profile, or {J11} (repeatable; default: every profile and {J11})",
    )
    arguments = parser.parse_args()
    asyncio.run(
        main(arguments.radio_delay, arguments.time_scale, arguments.profile or [*PROFILES, J11])
    )
