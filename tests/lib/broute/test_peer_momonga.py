"""An independent SK client, momonga (PyPI, MIT), against the simulated dongle.

momonga detects the dialect its own way (ROPT, then SKINFO), scans, converts
the MAC with SKLL64 and joins: if it establishes a PANA session with the
simulator in both dialects, the simulator speaks them the way momonga's
authors found real dongles do. momonga is synchronous and uses threads; it
runs in a thread of its own (tests.threads.run_in_thread), joined before
the test ends, while the simulator answers in the test's event loop.
"""

from momonga.momonga_session_manager import MomongaSessionManager
import pytest

from simulators.wisun_dongle import DongleModel, MeterRadio, PtyDongle
from tests.threads import run_in_thread


@pytest.mark.parametrize("dialect", ["bp35a1", "bp35c"])
async def test_momonga_joins_through_the_simulated_dongle(dialect: str) -> None:
    meter = MeterRadio()
    pty = PtyDongle(DongleModel(dialect=dialect, meter=meter))
    await pty.start()
    outcome: dict[str, object] = {}

    def run_momonga() -> None:
        manager = MomongaSessionManager(
            meter.rbid, meter.password, pty.path, scan_retries=1, join_retries=1
        )
        try:
            manager.open()
            outcome["established"] = manager.session_established
            outcome["meter"] = manager.smart_meter_addr
            outcome["device"] = manager.skw.device_strategy.device_type.name
        except Exception as err:  # noqa: BLE001 - reported through the assertion below
            outcome["error"] = repr(err)
        finally:
            manager.close()

    try:
        await run_in_thread(run_momonga, name="momonga-peer")
    finally:
        await pty.stop()

    assert "error" not in outcome, outcome
    assert outcome["established"] is True
    assert outcome["meter"] == meter.address
    assert outcome["device"] == ("BP35C2" if dialect == "bp35c" else "BP35A1")
    # momonga configured the dongle as a real one would be.
    assert pty.model.joined is False  # it closed the session with SKTERM
    assert pty.model.registers["S2"] == f"{meter.channel:X}"
