"""The Wi-SUN dongles people own, as profiles of the simulated dongle.

Each profile is a `DongleModel` (simulators.wisun_dongle) with the switches
that make it answer as that dongle does. Every behaviour names its public
source; where none of the public code searched shows a behaviour, the source
is the log or report that issue 18 of this project cites, and it says so.

Sources, by short name:

- BP35A1 ref: ROHM's BP35A1 command reference (Single-hop Edition), as smdn
  cites it section by section in smdn/Smdn.Net.SkStackIP,
  src/Smdn.Net.SkStackIP/Smdn.Net.SkStackIP.Protocol/SkStackEventParser.cs
  (4.1 ERXUDP, 4.5 EPANDESC, 4.8 EVENT).
- momonga: the PyPI package momonga 0.7.0, momonga/momonga_sk_wrapper.py
  (`_exec_ropt` lines 217-239 reads ROPT up to a CR; lines 164-172 run WOPT 01
  when ROPT is not 1 and assume hex when ROPT is unsupported),
  momonga/momonga_session_manager.py (line 143: `SKSREG SA2 1`),
  momonga/momonga_device.py (lines 74-85: BP35C2 ERXUDP needs 11 fields; 88:
  4-argument SKSCAN; 117-118: 3-argument SKSCAN on a BP35A1).
- broute-mqtt: hsakoh/broute-mqtt, src/EchonetLite/SkstackIpDotNet/Events/ERXUDP.cs
  (the BP35C0 ERXUDP of 10 fields: SECURED then SIDE, no RSSI).
- issue 18: this project's issue "B-route on the dongles people own", which
  reports the Tessera and RS-WSUHA-P answers from users' logs.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from custom_components.denki.lib.echonet import (
    EOJ,
    ESV,
    Frame,
    FrameError,
    Property,
    decode_frame,
    encode_frame,
)

from .wisun_dongle import DongleModel, MeterRadio, UdpResponder

NODE_PROFILE = EOJ(0x0E, 0xF0, 0x01)


def bp35a1_old(meter: MeterRadio) -> DongleModel:
    """ROHM BP35A1 before firmware 1.2.10: no ROPT/WOPT, ERXUDP without SECURED."""
    return DongleModel(
        dialect="bp35a1",  # SKINFO ends with FFFE (momonga_sk_wrapper.py lines 60-61, 621)
        meter=meter,
        name="bp35a1-old",
        version="1.2.8",
        # ROPT/WOPT came with a later firmware: FAIL ER04 (unknown command), which
        # momonga takes as "hex payloads" (momonga_sk_wrapper.py lines 171-172).
        has_ropt=False,
        # The old ERXUDP without the SECURED field: issue 18's list; the BP35A1 ref
        # 4.1 form (smdn) has it, so this is the one form no public parser reads.
        secured_field=False,
    )


def bp35a1_1_2_10(meter: MeterRadio) -> DongleModel:
    """ROHM BP35A1 from firmware 1.2.10: ROPT answers `OK 01` ended by CR alone."""
    return DongleModel(
        dialect="bp35a1",
        meter=meter,
        name="bp35a1-1.2.10",
        version="1.2.10",
        # momonga reads ROPT's answer up to "\r" (momonga_sk_wrapper.py line 231:
        # `res.endswith(b'\r')`), unlike every other answer (readline, line 271).
        ropt_line_end=b"\r",
    )


def bp35c0(meter: MeterRadio) -> DongleModel:
    """ROHM BP35C0: sides; RSSI in ERXUDP only after SKSREG SA2 1."""
    return DongleModel(
        dialect="bp35c",  # SKINFO's last field is the side, 0 (momonga line 624)
        meter=meter,
        name="bp35c0",
        # SA2 = 0 by default: 10 fields (broute-mqtt ERXUDP.cs); 11 after SA2 1
        # (momonga_session_manager.py line 143, momonga_device.py line 75).
        rssi_register=True,
    )


def bp35c2(meter: MeterRadio) -> DongleModel:
    """ROHM BP35C2 (USB stick of the BP35C0): the same SK dialect."""
    model = bp35c0(meter)
    model.name = "bp35c2"  # momonga's DeviceType.BP35C2, momonga_device.py line 24
    return model


def rs_wsuha_p(meter: MeterRadio) -> DongleModel:
    """RATOC RS-WSUHA-P (a BP35C2 inside): ships in binary payload mode."""
    model = bp35c0(meter)
    model.name = "rs-wsuha-p"
    # ROPT answers OK 00 out of the box (issue 18); momonga then writes
    # WOPT 01 to flash (momonga_sk_wrapper.py lines 165-170), Denki reads the
    # raw payload instead.
    model.binary_payload = True
    return model


def rl7023_ips(meter: MeterRadio) -> DongleModel:
    """Tessera RL7023 Stick-D/IPS (a BP35A1 inside): no ROPT, WOPT or SKAPPVER."""
    return DongleModel(
        dialect="bp35a1",
        meter=meter,
        name="rl7023-ips",
        # Tessera's firmware answers FAIL ER04 to ROPT, WOPT and SKAPPVER (issue 18).
        has_ropt=False,
        has_appver=False,
    )


def rl7023_dss(meter: MeterRadio) -> DongleModel:
    """Tessera RL7023 Stick-D/DSS (a BP35C0 inside): sides, but a 3-argument SKSCAN."""
    model = bp35c0(meter)
    model.name = "rl7023-dss"
    model.has_ropt = model.has_appver = False  # FAIL ER04 (issue 18)
    # SKSCAN takes 3 arguments, without the side (issue 18), although SKINFO
    # reports a side: momonga's BP35C2 strategy sends 4 (momonga_device.py line
    # 88) and gets FAIL ER05.
    model.scan_arguments = 3
    return model


PROFILES: dict[str, Callable[[MeterRadio], DongleModel]] = {
    "bp35a1-old": bp35a1_old,
    "bp35a1-1.2.10": bp35a1_1_2_10,
    "bp35c0": bp35c0,
    "bp35c2": bp35c2,
    "rs-wsuha-p": rs_wsuha_p,
    "rl7023-ips": rl7023_ips,
    "rl7023-dss": rl7023_dss,
}
"""Every profile by name; the legacy names "bp35a1" and "bp35c" are `make_model`'s too."""

