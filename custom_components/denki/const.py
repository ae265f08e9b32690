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
