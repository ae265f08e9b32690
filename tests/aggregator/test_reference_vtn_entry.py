"""The aggregator entry end to end against the OpenADR Alliance's reference VTN.

The VTN is the one `tests/lib/openadr/test_reference_vtn.py` starts (a
subprocess on a free loopback port; skipped where it cannot start). The
business logic's side (programs, the ven object, events, deletions) is
played over plain HTTP from the executor; the VEN is the Home Assistant
entry, set up as a user would.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.aggregator.entry import async_aggregator_diagnostics
from custom_components.denki.aggregator.sources import Openadr3Source
from custom_components.denki.const import (
    CONF_CLIENT_AUTH,
    CONF_CLIENT_ID,
    CONF_CLIENT_SECRET,
    CONF_KIND,
    CONF_POWER_ENTITY,
    CONF_PROGRAM,
    CONF_PROTOCOL,
    CONF_SCOPE,
    CONF_TOKEN_URL,
    CONF_URL,
    CONF_VERIFY_SSL,
    DOMAIN,
    PROTOCOL_OPENADR3,
    EntryKind,
)
from tests.appliances.conftest import AIRCON, BATTERY, HEATER, LIGHT, LIVING, OUTSIDE, Lan
from tests.lib.openadr import test_reference_vtn as reference
from tests.lib.openadr.test_reference_vtn import VEN_ID, VEN_SECRET, Bl, Vtn

from .conftest import set_up, until
from .test_response import CURTAILED, devices, plan_options

pytestmark = reference.pytestmark  # skipped where the reference VTN is not there
vtn = reference.vtn  # its fixture: a reference VTN of the test's own


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _entry(base: str, **data: Any) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="OpenADR 3 (127.0.0.1)",
        unique_id=f"aggregator-openadr3-{base}-{VEN_ID}",
        data={
            CONF_KIND: EntryKind.AGGREGATOR,
            CONF_PROTOCOL: PROTOCOL_OPENADR3,
            CONF_URL: base,
            CONF_CLIENT_ID: VEN_ID,
            CONF_CLIENT_SECRET: VEN_SECRET,
            CONF_PROGRAM: "kanto-dr",  # by name, as a user may configure it
            CONF_VERIFY_SSL: True,
            **data,
        },
    )


def _source(entry: MockConfigEntry) -> Openadr3Source:
    source = entry.runtime_data.source
    assert isinstance(source, Openadr3Source)
    return source


def _period(start: datetime) -> dict[str, Any]:
    return {"intervalPeriod": {"start": _iso(start), "duration": "PT1H"}}


async def test_token_from_auth_server_programs_targets_and_refused_reports(
    hass: HomeAssistant, vtn: Vtn
) -> None:
    bl: Bl = await hass.async_add_executor_job(Bl, vtn.base)

    def business() -> dict[str, str]:
        ours, other = bl.program("kanto-dr"), bl.program("kansai-dr")
        bl.ven(["tokyo"])
        later = _period(dt_util.utcnow() + timedelta(hours=2))
        now = _period(dt_util.utcnow() - timedelta(minutes=1))
        return {
            "ours": ours,
            "untargeted": bl.event(ours, "untargeted", **later),
            "targeted": bl.event(ours, "targeted", targets=["tokyo"], **later),
            "elsewhere": bl.event(ours, "elsewhere", targets=["osaka"], **later),
            "foreign": bl.event(other, "kansai", **later),
            "doomed": bl.event(ours, "doomed", **now),
            "kept": bl.event(ours, "kept", **now),
        }

    ids = await hass.async_add_executor_job(business)
    entry = _entry(vtn.base)
    await set_up(hass, entry)
    source = _source(entry)
    info = source.client.token_info
    assert info is not None
    assert (info.token_url_from, info.client_auth) == ("/auth/server", "form")
    assert CONF_CLIENT_AUTH not in entry.data  # the form body: the first try anyway
    assert source.program_id == ids["ours"]
    assert source.ven_targets == ["tokyo"]
    store = entry.runtime_data.store
    # Targeted and untargeted events of the program; another VEN's and another program's not.
    assert sorted(e.event_id for e in store.events) == sorted(
        ids[name] for name in ("untargeted", "targeted", "doomed", "kept")
    )

    doomed, kept = store.get(ids["doomed"]), store.get(ids["kept"])
    assert doomed is not None
    assert kept is not None
    await hass.async_add_executor_job(bl.call, "DELETE", f"/events/{ids['doomed']}")
    await source.report({"power_kw": 1.5}, dt_util.utcnow(), doomed)
    await source.report({"power_kw": 1.2}, dt_util.utcnow(), kept)
    stored = await hass.async_add_executor_job(bl.call, "GET", "/reports")
    assert [r["eventID"] for r in stored] == [ids["kept"]]
    assert source.pending_reports() == 0
    assert source.connected
    diagnostics = await async_aggregator_diagnostics(hass, entry)
    assert diagnostics["source"]["refused_total"] == 1
    (refusal,) = diagnostics["source"]["refused_latest"]
    assert refusal["status"] == 400
    assert refusal["reason"] == "event_id does not refer to an existing event"
    assert refusal["record"]["event"] == ids["doomed"]


async def test_token_url_configured_and_the_client_auth_that_worked_remembered(
    hass: HomeAssistant, vtn: Vtn
) -> None:
    bl: Bl = await hass.async_add_executor_job(Bl, vtn.base)
    await hass.async_add_executor_job(bl.program, "kanto-dr")
    entry = _entry(
        vtn.base,
        **{
            CONF_TOKEN_URL: f"{vtn.base}/auth/token",
            CONF_SCOPE: "read_all",
            CONF_CLIENT_AUTH: "basic",
        },
    )
    await set_up(hass, entry)
    info = _source(entry).client.token_info
    assert info is not None
    assert info.token_url_from == "configured"
    # The reference VTN takes credentials only in the form body: 400 to Basic.
    assert info.attempts == ("basic: 400", "form: 200")
    assert CONF_CLIENT_AUTH not in entry.data  # the form body: the first try anyway
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    info = _source(entry).client.token_info
    assert info is not None
    assert info.attempts == ("form: 200",)


async def test_the_response_follows_the_reference_vtn_s_intervals(  # noqa: PLR0917 - fixtures
    hass: HomeAssistant,
    vtn: Vtn,
    loaded: MockConfigEntry,
    lan: Lan,
    entity_registry: er.EntityRegistry,
    fast_poll: None,
) -> None:
    """Issue 20 item 5 against the reference VTN: a level that rises, an import limit that shrinks.

    The event's intervals chain from its intervalPeriod (5 s each), as the
    VTN stores them; Denki polls it every 0.2 s.
    """
    bl: Bl = await hass.async_add_executor_job(Bl, vtn.base)
    seconds = 5
    start = dt_util.utcnow() + timedelta(seconds=3)

    def business() -> str:
        program = bl.program("kanto-dr")
        return bl.event(
            program,
            "rising",
            intervalPeriod={"start": _iso(start), "duration": f"PT{seconds}S"},
            intervals=[
                {"id": 0, "payloads": [{"type": "SIMPLE", "values": [1]}]},
                {"id": 1, "payloads": [{"type": "SIMPLE", "values": [2]}]},
                {"id": 2, "payloads": [{"type": "IMPORT_CAPACITY_LIMIT", "values": [1.5]}]},
                {"id": 3, "payloads": [{"type": "IMPORT_CAPACITY_LIMIT", "values": [0.1]}]},
            ],
        )

    await hass.async_add_executor_job(business)
    hass.states.async_set("sensor.home_power", "3000", {"unit_of_measurement": "W"})
    entry = _entry(vtn.base)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry,
        options={**plan_options(entity_registry), CONF_POWER_ENTITY: "sensor.home_power"},
    )
    await set_up(hass, entry)
    before = devices(lan)
    moderate = {
        **CURTAILED,
        (LIVING, AIRCON, 0xB3): bytes((27,)),
        (OUTSIDE, LIGHT, 0xB0): before[(OUTSIDE, LIGHT, 0xB0)],
    }
    await until(lambda: devices(lan) == moderate, seconds + 5)
    await until(lambda: devices(lan) == CURTAILED, seconds + 3)
    # The meter reads what the curtailment left of a 3 kW home.
    response = entry.runtime_data.response
    assert response is not None
    kw = sum(step.kw or 0.0 for step in response.steps)
    hass.states.async_set(
        "sensor.home_power", str(round((3.0 - kw) * 1000)), {"unit_of_measurement": "W"}
    )
    # 1.5 kW allowed of the 3 kW: the battery alone (2 kW estimated); the rest given back.
    battery_only = {**before, (OUTSIDE, BATTERY, 0xDA): b"\x43"}
    await until(lambda: devices(lan) == battery_only, seconds + 3)
    hass.states.async_set("sensor.home_power", "1000", {"unit_of_measurement": "W"})
    # 0.1 kW allowed: 2.9 kW to find; the EcoCute joins the battery.
    await until(lambda: devices(lan)[(LIVING, HEATER, 0xB0)] == b"\x43", seconds + 3)
    assert devices(lan)[(OUTSIDE, BATTERY, 0xDA)] == b"\x43"
    await until(lambda: devices(lan) == before, seconds + 5)
    await hass.config_entries.async_unload(entry.entry_id)
