"""The aggregator protocols: OpenADR 3 (REST and its MQTT notifier), OpenADR 2.0b, the MQTT profile.

Each source connects to its aggregator, hands every event it receives to the
hub (`Hub.receive`, `receive_all`, `cancel`, `refuse`), sends the
reports the hub queues, and tells the aggregator the household's choice
where its protocol can. The hub does not know which one it talks to.
"""

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from ...const import CONF_PROTOCOL, PROTOCOL_MQTT, PROTOCOL_OPENADR2B
from ..source import Source
from .mqtt import MqttSource
from .openadr2b import Oadr20bSource, oadr20b_ven
from .openadr3 import Openadr3Source, openadr3_client, remembered_client_auth

__all__ = [
    "MqttSource",
    "Oadr20bSource",
    "Openadr3Source",
    "make_source",
    "oadr20b_ven",
    "openadr3_client",
    "remembered_client_auth",
]


def make_source(hass: HomeAssistant, entry: ConfigEntry) -> Source:
    """The protocol of the entry."""
    if entry.data[CONF_PROTOCOL] == PROTOCOL_MQTT:
        return MqttSource(hass, entry)
    if entry.data[CONF_PROTOCOL] == PROTOCOL_OPENADR2B:
        return Oadr20bSource(hass, entry)
    return Openadr3Source(hass, entry)
