"""Configure the Home Assistant of scripts/develop against the simulated home.

Everything goes through Home Assistant's own APIs, as a person in the
browser would do it: the config flows of the four Denki entries (smart
meter, appliances, aggregator, savings) and the savings entry's options over
REST, then over the WebSocket API the Energy dashboard's sources and a
"Denki" dashboard with the savings card, the DR calendar and the appliances.

    .venv/bin/python scripts/develop_home.py --url URL --token TOKEN --home endpoints.json

`endpoints.json` is what `python -m simulators` prints. An entry that already
exists (a kept config folder) is left as it is.
"""

import argparse
import asyncio
from collections.abc import Iterable
import json
from pathlib import Path
import sys
from typing import Any

import aiohttp

DASHBOARD = "denki-home"
FLOW_TIMEOUT = 300.0
"""Seconds a flow may run: the meter's join scans the radio channels first."""


class Setup:
    """One logged-in session with Home Assistant's REST and WebSocket APIs."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        """Talk to `base` with the bearer `token`."""
        self.session = session
        self.base = base.rstrip("/")
        self.headers = {"Authorization": f"Bearer {token}"}
        self.token = token
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._id = 0

    async def rest(self, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        """One REST call; a refused one stops the script with Home Assistant's answer."""
        async with self.session.request(
            method, f"{self.base}{path}", json=data, headers=self.headers
        ) as answer:
            body = await answer.json(content_type=None)
            if answer.status >= 400:
                sys.exit(f"{method} {path} answered {answer.status}: {body}")
            return body

    async def ws(self, message_type: str, **data: Any) -> Any:
        """One WebSocket command; its result, or the script stops with the error."""
        if self._ws is None:
            self._ws = await self.session.ws_connect(f"{self.base}/api/websocket")
            await self._ws.receive_json()  # auth_required
            await self._ws.send_json({"type": "auth", "access_token": self.token})
            if (await self._ws.receive_json())["type"] != "auth_ok":
                sys.exit("The WebSocket API refused the token")
        self._id += 1
        await self._ws.send_json({"id": self._id, "type": message_type, **data})
        while True:
            answer = await self._ws.receive_json()
            if answer.get("id") == self._id and answer.get("type") == "result":
                break
        if not answer["success"]:
            sys.exit(f"{message_type} failed: {answer['error']}")
        return answer["result"]

    async def close(self) -> None:
        """Close the WebSocket, if one was opened."""
        if self._ws is not None:
            await self._ws.close()

    async def flow(self, path: str, handler: str, steps: Iterable[dict[str, Any]]) -> Any:
        """Run a config or options flow to its end, answering each step in turn.

        A menu gets `{"next_step_id": ...}`; a form the next answer; a step that
        shows progress (the meter's join) is asked again until it has moved on.
        """
        answers = iter(steps)
        result = await self.rest("POST", path, {"handler": handler})
        deadline = asyncio.get_running_loop().time() + FLOW_TIMEOUT
        while result["type"] in ("menu", "form", "progress"):
            if result["type"] == "progress":
                if asyncio.get_running_loop().time() > deadline:
                    sys.exit(f"{handler}: {result['step_id']} still running after {FLOW_TIMEOUT} s")
                await asyncio.sleep(1)
                result = await self.rest("GET", f"{path}/{result['flow_id']}")
                continue
            if result.get("errors"):
                sys.exit(f"{handler}: {result['step_id']} refused: {result['errors']}")
            answer = next(answers, None)
            if answer is None:
                sys.exit(f"{handler}: no answer for step {result['step_id']}")
            result = await self.rest("POST", f"{path}/{result['flow_id']}", answer)
        if result["type"] != "create_entry":
            sys.exit(f"{handler}: the flow ended with {result}")
        return result


def _by_key(entities: list[dict[str, Any]], entry_id: str, suffix: str) -> str | None:
    """The entity of `entry_id` whose unique id ends with `suffix`."""
    return next(
        (
            e["entity_id"]
            for e in entities
            if e["config_entry_id"] == entry_id and e["unique_id"].endswith(suffix)
        ),
        None,
    )


async def _wait_for(setup: Setup, entry_id: str, count: int) -> list[dict[str, Any]]:
    """The entity registry once `entry_id` has at least `count` entities."""
    for _ in range(120):
        entities: list[dict[str, Any]] = await setup.ws("config/entity_registry/list")
        if sum(e["config_entry_id"] == entry_id for e in entities) >= count:
            return entities
        await asyncio.sleep(1)
    sys.exit(f"The entry {entry_id} did not make {count} entities within 2 minutes")


