"""A simulated home for the meter entry: a Wi-SUN dongle on a pty, a meter with history behind it.

The entry opens the dongle through a symlink, as a user would choose a
/dev/serial/by-id path, so a test can unplug the dongle and plug a new one
in at the same path.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.const import (
    CONF_DEVICE,
    CONF_KIND,
    CONF_PAN,
    CONF_PASSWORD,
    CONF_RBID,
    DOMAIN,
    EntryKind,
)
from simulators.j11_dongle import J11Model, PtyJ11Dongle
from simulators.meter_history import MeterHistory
from simulators.smart_meter import SimulatedMeter
from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle

RBID = "00112233445566778899AABBCCDDEEFF"
PASSWORD = "0123456789AB"


@dataclass
class Home:
    """The simulators of one home, and the stable path the entry uses."""

    meter: SimulatedMeter
    radio: MeterRadio
    path: Path
    dongles: list[PtyDongle | PtyJ11Dongle] = field(default_factory=list)
    ahead: timedelta = timedelta()
    """How far the meter's clock is ahead of Home Assistant's: lets a test age the meter."""

    @property
    def dongle(self) -> Any:
        """The dongle plugged in now (the last one): a PtyDongle, or a PtyJ11Dongle."""
        return self.dongles[-1]

    async def plug_in(self, dialect: str = "bp35a1") -> Any:
        """Plug a fresh dongle in at the stable path; dialect "j11" is a J11 dongle."""
        pty: PtyDongle | PtyJ11Dongle
        if dialect == "j11":
            pty = PtyJ11Dongle(J11Model(meter=self.radio))
        else:
            pty = PtyDongle(DongleModel(dialect=dialect, meter=self.radio))
        await pty.start()
        self.path.unlink(missing_ok=True)
        self.path.symlink_to(pty.path)
        self.dongles.append(pty)
        return pty

    def announce_due(self) -> int:
        """Deliver what the meter announces of the half hours passed (0xEA/0xEB).

        Returns how many reached the driver: none while the dongle is out, or
        has no session with the meter.
        """
        delivered = 0
        for frame in self.meter.due_announcements():
            chunks = [] if self.dongle.unplugged else self.dongle.model.announce(frame)
            for chunk in chunks:
                self.dongle.write(chunk)
            delivered += bool(chunks)
        return delivered

    def alias(self, suffix: str) -> Path:
        """Another path to the dongle plugged in now (as if the user picked another name)."""
        other = Path(f"{self.path}{suffix}")
        other.symlink_to(self.dongle.path)
        return other

    def unplug(self) -> None:
        """Pull the dongle out; the stable path dangles until the next plug_in."""
        self.dongle.unplug()
        self.path.unlink(missing_ok=True)

    def entry_data(self, **changes: Any) -> dict[str, Any]:
        """What the config flow stores for this home."""
        return {
            CONF_KIND: EntryKind.METER,
            CONF_DEVICE: str(self.path),
            CONF_RBID: RBID,
            CONF_PASSWORD: PASSWORD,
            CONF_PAN: None,
            **changes,
        }


@pytest.fixture
async def home(hass: HomeAssistant, tmp_path: Path) -> AsyncIterator[Home]:
    """A meter with 45 days of records on Home Assistant's clock, and a dongle plugged in."""
    meter = SimulatedMeter()
    radio = MeterRadio(rbid=RBID, password=PASSWORD, responder=meter.answer)
    home = Home(meter, radio, tmp_path / "usb-ROHM_BP35A1-if00")
    meter.history = MeterHistory(
        origin=dt_util.utcnow() - timedelta(days=45), clock=lambda: dt_util.utcnow() + home.ahead
    )
    await home.plug_in()
    yield home
    for pty in home.dongles:
        await pty.stop()


@pytest.fixture
def meter_entry(hass: HomeAssistant, home: Home) -> MockConfigEntry:
    """A meter entry made as the config flow makes it."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Smart meter (B-route)",
        data=home.entry_data(),
        unique_id="FE00001653494D30303030303030303031",
    )
    entry.add_to_hass(hass)
    return entry