MOMONGA_SUPPORTED = frozenset(PROFILES) - {"rl7023-dss"}
"""Profiles momonga can join; see tests/simulators/test_dongle_profiles.py for the one it
cannot (the 3-argument SKSCAN of the RL7023 Stick-D/DSS)."""


def make_model(name: str, meter: MeterRadio | None = None, **changes: object) -> DongleModel:
    """A dongle of profile `name` (or of a legacy dialect, "bp35a1"/"bp35c"), with changes."""
    radio = meter if meter is not None else MeterRadio()
    if name in ("bp35a1", "bp35c"):
        model = DongleModel(dialect=name, meter=radio)
    elif name in PROFILES:
        model = PROFILES[name](radio)
    else:
        raise ValueError(f"unknown dongle profile {name!r}; known: {', '.join(PROFILES)}")
    for key, value in changes.items():
        if not hasattr(model, key):
            raise ValueError(f"a dongle has no {key!r}")
        setattr(model, key, value)
    return model


@dataclass
class MeterIdentity:
    """Which identity properties a meter offers, in front of its responder.

    The identification number (0x83) and the serial number (0x8D) are optional
    on a device object, so a meter may lack either; its node profile (0x0EF001)
    may have a 0x83 of its own, or not answer at all. Wraps a `UdpResponder`
    (a `SimulatedMeter.answer`) and edits its answers.
    """

    inner: UdpResponder
    meter_0x83: bool = True
    node_0x83: bytes | None = None
    """The node profile's 0x83; None: the node profile answers nothing."""
    serial: bytes | None = None
    """The meter object's 0x8D, or None for a meter without it."""
    maker: bytes = b"\x00\x00\x16"
    requests: list[tuple[int, int]] = field(default_factory=list)
    """(class group, class) of each request's destination."""

    def __call__(self, payload: bytes) -> bytes | None:
        """The meter's (or its node profile's) answer."""
        try:
            request = decode_frame(payload)
        except FrameError:
            return None
        self.requests.append((request.deoj.class_group, request.deoj.class_code))
        if (request.deoj.class_group, request.deoj.class_code) == (0x0E, 0xF0):
            return self._node_profile(request)
        answer = self.inner(payload)
        if answer is None or request.esv is not ESV.GET:
            return answer
        frame = decode_frame(answer)
        properties = []
        for prop in frame.properties:
            edt = prop.edt
            if prop.epc == 0x83 and not self.meter_0x83:
                edt = b""
            elif prop.epc == 0x8D:
                edt = self.serial or b""
            properties.append(Property(prop.epc, edt))
        esv = ESV.GET_RES if all(p.edt for p in properties) else ESV.GET_SNA
        return encode_frame(Frame(frame.tid, frame.seoj, frame.deoj, esv, tuple(properties)))

    def _node_profile(self, request: Frame) -> bytes | None:
        if self.node_0x83 is None or request.esv is not ESV.GET:
            return None
        values = {0x83: self.node_0x83, 0x8A: self.maker}
        properties = tuple(Property(p.epc, values.get(p.epc, b"")) for p in request.properties)
        esv = ESV.GET_RES if all(p.edt for p in properties) else ESV.GET_SNA
        return encode_frame(Frame(request.tid, NODE_PROFILE, request.seoj, esv, properties))