async def configure(setup: Setup, home: dict[str, Any], language: str = "en") -> dict[str, str]:
    """Add the four entries, the Energy dashboard's sources and the Denki dashboard.

    The demo user's own frontend language is set too: the browser's would
    win otherwise, and a headless or English one would hide the Japanese.
    """
    await setup.ws(
        "frontend/set_user_data",
        key="language",
        value={"language": language, "number_format": "language", "time_format": "language"},
    )
    flows = "/api/config/config_entries/flow"
    existing = [
        e
        for e in await setup.rest("GET", "/api/config/config_entries/entry")
        if e["domain"] == "denki"
    ]
    if existing:
        print(f"==> Denki already has {len(existing)} entries (kept config): left as they are")
        return {}

    print("==> Adding the smart meter (joins through the simulated dongle)")
    meter = await setup.flow(
        flows,
        "denki",
        [
            {"next_step_id": "meter"},
            {"device": home["dongle"], "rbid": home["rbid"], "password": home["password"]},
        ],
    )
    print("==> Adding the ECHONET Lite appliances")
    hosts = " ".join(f"127.0.11.{n}" for n in (21, 22, 23))
    appliances = await setup.flow(
        flows,
        "denki",
        [
            {"next_step_id": "appliances"},
            {"interface": home["echonet_interface"], "hosts": hosts},
            {},
        ],
    )
    meter_id = meter["result"]["entry_id"]
    appliances_id = appliances["result"]["entry_id"]
    entities = await _wait_for(setup, meter_id, 5)
    entities = await _wait_for(setup, appliances_id, 20)

    print("==> Adding the aggregator (OpenADR 3, with its MQTT notifier)")
    aggregator = await setup.flow(
        flows,
        "denki",
        [
            {"next_step_id": "aggregator"},
            {"next_step_id": "aggregator_openadr3"},
            {
                "url": home["vtn_url"],
                "client_id": home["client_id"],
                "client_secret": home["client_secret"],
                "verify_ssl": False,
            },
        ],
    )
    imported = _by_key(entities, meter_id, "_energy_import")
    exported = _by_key(entities, meter_id, "_energy_export")
    power = _by_key(entities, meter_id, "_power")
    if imported is None or exported is None or power is None:
        sys.exit("The meter entry has no import, export or power sensor")

    devices = {d["id"]: d for d in await setup.ws("config/device_registry/list")}
    states = {s["entity_id"]: s for s in await setup.rest("GET", "/api/states")}

    def energy_of(model_id: str) -> list[str]:
        return sorted(
            e["entity_id"]
            for e in entities
            if e["config_entry_id"] == appliances_id
            and devices.get(e["device_id"] or "", {}).get("model_id") == model_id
            and states.get(e["entity_id"], {}).get("attributes", {}).get("device_class") == "energy"
            and e["disabled_by"] is None
        )

    solar = energy_of("0x0279")
    print("==> Adding the savings entry")
    savings = await setup.flow(
        flows,
        "denki",
        [{"next_step_id": "savings"}, {"energy_entity": imported, "yen_per_kwh": 31}],
    )
    options: dict[str, Any] = {"yen_per_kwh": 31, "dr_source": "all"}
    options["export_energy_entity"] = exported
    if solar:
        options["pv_energy_entity"] = solar[0]
    await setup.flow(
        "/api/config/config_entries/options/flow", savings["result"]["entry_id"], [options]
    )

    print("==> Energy dashboard: grid import and export from the meter, solar from the PV")
    sources: list[dict[str, Any]] = [
        {
            "type": "grid",
            "stat_energy_from": imported,
            "stat_energy_to": exported,
            "stat_rate": power,
            "number_energy_price": 31,
            "number_energy_price_export": 16,
            "cost_adjustment_day": 0,
        }
    ]
    sources += [{"type": "solar", "stat_energy_from": entity} for entity in solar]
    consumers = [
        {"stat_consumption": entity}
        for model in ("0x0130", "0x026B")
        for entity in energy_of(model)
    ]
    await setup.ws("energy/save_prefs", energy_sources=sources, device_consumption=consumers)

    print(f"==> A 'Denki' dashboard at /{DASHBOARD}")
    registry = {e["entity_id"]: e for e in await setup.ws("config/entity_registry/list")}
    aggregator_id = aggregator["result"]["entry_id"]
    calendar = [
        entity
        for entity, e in registry.items()
        if e["config_entry_id"] == aggregator_id and entity.startswith("calendar.")
    ]
    controls = sorted(
        entity
        for entity, e in registry.items()
        if e["config_entry_id"] == appliances_id
        and entity.split(".")[0] in ("climate", "water_heater", "light", "select")
        and e["disabled_by"] is None
    )
    aggregator_sensors = sorted(
        entity
        for entity, e in registry.items()
        if e["config_entry_id"] == aggregator_id
        and entity.split(".")[0] in ("binary_sensor", "sensor")
        and e["disabled_by"] is None
    )
    dashboards = await setup.ws("lovelace/dashboards/list")
    if not any(d["url_path"] == DASHBOARD for d in dashboards):
        await setup.ws(
            "lovelace/dashboards/create",
            url_path=DASHBOARD,
            title="Denki",
            icon="mdi:home-lightning-bolt",
            show_in_sidebar=True,
            require_admin=False,
            mode="storage",
        )
    cards: list[dict[str, Any]] = [
        {"type": "custom:denki-savings-card", "show_cards": True},
        {"type": "calendar", "entities": calendar, "initial_view": "listWeek"},
        {"type": "entities", "entities": aggregator_sensors},
        {"type": "entities", "entities": [power, imported, exported]},
        *({"type": "tile", "entity": entity} for entity in controls),
    ]
    await setup.ws(
        "lovelace/config/save",
        url_path=DASHBOARD,
        config={"title": "Denki", "views": [{"title": "Home", "path": "home", "cards": cards}]},
    )
    return {
        "meter": meter_id,
        "appliances": appliances_id,
        "aggregator": aggregator_id,
        "savings": savings["result"]["entry_id"],
    }


async def run(base: str, token: str, endpoints: Path, language: str = "en") -> None:
    """Configure the Home Assistant at `base` against the home described in `endpoints`."""
    home = json.loads(await asyncio.to_thread(endpoints.read_text))
    async with aiohttp.ClientSession() as session:
        setup = Setup(session, base, token)
        try:
            await configure(setup, home, language)
        finally:
            await setup.close()


def main() -> None:
    """Parse the arguments and configure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--language", default="en")
    args = parser.parse_args()
    asyncio.run(run(args.url, args.token, args.home, args.language))


if __name__ == "__main__":
    main()
