"""Set-up and unloading of Denki config entries."""

from unittest.mock import AsyncMock

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.denki.const import CONF_KIND, DOMAIN, EntryKind
from custom_components.denki.kinds import KIND_HANDLERS, KindHandler


async def test_integration_loads(hass: HomeAssistant) -> None:
    """The integration itself loads with no configuration and no entries."""
    assert await async_setup_component(hass, DOMAIN, {})
    assert DOMAIN in hass.config.components


async def test_entry_loads_and_unloads(
    hass: HomeAssistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry is handed to its kind's handler on set-up and on unload.

    The test registers a handler of its own (with no platforms) in place of
    the savings kind's, to drive the dispatch in `__init__.py` alone.
    """
    setup = AsyncMock()
    unload = AsyncMock()
    monkeypatch.setitem(
        KIND_HANDLERS,
        EntryKind.SAVINGS,
        KindHandler[object](platforms={}, async_setup=setup, async_unload=unload),
    )
    entry = MockConfigEntry(domain=DOMAIN, data={CONF_KIND: EntryKind.SAVINGS})
    entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    setup.assert_awaited_once_with(hass, entry)
    unload.assert_not_awaited()

    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.NOT_LOADED
    unload.assert_awaited_once_with(hass, entry)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param({CONF_KIND: "toaster"}, id="unknown-kind"),
        pytest.param({}, id="no-kind"),
    ],
)
async def test_entry_of_unsupported_kind(hass: HomeAssistant, data: dict[str, str]) -> None:
    """An entry this version cannot set up fails with a translated error, not a traceback."""
    entry = MockConfigEntry(domain=DOMAIN, data=data)
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason is not None
    assert "this version of Denki cannot set up" in entry.reason
    assert str(data.get(CONF_KIND)) in entry.reason
