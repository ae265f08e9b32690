"""A simulated Wi-SUN dongle on a real pseudo-terminal, for each dialect."""

from collections.abc import AsyncIterator

import pytest

from custom_components.denki.lib.broute.dongle import SkDongle
from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle


def echo_meter(payload: bytes) -> bytes:
    """A meter that answers every datagram with it reversed, CR LF included."""
    return b"\r\n" + payload[::-1] + b"\r\n"


@pytest.fixture(
    params=[("bp35a1", False), ("bp35a1", True), ("bp35c", False)],
    ids=["bp35a1-hex", "bp35a1-binary", "bp35c-hex"],
)
async def pty_dongle(request: pytest.FixtureRequest) -> AsyncIterator[PtyDongle]:
    dialect, binary = request.param
    model = DongleModel(
        dialect=dialect, binary_payload=binary, meter=MeterRadio(responder=echo_meter)
    )
    pty = PtyDongle(model)
    await pty.start()
    yield pty
    await pty.stop()


@pytest.fixture
async def dongle(pty_dongle: PtyDongle) -> AsyncIterator[SkDongle]:
    driver = await SkDongle.open(pty_dongle.path)
    yield driver
    await driver.close()
