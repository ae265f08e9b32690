"""USB discovery of a Wi-SUN dongle: ask the port first, then confirm, credentials and the join."""

import asyncio
from collections.abc import AsyncIterator, Callable
import json
import os
from pathlib import Path
import re
import time
from typing import Any

from homeassistant.config_entries import SOURCE_IGNORE, SOURCE_USB, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.usb import UsbServiceInfo
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.const import CONF_DEVICE, CONF_PASSWORD, CONF_RBID, DOMAIN
from custom_components.denki.lib.broute import j11
from custom_components.denki.meter import config_flow

from .conftest import PASSWORD, RBID, Home

METER_ID = "FE00001653494D30303030303030303031"
REPO = Path(__file__).parent.parent.parent
SK_QUERIES = {"SKVER", "SKINFO", "ROPT"}


def _usb(device: str, serial_number: str | None = "DP05XYZ1") -> UsbServiceInfo:
    """What the usb integration reports for a Ratoc RS-WSUHA-P (an FTDI FT230X inside)."""
    return UsbServiceInfo(
        device=device,
        vid="0403",
        pid="6015",
        serial_number=serial_number,
        manufacturer="FTDI",
        description="FT230X Basic UART",
    )


async def _discover(hass: HomeAssistant, info: UsbServiceInfo) -> Any:
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USB}, data=info
    )


def _open_count(path: str) -> int:
    """How many of this process's file descriptors have `path` open."""
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            if str(fd.readlink()) == path:
                count += 1
        except OSError:
            continue
    return count


class SerialThing:
    """A pseudo-terminal whose far end is some other serial device: it answers each line.

    `answer` maps the line received to the bytes sent back (None: silence).
    The slave side stays open here, so `_open_count(path)` is 1 when no one
    else has the port open.
    """

    def __init__(self, answer: Callable[[bytes], bytes | None]) -> None:
        """Open the pseudo-terminal."""
        self.answer = answer
        self._master, self._slave = os.openpty()
        os.set_blocking(self._master, False)
        self.path = os.ttyname(self._slave)
        self.lines: list[bytes] = []
        self._buffer = b""

    def start(self) -> None:
        """Start answering."""
        asyncio.get_running_loop().add_reader(self._master, self._on_readable)

    def _on_readable(self) -> None:
        self._buffer += os.read(self._master, 4096)
        while b"\r" in self._buffer:
            line, self._buffer = self._buffer.split(b"\r", 1)
            line = line.strip(b"\n")
            self.lines.append(line)
            reply = self.answer(line)
            if reply is not None:
                os.write(self._master, reply)

    def close(self) -> None:
        """Stop and close both ends."""
        asyncio.get_running_loop().remove_reader(self._master)
        os.close(self._slave)
        os.close(self._master)


@pytest.fixture
async def serial_thing(request: pytest.FixtureRequest) -> AsyncIterator[SerialThing]:
    thing = SerialThing(request.param)
    thing.start()
    yield thing
    thing.close()


