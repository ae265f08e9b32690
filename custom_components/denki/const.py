"""Constants of the Denki integration."""

from enum import StrEnum
import logging
from typing import Final

DOMAIN: Final = "denki"
LOGGER: Final = logging.getLogger(__package__)

CONF_KIND: Final = "kind"


class EntryKind(StrEnum):
    """The four kinds of config entry that Denki offers.

    Each kind is one source of data with a coordinator of its own: a smart
    meter reached over the B-route, the ECHONET Lite appliances of a home LAN,
    an aggregator that sends demand-response events, and a savings scorer.
    """

    METER = "meter"
    APPLIANCES = "appliances"
    AGGREGATOR = "aggregator"
    SAVINGS = "savings"


# Smart meter (B-route) entries.
CONF_DEVICE: Final = "device"
CONF_RBID: Final = "rbid"
CONF_PASSWORD: Final = "password"  # noqa: S105 - the name of the field, not a password
CONF_PAN: Final = "pan"
METER_POLL_SECONDS: Final = 15
BACKFILL_DAYS: Final = 7
"""How far back a new meter entry fills the Energy dashboard from the meter's records."""
