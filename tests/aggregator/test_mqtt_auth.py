"""An aggregator's broker that refuses the credentials: a re-authentication, not endless retries.

amqtt with its password-file plugin (an argon2 hash, made here) plays a
broker that wants a username and password.
"""

from collections.abc import AsyncIterator
from pathlib import Path

from amqtt.broker import Broker
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
import pytest

from custom_components.denki.const import DOMAIN
from tests.net import amqtt_config, free_port

from .conftest import mqtt_entry, until

USER, PASSWORD = "home-1", "broker-secret"


@pytest.fixture
async def locked_broker(socket_enabled: None, tmp_path: Path) -> AsyncIterator[int]:
    """A broker on loopback that admits USER with PASSWORD only."""
    passwords = tmp_path / "passwd"
    passwords.write_text(f"{USER}:{PasswordHash((Argon2Hasher(),)).hash(PASSWORD)}\n")
    port = free_port()
    broker = Broker(
        amqtt_config(
            port,
            {"allow-anonymous": False, "password-file": str(passwords), "plugins": ["auth_file"]},
        )
    )
    await broker.start()
    yield port
    await broker.shutdown()


async def test_a_refused_password_starts_reauth_and_the_right_one_connects(
    hass: HomeAssistant, locked_broker: int, caplog: pytest.LogCaptureFixture
) -> None:
    entry = mqtt_entry(locked_broker)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, "username": USER, "password": "wrong"}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await until(lambda: bool(hass.config_entries.flow.async_progress_by_handler(DOMAIN)))
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == SOURCE_REAUTH
    assert caplog.text.count("refused the username or password") == 1  # once, no retry loop
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("custom_components")]
    assert not any("wrong" in message for message in ours)  # Denki never logs the password

    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"username": USER, "password": "still-wrong"}
    )
    assert result["errors"] == {"base": "aggregator_invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {"username": USER, "password": PASSWORD}
    )
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    await until(lambda: entry.runtime_data.source.connected)
    await hass.config_entries.async_unload(entry.entry_id)
