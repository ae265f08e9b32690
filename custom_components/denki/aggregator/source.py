"""What an aggregator protocol and the hub know of each other: two protocols, no import cycle.

`sources/` implements `Source` once per protocol (`openadr3.py`, `openadr2b.py`,
`mqtt.py`); `hub.AggregatorHub` is the `Hub` a source delivers events to.
"""

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed, ConfigEntryNotReady

from ..const import DOMAIN
from ..lib.dr import DrEvent, EventStore
from ..lib.openadr.client import OpenadrAuthError, OpenadrError


class Hub(Protocol):
    """The aggregator entry's hub, as a protocol source sees it."""

    @property
    def store(self) -> EventStore:
        """The events known (a source reads the household's choice there)."""

    @property
    def power_kw(self) -> float | None:
        """The household's draw now, in kW."""

    def receive(self, event: DrEvent) -> None:
        """An event was received (new, repeated or updated)."""

    def receive_all(self, events: list[DrEvent]) -> None:
        """The full list of current events was received."""

    def cancel(self, event_id: str) -> None:
        """The aggregator withdrew an event."""

    def vanish(self, event_id: str) -> None:
        """The aggregator deleted an event: cancelled unless re-posted within the grace."""

    def refuse(self, event_id: str, reason: str) -> None:
        """An event could not be read."""

    def source_changed(self) -> None:
        """The link came or went (or a message showed it is up)."""


class Source(Protocol):
    """One aggregator protocol, as the hub uses it."""

    changes_only: bool
    """Whether a report carries only the values that moved (else every value, when any moved)."""

    @property
    def connected(self) -> bool:
        """Whether the aggregator answered the last exchange."""

    @property
    def vanish_grace(self) -> timedelta:
        """How long an event may be missing from a full list before it counts as cancelled."""

    async def async_start(self, hub: Hub) -> None:
        """Connect and deliver events to `hub`; raise ConfigEntryNotReady / AuthFailed."""

    async def async_stop(self) -> None:
        """Disconnect."""

    async def report(self, values: dict[str, float], at: datetime, event: DrEvent | None) -> None:
        """Queue a report (durably) and send it when the link allows."""

    def send_opt(self, event: DrEvent) -> None:
        """Tell the aggregator the household's choice, where the protocol can."""

    def pending_reports(self) -> int:
        """Reports queued and not yet acknowledged."""

    def diagnostics(self) -> dict[str, Any]:
        """What the protocol knows that the diagnostics should show (no secrets)."""


def outbox_folder(hass: HomeAssistant, entry: ConfigEntry) -> Path:
    """Where an aggregator entry keeps its reports until they are acknowledged."""
    return Path(hass.config.path(".storage", f"{DOMAIN}.outbox.{entry.entry_id}"))


def setup_error(err: OpenadrError) -> ConfigEntryAuthFailed | ConfigEntryNotReady:
    """What an OpenADR VTN's failure at set-up means to Home Assistant, translated.

    Refused credentials (a client ID, VEN name or certificate): only the user
    can mend them. Anything else: Home Assistant tries the set-up again later.
    """
    if isinstance(err, OpenadrAuthError):
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key="aggregator_auth_failed"
        )
    return ConfigEntryNotReady(
        translation_domain=DOMAIN,
        translation_key="aggregator_unreachable",
        translation_placeholders={"error": str(err)},
    )
