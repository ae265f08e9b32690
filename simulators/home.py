"""A whole simulated home on this machine: meter, appliances, aggregator, and a control API.

`SimulatedHome` starts, on loopback only:

- a Wi-SUN dongle (SK command set) on a pseudo-terminal, reached through a
  stable symlink, with a low-voltage smart meter behind it that keeps 45
  days of history;
- ECHONET Lite nodes on 127.0.11.x sharing one UDP port: the living room
  (air conditioner, EcoCute), outside (PV, storage battery, light) and the
  utility room (distribution board);
- the appliances' consumption (`HomeLoad`): each draws what its settings
  say, and the meter measures the household's base load plus all of them
  (0xE7 goes negative, and 0xE3 counts, when PV and battery export), from
  the start on; switch the air conditioner off with a SetC and the meter's
  power drops by its draw. The meter's 45 days of history are the same
  base load plus the same appliances as they start (the battery standing
  by, ready for a DR event), so that the live power agrees with the
  history hour by hour, and a DR event's curtailment (the air
  conditioner's setpoint up, the EcoCute's boiling postponed) shows as
  saved against the ERAB baseline;
- an OpenADR 3 VTN (with its MQTT notifier) and an MQTT broker (amqtt) that
  carries both the notifier and Denki's MQTT aggregator profile;
- on request only (`hv_meter`), a building's high-voltage smart meter
  (0x028A, or the bidirectional 0x028F) on 127.0.11.31, on the appliances'
  UDP port but reached by its address alone (it joins no multicast group);
  a household has the low-voltage meter, so it is off by default;
- a small HTTP control API to issue and cancel DR events, unplug and plug
  the dongle, silence a device, stop or start the broker, and show what
  each appliance draws and what the meter measures (GET /load).

`python -m simulators` runs one and prints what to enter in Home Assistant.
Not shipped with the integration.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
from typing import Any, Literal

from aiohttp import web
from aiohttp.test_utils import TestServer
from amqtt.broker import Broker  # type: ignore[import-untyped]

from custom_components.denki.lib.dr.mqtt_profile import SCHEMA, Topics
from custom_components.denki.lib.echonet import EOJ, ESV, MULTICAST_GROUP, NODE_PROFILE, Frame

from .consumption import HomeLoad
from .echonet_devices import (
    air_conditioner,
    distribution_board,
    general_lighting,
    home_node,
    solar,
    storage_battery,
    water_heater,
)
from .echonet_node import SimulatedNode
from .hv_meter import SimulatedHighVoltageMeter
from .meter_history import MeterHistory
from .openadr3_notifier import VtnPublisher, add_notifier_routes
from .openadr3_vtn import VtnState, make_app
from .smart_meter import SimulatedMeter
from .wisun_dongle import DongleModel, MeterRadio, PtyDongle

RBID = "00112233445566778899AABBCCDDEEFF"
PASSWORD = "0123456789AB"  # noqa: S105 - the simulated meter's B-route password
PREFIX = "aggregator/jp"
VEN = "home-1"
NODES: dict[str, tuple[bytes, dict[EOJ, Callable[[], Any]]]] = {
    "127.0.11.21": (
        b"LIVING-NODE-1",
        {EOJ.from_int(0x013001): air_conditioner, EOJ.from_int(0x026B01): water_heater},
    ),
    "127.0.11.22": (
        b"OUTSIDE-NODE1",
        {
            EOJ.from_int(0x027901): solar,
            EOJ.from_int(0x027D01): storage_battery,
            EOJ.from_int(0x029001): general_lighting,
        },
    ),
    "127.0.11.23": (b"UTILITY-NODE1", {EOJ.from_int(0x028701): distribution_board}),
}
STARTING_SETTINGS: dict[EOJ, dict[int, bytes]] = {
    EOJ.from_int(0x027D01): {0xDA: b"\x44"},
}
"""Settings the home starts with besides the devices' own: the storage battery standing by
(0xDA 0x44), ready to discharge for a DR event, rather than charging at 1.5 kW around the
clock, which would add 36 kWh a day to the meter (the simulated battery has no state of
charge to stop it). Its charge and discharge stay one Set away."""
INTERFACE = "127.0.11.1"
"""The address Home Assistant's appliances entry listens on."""
type HvMeterKind = Literal["028a", "028f"]
HV_METER_KINDS: tuple[HvMeterKind, ...] = ("028a", "028f")
"""The high-voltage meter's classes: 0x028A, and the bidirectional 0x028F."""
HV_METER = "127.0.11.31"
"""The high-voltage meter's address, when the home has one."""
HV_INTERFACE = "127.0.11.2"
"""The address Home Assistant's high-voltage meter entry listens on (the appliances' port
is taken on INTERFACE by the appliances entry)."""


