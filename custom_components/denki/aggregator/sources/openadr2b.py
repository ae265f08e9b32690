"""OpenADR 2.0b: openleadr's client (vendored in lib/openadr/openleadr), simple HTTP pull."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from ...const import (
    CONF_CA_FILE,
    CONF_CERT_FILE,
    CONF_KEY_FILE,
    CONF_KEY_PASSWORD,
    CONF_URL,
    CONF_VEN_NAME,
    CONF_VTN_FINGERPRINT,
    LOGGER,
)
from ...lib.dr import DrEvent, OptState
from ...lib.openadr.client import OpenadrError
from ...lib.openadr.oadr20b import Oadr20bVen
from ..source import Hub, setup_error


def oadr20b_ven(
    data: dict[str, Any],
    *,
    on_event: Callable[[DrEvent], None] = lambda event: None,
    on_cancel: Callable[[str], None] = lambda event_id: None,
    opt_for: Callable[[str], OptState] = lambda event_id: OptState.AUTOMATIC,
    on_refused: Callable[[str, str], None] | None = None,
    readings: Callable[[], dict[str, float]] | None = None,
) -> Oadr20bVen:
    """An OpenADR 2.0b VEN for the entry's (or the flow's) settings."""
    return Oadr20bVen(
        data[CONF_URL],
        data[CONF_VEN_NAME],
        on_event=on_event,
        on_cancel=on_cancel,
        opt_for=opt_for,
        on_refused=on_refused,
        readings=readings,
        cert=data.get(CONF_CERT_FILE) or None,
        key=data.get(CONF_KEY_FILE) or None,
        vtn_fingerprint=data.get(CONF_VTN_FINGERPRINT) or None,
        passphrase=data.get(CONF_KEY_PASSWORD) or None,
        ca_file=data.get(CONF_CA_FILE) or None,
    )


class Oadr20bSource:
    """OpenADR 2.0b through openleadr: it polls the VTN, answers events and sends telemetry."""

    changes_only = False
    vanish_grace = timedelta(0)  # openleadr tells cancellations; it sends no full lists

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Prepare; `async_start` registers with the VTN."""
        self.hass = hass
        self.entry = entry
        self.ven: Oadr20bVen | None = None

    @property
    def connected(self) -> bool:
        """Whether the VTN registered this VEN."""
        return self.ven is not None and self.ven.registered

    async def async_start(self, hub: Hub) -> None:
        """Register; ConfigEntryNotReady while the VTN does not answer."""

        def opt_for(event_id: str) -> OptState:
            event = hub.store.get(event_id)
            return OptState.AUTOMATIC if event is None else event.opt

        def readings() -> dict[str, float]:
            power = hub.power_kw
            return {} if power is None else {"power_kw": power}

        self.ven = oadr20b_ven(
            dict(self.entry.data),
            on_event=hub.receive,
            on_cancel=hub.cancel,
            opt_for=opt_for,
            on_refused=hub.refuse,
            readings=readings,
        )
        try:
            await self.ven.start()
        except OpenadrError as err:
            # A VEN name or certificate the VTN refuses: retrying cannot help, the user can.
            raise setup_error(err) from err

    async def async_stop(self) -> None:
        """Stop polling."""
        if self.ven is not None:
            await self.ven.stop()

    async def report(self, values: dict[str, float], at: datetime, event: DrEvent | None) -> None:
        """Nothing to queue: the VTN pulls telemetry at the rate it asked for."""

    def send_opt(self, event: DrEvent) -> None:
        """Send the household's new choice as an oadrCreateOpt."""
        if self.ven is not None:
            self.entry.async_create_background_task(
                self.hass, self._send_opt(event), "denki openadr2b opt"
            )

    async def _send_opt(self, event: DrEvent) -> None:
        if self.ven is None:
            return
        try:
            await self.ven.send_opt(event.event_id, event.opt)
        except Exception as err:  # noqa: BLE001 - openleadr raises anything; the choice stays local
            LOGGER.warning(
                "The OpenADR 2.0b VTN did not take the choice for %s: %s", event.event_id, err
            )

    def pending_reports(self) -> int:
        """Openleadr keeps no durable queue: none waiting that Denki knows of."""
        return 0

    def diagnostics(self) -> dict[str, Any]:
        """Nothing beyond the registration."""
        return {}
