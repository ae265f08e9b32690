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