@dataclass
class Endpoints:
    """What Home Assistant is configured with to reach the home."""

    dongle: str
    rbid: str
    password: str
    echonet_interface: str
    echonet_port: int
    vtn_url: str
    client_id: str
    client_secret: str
    broker_host: str
    broker_port: int
    mqtt_prefix: str
    mqtt_ven: str
    control_url: str
    hv_meter_host: str | None = None
    """The high-voltage meter entry's host and interface: only when the home has one."""
    hv_meter_interface: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """What is printed and served: without the high-voltage meter's keys when there is none."""
        return {key: value for key, value in asdict(self).items() if value is not None}


type Tables = dict[str, tuple[dict[EOJ, dict[int, bytes]], frozenset[int]]]
"""Each node's objects (property tables by EOJ) and settable EPCs, by address."""


def home_tables() -> Tables:
    """The nodes' objects as the home starts: `NODES`, with `STARTING_SETTINGS`."""
    tables = {
        address: home_node(identity, {eoj: make() for eoj, make in objects.items()})
        for address, (identity, objects) in NODES.items()
    }
    for objects, _ in tables.values():
        for eoj, settings in STARTING_SETTINGS.items():
            if eoj in objects:
                objects[eoj].update(settings)
    return tables


def metered_home(tables: Tables, clock: Callable[[], datetime]) -> tuple[HomeLoad, MeterHistory]:
    """The appliances' load and the meter that measures it on top of the base load.

    The meter keeps 45 days of history made of the base load and the
    appliances as they are now (`HomeLoad.as_started`): the live power of a
    home nobody touches is what its history shows for the same hour, and an
    appliance set down lowers the meter's power below it by its draw.
    """
    load = HomeLoad(
        {
            eoj: values
            for objects, _ in tables.values()
            for eoj, values in objects.items()
            if eoj != NODE_PROFILE
        },
        clock,
    )
    history = MeterHistory(
        origin=clock() - timedelta(days=45),
        clock=clock,
        load=load.watts,
        usual=load.as_started(),
    )
    load.base = history.base_w
    return load, history


def _wall_clock() -> datetime:
    return datetime.now(UTC)


def _broker_config(port: int) -> dict[str, Any]:
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
        "sys_interval": 0,
        "auth": {"allow-anonymous": True, "plugins": ["auth_anonymous"]},
        "topic-check": {"enabled": False},
    }