@pytest.fixture(autouse=True)
def _short_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests need not wait the full probe time for a device that never answers."""
    monkeypatch.setattr(config_flow, "PROBE_SECONDS", 0.5)


@pytest.mark.parametrize(
    ("dialect", "family"),
    [
        ("bp35a1", "ROHM BP35A1 / Tessera RL7023 Stick-D/IPS"),
        ("bp35c", "ROHM BP35C0 / BP35C2 / Tessera RL7023 Stick-D/DSS / Ratoc RS-WSUHA"),
    ],
)
async def test_dongle_is_confirmed_then_joined(
    hass: HomeAssistant, home: Home, dialect: str, family: str
) -> None:
    """A dongle answers the probe: confirm, the meter form with its port, the join, the entry."""
    dongle = await home.plug_in(dialect)
    result = await _discover(hass, _usb(dongle.path))

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "usb_confirm"
    assert result["description_placeholders"] == {
        "name": family,
        "firmware": "1.2.10",
        "device": dongle.path,
    }
    # Only the driver's read-only queries were sent, and the port is closed again.
    assert set(dongle.model.commands) <= SK_QUERIES
    assert "SKINFO" in dongle.model.commands
    assert _open_count(dongle.path) == 1  # the simulator's own end only
    flow = hass.config_entries.flow.async_get(result["flow_id"])
    assert flow["context"]["title_placeholders"] == {"name": f"Wi-SUN ({family})"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "meter"
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested == {CONF_DEVICE: dongle.path}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_DEVICE: dongle.path, CONF_RBID: RBID, CONF_PASSWORD: PASSWORD}
    )
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    result = await hass.config_entries.flow.async_configure(result["flow_id"])

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_DEVICE] == dongle.path
    assert result["result"].unique_id == METER_ID
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED


def _garbage(line: bytes) -> bytes:
    return b"\x00\xfe\x13#*&garbage\r\n\xff\xff"


def _silent(line: bytes) -> None:
    return None


def _fails(line: bytes) -> bytes:
    return b"FAIL ER04\r\n"


def _ok_only(line: bytes) -> bytes:
    return b"OK\r\n"


@pytest.mark.parametrize(
    "serial_thing",
    [_garbage, _silent, _fails, _ok_only],
    ids=["garbage", "silent", "fail", "ok-only"],
    indirect=True,
)
async def test_other_serial_device_is_left_alone(
    hass: HomeAssistant, serial_thing: SerialThing
) -> None:
    """Not a dongle: the flow ends unseen, soon, with the port closed and nothing but queries."""
    started = time.monotonic()
    result = await _discover(hass, _usb(serial_thing.path))
    elapsed = time.monotonic() - started

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_wisun_dongle"
    assert elapsed < config_flow.PROBE_SECONDS + 1.0
    assert serial_thing.lines  # it was asked
    # Only read-only questions: SK's, and J11's Get Version Information (its frame has no CR;
    # the probe ends it with one, so that an SK device's next line starts clean).
    asked = {line for line in serial_thing.lines if line}
    assert asked <= {query.encode() for query in SK_QUERIES} | {j11.version_request()}
    assert _open_count(serial_thing.path) == 1  # our own end only: the probe closed the port
    assert hass.config_entries.flow.async_progress() == []


async def test_port_that_cannot_be_opened(hass: HomeAssistant, tmp_path: Path) -> None:
    result = await _discover(hass, _usb(str(tmp_path / "ttyUSB9")))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "not_wisun_dongle"


async def test_port_of_a_meter_entry_is_not_opened(
    hass: HomeAssistant, home: Home, meter_entry: MockConfigEntry
) -> None:
    """The entry names the port by a stable link; the discovery by /dev/tty…: same port."""
    result = await _discover(hass, _usb(home.dongle.path))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert home.dongle.model.commands == []  # nothing was sent into the meter's session


async def test_meter_entry_without_a_port_is_no_obstacle(hass: HomeAssistant, home: Home) -> None:
    """A meter entry reached another way (a high-voltage meter by its address) has no port."""
    MockConfigEntry(domain=DOMAIN, data={"kind": "meter", "host": "192.0.2.7"}).add_to_hass(hass)
    result = await _discover(hass, _usb(home.dongle.path))
    assert result["step_id"] == "usb_confirm"


async def test_ignored_dongle_stays_ignored(hass: HomeAssistant, home: Home) -> None:
    MockConfigEntry(
        domain=DOMAIN, source=SOURCE_IGNORE, unique_id="0403:6015_DP05XYZ1", data={}
    ).add_to_hass(hass)
    result = await _discover(hass, _usb(home.dongle.path))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert home.dongle.model.commands == []


async def test_second_discovery_while_one_is_open(hass: HomeAssistant, home: Home) -> None:
    """The same dongle reported again while its flow waits: no second flow, no second probe."""
    first = await _discover(hass, _usb(home.dongle.path))
    assert first["step_id"] == "usb_confirm"
    asked = list(home.dongle.model.commands)

    second = await _discover(hass, _usb(home.dongle.path))
    assert second["type"] is FlowResultType.ABORT
    assert second["reason"] == "already_in_progress"
    assert home.dongle.model.commands == asked
    assert len(hass.config_entries.flow.async_progress()) == 1


async def test_without_serial_number_the_port_names_the_dongle(
    hass: HomeAssistant, home: Home
) -> None:
    result = await _discover(hass, _usb(home.dongle.path, serial_number=None))
    flow = hass.config_entries.flow.async_get(result["flow_id"])
    assert flow["context"]["unique_id"] == f"0403:6015_{home.dongle.path}"


def test_serial_by_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A port with a /dev/serial/by-id link is stored by that link, as core integrations do."""
    by_id = tmp_path / "by-id"
    by_id.mkdir()
    tty = tmp_path / "ttyUSB0"
    tty.touch()
    link = by_id / "usb-FTDI_FT230X_Basic_UART_DP05XYZ1-if00-port0"
    link.symlink_to(tty)
    monkeypatch.setattr(config_flow, "BY_ID", by_id)
    assert config_flow.serial_by_id(str(tty)) == str(link)
    assert config_flow.serial_by_id(str(tmp_path / "ttyUSB1")) == str(tmp_path / "ttyUSB1")
    monkeypatch.setattr(config_flow, "BY_ID", tmp_path / "none")
    assert config_flow.serial_by_id(str(tty)) == str(tty)


def test_probe_is_short() -> None:
    """A discovered port is given seconds, not the driver's per-command timeouts in a row."""
    assert 0 < config_flow.PROBE_SECONDS <= 5


def _readme_matchers() -> list[dict[str, str]]:
    """The rows of the README's "USB discovery" table."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("#### USB discovery", 1)[1].split("\n#", 1)[0]
    rows = re.findall(
        r"^\| `([0-9A-F]{4}):([0-9A-F]{4})` \| `([^`]+)` \| [^|]+ \| (.+) \|$", section, re.M
    )
    assert rows, "the README lists no USB IDs"
    assert all("https://" in source for *_, source in rows), "every ID has a public source"
    return [{"vid": vid, "pid": pid, "description": desc} for vid, pid, desc, _ in rows]


def test_manifest_matchers_are_the_documented_ones() -> None:
    """Every USB matcher in the manifest is in the README's table with its source, and back."""
    manifest = json.loads(
        (REPO / "custom_components" / "denki" / "manifest.json").read_text(encoding="utf-8")
    )
    matchers = [
        {key: value for key, value in matcher.items() if key != "known_devices"}
        for matcher in manifest["usb"]
    ]
    assert matchers == _readme_matchers()
    # Discovery needs Home Assistant's usb integration, which Denki itself does not need.
    assert "usb" in manifest["after_dependencies"]
    assert "usb" not in manifest["dependencies"]
