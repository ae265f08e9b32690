"""The B-route command line, run as a real process against the simulated dongle's pty."""

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import sys

import pytest

from custom_components.denki.lib.broute.dongle import SkDongle
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
    assert result["scale"] == {
        "energy_unit": "0.01 kWh",
        "coefficient": 1,
        "unit_exponent": -2,
        "digits": 6,
    }
    assert "0xE2" in result["get_property_map"]
    assert radio.password not in out
    # As a person reads it: the dongle's family and payload mode, the PAN in hex.
    assert result["dongle"]["family"].startswith("ROHM BP35C0")
    assert result["dongle"]["payloads"] == "hex (ASCII)"
    assert result["pan"]["channel"] == f"0x{radio.channel:02X}"
    assert result["pan"]["pan_id"] == f"0x{radio.pan_id:04X}"


async def test_debug_prints_the_dialogue_without_the_secrets(pty: PtyDongle) -> None:
    radio = pty.model.meter
    code, out, err = await _run(
        "probe", "--port", pty.path, "--id", radio.rbid, "--password", radio.password, "--debug"
    )
    assert code == 0, err
    assert "Wi-SUN dongle <- SKINFO" in err
    assert "Wi-SUN dongle -> " in err
    assert "SKSETPWD" in err
    assert radio.password not in err + out
    assert radio.rbid not in err + out


async def test_a_missing_port_lists_the_ports_there_and_a_held_one_says_so(
    pty: PtyDongle, tmp_path: Path
) -> None:
    radio = pty.model.meter
    code, _, err = await _run(
        "probe",
        "--port",
        str(tmp_path / "ttyUSB9"),
        "--id",
        radio.rbid,
        "--password",
        radio.password,
    )
    assert code == 1
    assert "ports here:" in err
    holder = await SkDongle.open(pty.path)
    try:
        code, _, err = await _run(
            "probe", "--port", pty.path, "--id", radio.rbid, "--password", radio.password
        )
    finally:
        await holder.close()
    assert code == 1
    assert "in use" in err


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
    assert code == 1
    assert err.startswith("error: the meter refused the B-route ID and password")
    assert "cannot tell which of the two" in err
    code, _, err = await _run("probe", "--port", pty.path, "--id", "123", "--password", "x")
    assert code == 2
    assert "32 hexadecimal digits" in err


async def test_probe_prints_a_j11_dongle() -> None:
    from simulators.j11_dongle import J11Model, PtyJ11Dongle

    history = MeterHistory(origin=NOW - timedelta(days=45), clock=lambda: datetime.now(UTC))
    meter = SimulatedMeter(history=history)
    pty = PtyJ11Dongle(J11Model(meter=MeterRadio(responder=meter.answer)))
    await pty.start()
    try:
        radio = pty.model.meter
        code, out, err = await _run(
            "probe", "--port", pty.path, "--id", radio.rbid, "--password", radio.password
        )
    finally:
        await pty.stop()
    assert code == 0, err
    result = json.loads(out)
    assert result["dongle"] == {
        "family": "ROHM BP35C0-J11 / Ratoc RS-WSUHA-J11 (J11 binary command set)",
        "command_set": "j11",
        "firmware": "1.2.3",
        "firmware_id": "0x0004",
    }
    assert isinstance(result["power_w"], int)
    assert result["pan"]["channel"] == f"0x{pty.model.channel:02X}"
    assert radio.password not in out
