"""The B-route command line, run as a real process against the simulated dongle's pty."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
import json
import sys

import pytest

from simulators.meter_history import MeterHistory
from simulators.smart_meter import SimulatedMeter
from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle

NOW = datetime.now(UTC)
MODULE = "custom_components.denki.lib.broute"


@pytest.fixture
async def pty() -> AsyncIterator[PtyDongle]:
    history = MeterHistory(origin=NOW - timedelta(days=45), clock=lambda: datetime.now(UTC))
    meter = SimulatedMeter(history=history)
    dongle = PtyDongle(DongleModel(dialect="bp35c", meter=MeterRadio(responder=meter.answer)))
    await dongle.start()
    yield dongle
    await dongle.stop()


async def _run(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        MODULE,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_probe_prints_the_meter(pty: PtyDongle) -> None:
    radio = pty.model.meter
    code, out, err = await _run(
        "probe", "--port", pty.path, "--id", radio.rbid, "--password", radio.password
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["identification"].startswith("FE000016")
    assert result["scale"] == {"coefficient": 1, "unit_exponent": -2, "digits": 6}
    assert "0xE2" in result["get_property_map"]
    assert radio.password not in out


async def test_history_prints_half_hours(pty: PtyDongle) -> None:
    radio = pty.model.meter
    code, out, err = await _run(
        "history",
        "--port",
        pty.path,
        "--id",
        radio.rbid,
        "--password",
        radio.password,
        "--days",
        "2",
    )
    assert code == 0, err
    rows = json.loads(out)
    assert len(rows) == 96
    assert rows[0]["import_kwh"] is not None  # yesterday 00:00
    readings = [row["import_kwh"] for row in rows if row["import_kwh"] is not None]
    assert readings == sorted(readings)  # cumulative: never decreasing


async def test_wrong_password_and_bad_arguments(pty: PtyDongle) -> None:
    radio = pty.model.meter
    code, _, err = await _run(
        "probe", "--port", pty.path, "--id", radio.rbid, "--password", "WRONGWRONG12"
    )
    assert (code, err.strip()) == (1, "error: the meter refused the B-route ID and password")
    code, _, err = await _run("probe", "--port", pty.path, "--id", "123", "--password", "x")
    assert code == 2
    assert "32 hexadecimal digits" in err