@dataclass
class SimulatedHome:
    """Every simulator of one home, started and stopped together."""

    folder: Path
    echonet_port: int
    broker_port: int
    vtn_port: int = 0
    control_port: int = 0
    clock: Callable[[], datetime] = _wall_clock
    """The meter's and the appliances' clock: a test can move it."""
    hv_meter: HvMeterKind | None = None
    """A building's high-voltage meter too: "028a" or the bidirectional "028f"; None, none."""
    meter: SimulatedMeter = field(default_factory=SimulatedMeter)
    load: HomeLoad | None = None
    nodes: dict[str, SimulatedNode] = field(default_factory=dict)
    dongles: list[PtyDongle] = field(default_factory=list)
    vtn: VtnState = field(default_factory=lambda: VtnState(programs=[{"id": "kanto-dr"}]))
    broker: Broker | None = None
    high_voltage_meter: SimulatedHighVoltageMeter | None = None
    """The high-voltage meter, once started (with `hv_meter` only)."""
    _servers: list[TestServer] = field(default_factory=list)
    _radio: MeterRadio | None = None
    _events: int = 0
    endpoints: Endpoints | None = None

    @property
    def dongle_path(self) -> Path:
        """The stable path of the dongle, as /dev/serial/by-id would give it."""
        return self.folder / "usb-ROHM_BP35A1-if00"

    async def start(self) -> Endpoints:
        """Start everything; return what Home Assistant needs to reach it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tables = home_tables()
        self.load, self.meter.history = metered_home(tables, self.clock)
        self._radio = MeterRadio(rbid=RBID, password=PASSWORD, responder=self.meter.answer)
        await self.plug()
        for address, (values, settable) in tables.items():
            node = SimulatedNode(
                address,
                self.echonet_port,
                values,
                group=MULTICAST_GROUP,
                settable=settable,
                on_request=self._on_request,
            )
            await node.start()
            self.nodes[address] = node
        if self.hv_meter is not None:
            if self.hv_meter not in HV_METER_KINDS:
                raise ValueError(f"no high-voltage meter class {self.hv_meter!r}")
            self.high_voltage_meter = SimulatedHighVoltageMeter(
                HV_METER, self.echonet_port, self.clock, bidirectional=self.hv_meter == "028f"
            )
            await self.high_voltage_meter.start()
        await self.start_broker()
        vtn_app = make_app(self.vtn)
        add_notifier_routes(vtn_app, f"mqtt://127.0.0.1:{self.broker_port}")
        vtn = TestServer(vtn_app, host="127.0.0.1", port=self.vtn_port or None)
        await vtn.start_server()
        control = TestServer(self._control_app(), host="127.0.0.1", port=self.control_port or None)
        await control.start_server()
        self._servers = [vtn, control]
        self.endpoints = Endpoints(
            dongle=str(self.dongle_path),
            rbid=RBID,
            password=PASSWORD,
            echonet_interface=INTERFACE,
            echonet_port=self.echonet_port,
            vtn_url=str(vtn.make_url("")).rstrip("/"),
            client_id=self.vtn.client_id,
            client_secret=self.vtn.client_secret,
            broker_host="127.0.0.1",
            broker_port=self.broker_port,
            mqtt_prefix=PREFIX,
            mqtt_ven=VEN,
            control_url=str(control.make_url("")).rstrip("/"),
        )
        if self.high_voltage_meter is not None:
            self.endpoints.hv_meter_host = self.high_voltage_meter.address
            self.endpoints.hv_meter_interface = HV_INTERFACE
        return self.endpoints

    def _on_request(self, request: Frame) -> None:
        """Before a node answers: count the time so far, then bring live values up to date."""
        if request.esv in (ESV.SETC, ESV.SETI) and self.meter.history is not None:
            self.meter.history.advance()
        if self.load is not None:
            self.load.refresh()

    def load_summary(self) -> dict[str, Any]:
        """Watts now: the meter's, the household's own, and each appliance's (by EOJ)."""
        history = self.meter.history
        if self.load is None or history is None:
            return {}
        now = self.clock()
        return {
            "meter_w": history.power_w(),
            "base_w": history.base_w(now),
            "devices_w": {str(eoj): self.load.draw(eoj, now) for eoj in self.load.objects},
        }

    async def stop(self) -> None:
        """Stop everything."""
        for server in self._servers:
            await server.close()
        for node in self.nodes.values():
            node.close()
        if self.high_voltage_meter is not None:
            self.high_voltage_meter.close()
        for dongle in self.dongles:
            await dongle.stop()
        await self.stop_broker()
        self.dongle_path.unlink(missing_ok=True)

    # --- faults and events, on command -------------------------------------------------

    async def plug(self) -> None:
        """Plug a fresh dongle in at the stable path."""
        assert self._radio is not None  # noqa: S101 - start() made it
        pty = PtyDongle(DongleModel(dialect="bp35a1", meter=self._radio))
        await pty.start()
        self.dongle_path.unlink(missing_ok=True)
        self.dongle_path.symlink_to(pty.path)
        self.dongles.append(pty)

    def unplug(self) -> None:
        """Pull the dongle out: its pty closes and the stable path dangles."""
        if self.dongles:
            self.dongles[-1].unplug()
        self.dongle_path.unlink(missing_ok=True)

    def _node(self, address: str) -> SimulatedNode | None:
        """The appliance node, or the high-voltage meter's, at `address`."""
        meter = self.high_voltage_meter
        if meter is not None and address == meter.address:
            return meter.node
        return self.nodes.get(address)

    def silence(self, address: str, silent: bool = True) -> None:
        """A node (an appliance or the high-voltage meter) stops answering (or answers again)."""
        node = self._node(address)
        if node is None:
            raise KeyError(address)
        node.drop = 10**9 if silent else 0

    async def start_broker(self) -> None:
        """Start the MQTT broker (again)."""
        if self.broker is None:
            self.broker = Broker(_broker_config(self.broker_port))
            await self.broker.start()

    async def stop_broker(self) -> None:
        """Stop the MQTT broker: the aggregator's link goes down."""
        if self.broker is not None:
            await self.broker.shutdown()
            self.broker = None

    async def announce(
        self, start_in: float, minutes: float, level: int, ends_at: datetime | None = None
    ) -> str:
        """A DR event: on the VTN (and pushed by its notifier), and over the MQTT profile.

        It starts `start_in` seconds from now (to the second) and lasts `minutes`,
        or until `ends_at` when that is given: an end on the half hour, say.
        """
        self._events += 1
        event_id = f"sim-{self._events}"
        start = (datetime.now(UTC) + timedelta(seconds=start_in)).replace(microsecond=0)
        seconds = int(minutes * 60) if ends_at is None else int((ends_at - start).total_seconds())
        if seconds <= 0:
            raise ValueError(f"the event would end before it starts ({start.isoformat()})")
        duration = f"PT{seconds}S"
        event = {
            "id": event_id,
            "programID": "kanto-dr",
            "eventName": f"Simulated peak {self._events}",
            "createdDateTime": start.isoformat().replace("+00:00", "Z"),
            "modificationDateTime": start.isoformat().replace("+00:00", "Z"),
            "objectType": "EVENT",
            "intervalPeriod": {
                "start": start.isoformat().replace("+00:00", "Z"),
                "duration": duration,
            },
            "intervals": [{"id": 0, "payloads": [{"type": "SIMPLE", "values": [level]}]}],
        }
        self.vtn.events.append(event)
        profile = {
            "schema": SCHEMA,
            "type": "event",
            "event": {
                "id": event_id,
                "program": "kanto-dr",
                "name": event["eventName"],
                "intervals": [
                    {
                        "id": 0,
                        "start": start.isoformat(),
                        "duration": duration,
                        "payloads": {"SIMPLE": [level]},
                    }
                ],
            },
        }
        await self._publish("CREATE", event, profile)
        return event_id

    async def cancel(self, event_id: str) -> bool:
        """Withdraw an event everywhere; False when there is no such event."""
        event = next((e for e in self.vtn.events if e["id"] == event_id), None)
        if event is None:
            return False
        self.vtn.events.remove(event)
        await self._publish("DELETE", event, {"schema": SCHEMA, "type": "cancel", "id": event_id})
        return True

    async def _publish(
        self, operation: str, event: dict[str, Any], profile: dict[str, Any]
    ) -> None:
        if self.broker is None:
            return  # the broker is down: the VTN still has it for the next poll
        async with VtnPublisher("127.0.0.1", self.broker_port) as publisher:
            await publisher.publish(operation, event)
            await publisher.publish_raw_topic(
                Topics(PREFIX, VEN).events, json.dumps(profile).encode()
            )

    # --- the control API ----------------------------------------------------------------

    def _control_app(self) -> web.Application:
        app = web.Application()

        async def endpoints(request: web.Request) -> web.Response:
            return web.json_response(self.endpoints.as_dict() if self.endpoints else {})

        async def events(request: web.Request) -> web.Response:
            body = await request.json() if request.can_read_body else {}
            ends_at = body.get("ends_at")
            try:
                event_id = await self.announce(
                    float(body.get("start_in", 60)),
                    float(body.get("minutes", 30)),
                    int(body.get("level", 2)),
                    datetime.fromisoformat(ends_at) if ends_at else None,
                )
            except (TypeError, ValueError) as err:
                return web.json_response({"error": str(err)}, status=400)
            return web.json_response({"id": event_id}, status=201)

        async def cancel(request: web.Request) -> web.Response:
            found = await self.cancel(request.match_info["event_id"])
            return web.json_response({"cancelled": found}, status=200 if found else 404)

        async def dongle(request: web.Request) -> web.Response:
            if request.match_info["action"] == "unplug":
                self.unplug()
            else:
                await self.plug()
            return web.json_response({"dongle": request.match_info["action"]})

        async def device(request: web.Request) -> web.Response:
            address = request.match_info["address"]
            if self._node(address) is None:
                return web.json_response({"error": f"no node at {address}"}, status=404)
            self.silence(address, request.match_info["action"] == "silence")
            return web.json_response({"node": address, "state": request.match_info["action"]})

        async def load(request: web.Request) -> web.Response:
            return web.json_response(self.load_summary())

        async def broker(request: web.Request) -> web.Response:
            if request.match_info["action"] == "stop":
                await self.stop_broker()
            else:
                await self.start_broker()
            return web.json_response({"broker": request.match_info["action"]})

        app.router.add_get("/", endpoints)
        app.router.add_post("/events", events)
        app.router.add_delete("/events/{event_id}", cancel)
        app.router.add_post("/dongle/{action:unplug|plug}", dongle)
        app.router.add_post("/devices/{address}/{action:silence|answer}", device)
        app.router.add_post("/broker/{action:stop|start}", broker)
        app.router.add_get("/load", load)
        return app
