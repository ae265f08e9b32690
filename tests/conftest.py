"""Fixtures shared by Denki's tests."""

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(request: pytest.FixtureRequest) -> None:
    """Let Home Assistant load custom_components/denki in every test that runs one.

    Only those: the library tests (tests/lib) need no Home Assistant instance,
    and asking for `enable_custom_integrations` would start one for each.
    """
    if "recorder_mock" in request.fixturenames:
        # The recorder's database must exist before Home Assistant starts.
        request.getfixturevalue("recorder_mock")
    if "hass" in request.fixturenames:
        request.getfixturevalue("enable_custom_integrations")


@pytest.fixture(autouse=True)
def no_appliance_discovery(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep Denki's start-up ECHONET Lite discovery out of tests about something else.

    It would bind UDP on the harness's made-up adapter (10.10.10.10); the tests of
    discovery itself override this fixture with one that leaves it on.
    """
    if "hass" not in request.fixturenames:
        return
    from custom_components.denki.appliances import discovery  # only where Home Assistant runs

    async def no_addresses(*_: object) -> list[str]:
        return []

    monkeypatch.setattr(discovery, "_free_addresses", no_addresses)
