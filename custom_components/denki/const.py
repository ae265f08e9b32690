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


HV_METER: Final = "meter_hv"
"""A meter entry for a high-voltage meter on the LAN (its data has a host, not a dongle):
the menu option that adds one, and the key of its handler in `kinds.KIND_HANDLERS`."""


# Smart meter (B-route) entries.
CONF_DEVICE: Final = "device"
CONF_RBID: Final = "rbid"
CONF_PASSWORD: Final = "password"  # noqa: S105 - the name of the field, not a password
CONF_PAN: Final = "pan"
METER_POLL_SECONDS: Final = 15
BACKFILL_DAYS: Final = 7
"""How far back a new meter entry fills the Energy dashboard from the meter's records."""

# Savings entries.
CONF_ENERGY_ENTITY: Final = "energy_entity"
CONF_YEN_PER_KWH: Final = "yen_per_kwh"
CONF_DR_SOURCE: Final = "dr_source"
"""The aggregator entry whose events are scored, or "all"."""
CONF_PV_ENTITY: Final = "pv_energy_entity"
CONF_EXPORT_ENTITY: Final = "export_energy_entity"
CONF_BOILING_ENTITY: Final = "water_heater_energy_entity"
DEFAULT_YEN_PER_KWH: Final = 31.0
"""The reference unit price that Japanese appliance makers quote (目安単価, 31 yen/kWh since 2022)."""

# ECHONET Lite appliance entries.
CONF_INTERFACE: Final = "interface"
CONF_HOSTS: Final = "hosts"
CONF_PORT: Final = "port"
CONF_NODE_ID: Final = "node_unique_id"
CONF_POLL_SECONDS: Final = "poll_seconds"
CONF_SETTABLE_CLASSES: Final = "settable_classes"
DEFAULT_POLL_SECONDS: Final = 60
FAST_POLL_SECONDS: Final = 10
"""Instantaneous values (power, current) are read this often; everything else at the poll interval."""
DISCOVERY_MINUTES: Final = 10
SILENT_REPAIR_MINUTES: Final = 30
"""A node silent this long gets a repair issue; it is unavailable from its first missed poll."""
SETTABLE_BY_DEFAULT: Final = frozenset(
    {
        0x0130,  # home air conditioner
        0x0135,  # air cleaner
        0x013A,  # ceiling fan
        0x026B,  # electric water heater (EcoCute)
        0x0272,  # instantaneous water heater
        0x0273,  # bathroom heater and dryer
        0x0279,  # household solar power generation
        0x027B,  # floor heater
        0x027C,  # fuel cell
        0x027D,  # storage battery
        0x027E,  # EV charger and discharger
        0x0290,  # general lighting
        0x0291,  # mono functional lighting
        0x02A1,  # EV charger
        0x02A3,  # lighting system
        0x02A4,  # extended lighting system
        0x02A5,  # multi-input PCS
        0x02A6,  # hybrid water heater
        0x03B7,  # refrigerator
    }
)
"""Classes Home Assistant may set until the user says otherwise.

Locks, doors, gates, windows and shutters (0x0260-0x0266, 0x026F) move things
people can be hurt by or locked out by: they are read-only until enabled in
the options, as is every class not listed here.
"""

SECURITY_CLASSES: Final = frozenset({*range(0x0260, 0x0267), 0x026F})
"""Blinds, shutters, curtains, gates, windows, doors and locks: a change of their settings
that Home Assistant did not ask for raises a repair issue, not only an event."""

CONF_NODES = "nodes"
"""Discovery data of the appliances kind: how many nodes answered."""

# Aggregator entries.
CONF_PROTOCOL: Final = "protocol"
PROTOCOL_OPENADR3: Final = "openadr3"
PROTOCOL_MQTT: Final = "mqtt"
PROTOCOL_OPENADR2B: Final = "openadr2b"
CONF_VEN_NAME: Final = "ven_name"
CONF_CERT_FILE: Final = "cert_file"
CONF_KEY_FILE: Final = "key_file"
CONF_VTN_FINGERPRINT: Final = "vtn_fingerprint"
CONF_CA_FILE: Final = "ca_file"
CONF_KEY_PASSWORD: Final = "key_password"  # noqa: S105 - the name of the field
CONF_URL: Final = "url"
CONF_CLIENT_ID: Final = "client_id"
CONF_CLIENT_SECRET: Final = "client_secret"  # noqa: S105 - the name of the field
CONF_PROGRAM: Final = "program"
CONF_VERIFY_SSL: Final = "verify_ssl"
CONF_HOST: Final = "host"
CONF_USERNAME: Final = "username"
CONF_TLS: Final = "tls"
CONF_PREFIX: Final = "prefix"
CONF_VEN: Final = "ven"
DEFAULT_MQTT_PORT: Final = 8883
DEFAULT_PREFIX: Final = "denki/dr"
OPENADR3_POLL_SECONDS: Final = 60
"""How often an OpenADR 3 VTN is asked for its events."""
CONF_TOKEN_URL: Final = "token_url"  # noqa: S105 - a field name, not a secret
"""OpenADR 3: the OAuth 2 token endpoint, when the VTN has no GET /auth/server."""
CONF_SCOPE: Final = "scope"
"""OpenADR 3: the scope asked for with the token, when the VTN wants one."""
CONF_CLIENT_AUTH: Final = "client_auth"
"""OpenADR 3: how the token endpoint took the credentials last time ("form" or "basic")."""

# Aggregator options: the automatic response and the reports.
CONF_AUTO_RESPONSE: Final = "auto_response"
CONF_CLIMATES: Final = "climates"
CONF_WATER_HEATERS: Final = "water_heaters"
CONF_BATTERIES: Final = "batteries"
CONF_EV_CHARGERS: Final = "ev_chargers"
CONF_LIGHTS: Final = "lights"
CONF_CLIMATE_OFFSET: Final = "climate_offset"
CONF_COOLING_MAX: Final = "cooling_max"
CONF_HEATING_MIN: Final = "heating_min"
CONF_LIGHT_PERCENT: Final = "light_percent"
CONF_BATTERY_OPTION: Final = "battery_option"
CONF_MIN_LEVEL: Final = "min_level"
CONF_POWER_ENTITY: Final = "power_entity"
CONF_REPORT_MINUTES: Final = "report_minutes"
DEFAULT_REPORT_MINUTES: Final = 5
SIGNAL_DR_RESULT: Final = f"{DOMAIN}_dr_result"
"""Dispatched by an aggregator entry with (its entry id, DrEvent, participated) when an
event has ended; the savings entry scores it."""
