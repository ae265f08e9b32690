"""The OpenADR 2.0b VEN against a real VTN: openleadr's OpenADRServer, in process, on loopback."""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.denki.lib.dr import DrEvent, EventError, OptState, SignalType
from custom_components.denki.lib.openadr.client import OpenadrConnectionError
from custom_components.denki.lib.openadr.oadr20b import Oadr20bVen, event_from_oadr20b
from tests.aggregator.conftest import until
from tests.net import free_port
from tests.oadr20b_vtn import Vtn, openleadr_vtn

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.fixture
async def vtn(socket_enabled: None) -> AsyncIterator[Vtn]:
    async with openleadr_vtn() as started:
        yield started


@dataclass
class Home:
    """The VEN's side: what it was told."""

    events: list[DrEvent] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    opt: dict[str, OptState] = field(default_factory=dict)


def _ven(vtn: Vtn, home: Home) -> Oadr20bVen:
    return Oadr20bVen(
        vtn.url,
        "denki-home",
        on_event=home.events.append,
        on_cancel=home.cancelled.append,
        opt_for=lambda event_id: home.opt.get(event_id, OptState.AUTOMATIC),
        on_refused=lambda event_id, why: home.refused.append((event_id, why)),
        readings=lambda: {"power_kw": 1.25},
    )


async def test_register_receive_answer_and_cancel(vtn: Vtn) -> None:
    home = Home()
    ven = _ven(vtn, home)
    await ven.start()
    try:
        assert ven.registered
        assert ven.ven_id == "ven-1"
        start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
        vtn.add("ev-1", start, [1.0, 2.0])
        await until(lambda: bool(home.events) and bool(vtn.opts))
        event = home.events[0]
        assert (event.event_id, event.program_id, event.source) == (
            "ev-1",
            "oadr://kanto-dr",
            "openadr2b",
        )
        assert event.start == start
        assert event.end == start + timedelta(hours=1)
        assert event.value_at(SignalType.SIMPLE, start + timedelta(minutes=45)) == 2.0
        assert vtn.opts == [("ven-1", "ev-1", "optIn")]

        home.opt["ev-2"] = OptState.OPT_OUT
        vtn.add("ev-2", start + timedelta(hours=3), [1.0])
        await until(lambda: ("ven-1", "ev-2", "optOut") in vtn.opts)

        vtn.server.cancel_event("ven-1", "ev-1")
        await until(lambda: home.cancelled == ["ev-1"])
    finally:
        await ven.stop()


async def test_an_unreachable_vtn_is_a_clear_error(socket_enabled: None) -> None:
    ven = _ven(Vtn(None, f"http://127.0.0.1:{free_port()}/OpenADR2/Simple/2.0b"), Home())
    with pytest.raises(OpenadrConnectionError, match="did not register"):
        await ven.start()


def _parsed(**overrides: Any) -> dict[str, Any]:
    start = NOW + timedelta(hours=1)
    event: dict[str, Any] = {
        "event_descriptor": {
            "event_id": "ev-9",
            "modification_number": 0,
            "market_context": "oadr://kanto-dr",
            "event_status": "far",
            "priority": 1,
            "modification_date_time": NOW,
        },
        "active_period": {"dtstart": start, "duration": timedelta(hours=1)},
        "event_signals": [
            {
                "signal_name": "simple",
                "signal_type": "level",
                "intervals": [
                    {"duration": timedelta(minutes=30), "uid": 0, "signal_payload": 1.0},
                    {"duration": timedelta(minutes=30), "uid": 1, "signal_payload": 3.0},
                ],
            },
            {
                "signal_name": "ELECTRICITY_PRICE",
                "signal_type": "price",
                "intervals": [{"duration": timedelta(hours=1), "uid": 0, "signal_payload": 42.0}],
            },
        ],
    }
    event.update(overrides)
    return event


def test_conversion_of_intervals_without_their_own_start() -> None:
    event = event_from_oadr20b(_parsed(), NOW)
    start = NOW + timedelta(hours=1)
    assert [(i.start, i.duration) for i in event.intervals] == [
        (start, timedelta(minutes=30)),
        (start, timedelta(hours=1)),
        (start + timedelta(minutes=30), timedelta(minutes=30)),
    ]
    assert event.value_at(SignalType.SIMPLE, start + timedelta(minutes=40)) == 3.0
    assert event.value_at(SignalType.PRICE, start + timedelta(minutes=10)) == 42.0
    assert (event.priority, event.modified, event.cancelled) == (1, NOW, False)
    cancelled = _parsed()
    cancelled["event_descriptor"] = {**cancelled["event_descriptor"], "event_status": "cancelled"}
    assert event_from_oadr20b(cancelled, NOW).cancelled


@pytest.mark.parametrize(
    ("broken", "why"),
    [
        ({"event_descriptor": {}}, "without 'event_id'"),
        ({"active_period": {"dtstart": "tomorrow", "duration": timedelta(hours=1)}}, "aware time"),
        ({"active_period": {"dtstart": NOW, "duration": -timedelta(hours=1)}}, "not a duration"),
        (
            {"event_signals": [{"signal_name": "simple", "intervals": [{"signal_payload": 1.0}]}]},
            "has no duration",
        ),
        (
            {
                "event_signals": [
                    {
                        "signal_name": "simple",
                        "intervals": [{"duration": timedelta(hours=1), "signal_payload": None}],
                    }
                ]
            },
            "not a plain value",
        ),
    ],
)
def test_what_cannot_be_read_says_why(broken: dict[str, Any], why: str) -> None:
    with pytest.raises(EventError, match=why):
        event_from_oadr20b(_parsed(**broken), NOW)


async def test_telemetry_reports_the_households_power(vtn: Vtn) -> None:
    received: list[float] = []

    async def register_report(  # noqa: PLR0917 - the signature openleadr calls
        ven_id: str,
        resource_id: str,
        measurement: str,
        unit: str,
        scale: str,
        min_sampling_interval: timedelta,
        max_sampling_interval: timedelta,
    ) -> tuple[Any, timedelta]:
        async def on_data(data: list[tuple[datetime, float]]) -> None:
            received.extend(value for _, value in data)

        assert (resource_id, measurement, unit) == ("home", "RealPower", "W")
        return on_data, min_sampling_interval

    vtn.server.add_handler("on_register_report", register_report)
    home = Home()
    ven = Oadr20bVen(
        vtn.url,
        "denki-home",
        on_event=home.events.append,
        on_cancel=home.cancelled.append,
        opt_for=lambda event_id: OptState.AUTOMATIC,
        readings=lambda: {"power_kw": 1.25},
        report_seconds=1,
    )
    await ven.start()
    try:
        await until(lambda: bool(received), 15)
    finally:
        await ven.stop()
    assert set(received) == {1250.0}
