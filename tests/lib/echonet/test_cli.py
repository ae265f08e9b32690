"""The ECHONET Lite command line, run as a real process against simulated nodes on loopback."""

import asyncio
import datetime as dt
from decimal import Decimal
import json
from pathlib import Path
import sys
from typing import Any

from custom_components.denki.lib.echonet import (
    CONTROLLER,
    EOJ,
    ESV,
    NODE_PROFILE,
    Frame,
    Property,
    encode_frame,
    encode_property_map,
)
from custom_components.denki.lib.echonet.cli import jsonable

from .conftest import AIRCON, CLIENT, METER, NodeFactory

MODULE = "custom_components.denki.lib.echonet"
ROOT = Path(__file__).resolve().parents[3]
NODE = "127.0.10.21"
OTHER = "127.0.10.22"
ELSEWHERE = "127.0.10.23"  # not in the group: only unicast finds it
SILENT = "127.0.10.29"  # nothing listens there
UNKNOWN_CLASS = EOJ.from_int(0x0999_01)


async def _run(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        MODULE,
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode or 0, out.decode(), err.decode()


def _net(port: int) -> tuple[str, ...]:
    return ("--interface", CLIENT, "--port", str(port))


def _instances(node: dict[str, Any]) -> list[str]:
    return [instance["eoj"] for instance in node["instances"]]


async def test_discover_asks_the_group_and_each_host(
    port: int, group: str, nodes: NodeFactory
) -> None:
    await nodes(NODE, {AIRCON: {0x80: b"\x30"}}, group=group)
    await nodes(OTHER, {METER: {}}, group=group)
    await nodes(ELSEWHERE, {AIRCON: {}})
    code, out, err = await _run(
        "discover", *_net(port), "--window", "1", "--host", ELSEWHERE, "--host", SILENT
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["multicast"] is True
    assert [(node["address"], node["via"], _instances(node)) for node in result["nodes"]] == [
        (NODE, ["multicast"], ["0x013001"]),
        (OTHER, ["multicast"], ["0x028801"]),
        (ELSEWHERE, ["unicast"], ["0x013001"]),
    ]
    assert result["nodes"][0]["instances"][0] == {
        "eoj": "0x013001",
        "class": "0x0130",
        "name_en": "Home air conditioner",
        "name_ja": "家庭用エアコン",
    }
    assert result["silent_hosts"] == [SILENT]


async def test_discover_by_unicast_alone(port: int, nodes: NodeFactory) -> None:
    """Where multicast does not reach (or does not work here), --host still finds nodes."""
    node = await nodes(NODE, {AIRCON: {}, METER: {}})
    code, out, err = await _run("discover", *_net(port), "--window", "2", "--host", NODE)
    assert code == 0, err
    found = json.loads(out)["nodes"]
    assert [(entry["address"], _instances(entry)) for entry in found] == [
        (NODE, ["0x013001", "0x028801"])
    ]
    assert "unicast" in found[0]["via"]
    [request] = node.requests
    assert (request.deoj, request.esv, request.properties) == (
        NODE_PROFILE,
        ESV.GET,
        (Property(0xD6),),
    )


AIRCON_VALUES = {
    0x80: b"\x30",  # ON
    0x81: b"\x08",
    0x82: b"\x00\x00\x52\x00",
    0x88: b"\x42",  # no fault
    0x8A: b"\x00\x00\x16",
    0x97: b"\x0c\x1e",  # 12:30
    0x98: b"\x07\xe8\x01\x02",  # 2024-01-02
    0xA0: b"\x20",  # not a code the specification lists
    0xB0: b"\x42",  # cooling
    0xB3: b"\x1a",  # 26 °C
    0xBB: b"\x19",  # 25 °C
    0xF5: b"\x01\x02",  # maker-specific: not in the class data
}
REFUSED = 0xB4  # in the Get map, but the node has no value for it


def _aircon() -> dict[int, bytes]:
    values = dict(AIRCON_VALUES)
    values[0x9D] = encode_property_map({0x80, 0xB0})
    values[0x9E] = encode_property_map({0x80, 0xB0, 0xB3})
    values[0x9F] = encode_property_map({*values, 0x9F, REFUSED})
    return values


async def test_probe_reads_every_property_of_an_air_conditioner(
    port: int, nodes: NodeFactory
) -> None:
    node = await nodes(NODE, {AIRCON: _aircon(), UNKNOWN_CLASS: {0x9F: b"\x01\x80", 0x80: b"1"}})
    node.silent_over = 8  # drops a Get of more than 8 properties, as some devices do
    code, out, err = await _run("probe", NODE, *_net(port), "--timeout", "1")
    assert code == 0, err
    result = json.loads(out)
    profile = result["node_profile"]
    assert profile["identification"] == "FE000016" + NODE.encode().hex().upper().ljust(26, "0")
    assert profile["manufacturer"] == {
        "code": "0x000016",
        "name_en": "TOSHIBA CORPORATION",
        "name_ja": "株式会社東芝",
    }
    assert profile["version"] == "1.14"
    assert [instance["eoj"] for instance in profile["instances"]] == ["0x013001", "0x099901"]

    aircon, unknown = result["instances"]
    assert aircon["name_en"] == "Home air conditioner"
    assert aircon["announcement_map"] == ["0x80", "0xB0"]
    assert aircon["set_map"] == ["0x80", "0xB0", "0xB3"]
    properties = aircon["properties"]
    assert list(properties) == sorted(f"0x{epc:02X}" for epc in _aircon().keys() | {REFUSED})
    assert properties["0x80"] == {
        "epc": "0x80",
        "name_en": "Operation status",
        "name_ja": "動作状態",
        "hex": "30",
        "value": "true",
        "value_en": "ON",
        "value_ja": "ON",
    }
    assert properties["0xB0"]["value"] == "cooling"
    assert (properties["0xB0"]["value_en"], properties["0xB0"]["value_ja"]) == ("Cooling", "冷房")
    assert (properties["0xB3"]["value"], properties["0xB3"]["unit"]) == (26, "°C")
    assert (properties["0xBB"]["name_en"], properties["0xBB"]["value"]) == (
        "Measured value of room temperature",
        25,
    )
    assert properties["0x8A"]["value"] == "000016"  # bytes as hex
    assert properties["0x97"]["value"] == "12:30:00"
    assert properties["0x98"]["value"] == "2024-01-02"
    assert properties["0x9F"]["value"] == aircon["get_map"]
    assert "0xF5" in aircon["get_map"]
    # Unknown property, value that does not fit, property refused: said, not crashed.
    assert properties["0xF5"]["hex"] == "0102"
    assert properties["0xF5"]["value"] is None
    assert (
        properties["0xF5"]["note"] == "EPC 0xF5 of class 0x0130 is not in the class data: hex only"
    )
    assert properties["0xA0"]["hex"] == "20"
    assert "code 0x20" in properties["0xA0"]["error"]
    assert properties[f"0x{REFUSED:02X}"]["hex"] is None
    assert "Get_SNA" in properties[f"0x{REFUSED:02X}"]["error"]

    # An unknown class: its names are missing and it says so; the super class still decodes.
    assert (unknown["eoj"], unknown["name_en"]) == ("0x099901", None)
    assert "not in the class data" in unknown["note"]
    assert unknown["properties"]["0x80"]["value"] == "false"

    gets = [frame for frame in node.requests if frame.esv is ESV.GET]
    # The poller asked everything at once, split what the node dropped, and says what it cost.
    assert result["requests"] == len({frame.tid for frame in gets})
    assert result["datagrams_sent"] == len(gets)
    assert 0 < result["seconds"] < 60
    assert max(len(frame.properties) for frame in gets) > 8


async def test_probe_of_a_willing_node_takes_about_two_requests_per_object(
    port: int, nodes: NodeFactory
) -> None:
    node = await nodes(NODE, {AIRCON: _aircon(), METER: _aircon()})
    code, out, err = await _run("probe", NODE, *_net(port), "--timeout", "1")
    assert code == 0, err
    result = json.loads(out)
    # The node profile, then each object's maps and then every other property.
    assert result["requests"] == 1 + 2 * 2
    assert result["datagrams_sent"] == len(node.requests) == 5
    assert len(result["instances"][1]["properties"]) == len(_aircon()) + 1


async def test_probe_of_a_silent_host_fails_in_one_line(port: int) -> None:
    code, out, err = await _run("probe", SILENT, *_net(port), "--timeout", "0.2")
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"error: no ECHONET Lite node answered at {SILENT}: ")
    assert "0x0EF001" in err
    assert "Traceback" not in err


def _frame_hex(frame: Frame) -> str:
    return encode_frame(frame).hex()


async def test_decode_frames() -> None:
    answer = Frame(
        0x1234,
        AIRCON,
        CONTROLLER,
        ESV.GET_RES,
        (Property(0x80, b"\x30"), Property(0xB0, b"\x42"), Property(0xBB, b"\x19")),
    )
    request = Frame(7, CONTROLLER, AIRCON, ESV.SETC, (Property(0xB3, b"\x1a"),))
    truncated = encode_frame(answer)[:-1].hex()
    (
        (code, out, err),
        (req_code, req_out, _),
        (bad_code, bad_out, bad_err),
        (hex_code, _, _),
    ) = await asyncio.gather(
        _run("decode", _frame_hex(answer)),
        _run("decode", _frame_hex(request)),
        _run("decode", truncated),
        _run("decode", "10 81 zz"),
    )
    assert code == 0, err
    result = json.loads(out)
    assert (result["ehd1"], result["ehd2"], result["tid"]) == ("0x10", "0x81", 0x1234)
    assert (result["seoj"]["eoj"], result["deoj"]["eoj"]) == ("0x013001", "0x05FF01")
    assert result["esv"] == {"code": "0x72", "name": "Get_Res"}
    assert result["values_of"] == "SEOJ"
    assert [(p["epc"], p["pdc"], p["hex"], p["value"]) for p in result["properties"]] == [
        ("0x80", 1, "30", "true"),
        ("0xB0", 1, "42", "cooling"),
        ("0xBB", 1, "19", 25),
    ]
    assert result["properties"][2]["name_ja"] == "室内温度計測値"

    assert req_code == 0
    decoded_request = json.loads(req_out)
    assert (decoded_request["esv"]["name"], decoded_request["values_of"]) == ("SetC", "DEOJ")
    assert decoded_request["properties"][0]["value"] == 26  # by the air conditioner's class

    assert (bad_code, bad_out) == (1, "")
    assert bad_err == "error: property 0xBB announces 1 bytes but 0 remain\n"
    assert hex_code == 2


def test_values_json_lacks_are_rendered_the_same_way_every_time() -> None:
    value = {
        "bytes": b"\x01\xab",
        "date": dt.date(2024, 1, 2),
        "datetime": dt.datetime(2024, 1, 2, 3, 4, 5),  # noqa: DTZ001 - as ECHONET sends it
        "decimal": (Decimal("0.1"), Decimal(3), Decimal("NaN")),
        "enum": ESV.GET,
        "map": frozenset({0xB0, 0x80}),
        "float": float("inf"),
    }
    rendered = jsonable(value)
    assert rendered == {
        "bytes": "01AB",
        "date": "2024-01-02",
        "datetime": "2024-01-02T03:04:05",
        "decimal": [0.1, 3, "NaN"],
        "enum": "GET",
        "map": ["0x80", "0xB0"],
        "float": "inf",
    }
    assert json.dumps(rendered, allow_nan=False) == json.dumps(jsonable(value), allow_nan=False)
