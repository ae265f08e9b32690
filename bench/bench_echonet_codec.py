"""ECHONET Lite frame decode and encode: Denki vs pychonet, in one process run.

    .venv/bin/python -m bench.bench_echonet_codec [--quick]

Best of 5 runs of N operations each; microseconds per frame and the ratio
pychonet / Denki (above 1: Denki is faster), then the frames per second of a
poll's round trip (encode a Get, decode its Get_Res). Denki's decoder checks
every length and refuses what does not add up; pychonet's does not. pychonet's encoder validates
class codes against its own tables and always writes SEOJ 0x05FF01, so the
frames are ones it accepts. `--quick` runs a tenth of the operations.
"""

import argparse
import time

from pychonet.lib.functions import buildEchonetMsg, decodeEchonetMsg

from bench.result import Row, emit
from custom_components.denki.lib.echonet import (
    CONTROLLER,
    EOJ,
    ESV,
    Frame,
    Property,
    decode_frame,
    encode_frame,
)

METER = EOJ.from_int(0x028801)
FRAMES = {
    "Get_Res, 1 property": Frame(
        1, METER, CONTROLLER, ESV.GET_RES, (Property(0xE7, b"\x00\x00\x01\xf4"),)
    ),
    "Get_Res, 7 properties": Frame(
        3, METER, CONTROLLER, ESV.GET_RES, tuple(Property(0xE0 + i, bytes(4)) for i in range(7))
    ),
    "Get_Res, 8 properties": Frame(
        2, METER, CONTROLLER, ESV.GET_RES, tuple(Property(0xE0 + i, bytes(4)) for i in range(8))
    ),
    "INF, instance list": Frame(
        0,
        EOJ.from_int(0x0EF001),
        EOJ.from_int(0x0EF001),
        ESV.INF,
        (Property(0xD5, bytes.fromhex("04013001027D01026B01028801")),),
    ),
}
N = 20_000


def best(fn: object, n: int | None = None) -> float:
    assert callable(fn)
    n = n or N
    times = []
    for _ in range(5):
        start = time.perf_counter_ns()
        for _ in range(n):
            fn()
        times.append(time.perf_counter_ns() - start)
    return min(times) / n / 1000


def main() -> None:
    print(f"ECHONET Lite codec, best of 5 x {N} operations, us per frame")
    print(f"{'operation':34} {'denki':>8} {'pychonet':>9} {'pychonet/denki':>15}")
    totals: list[tuple[str, float, float]] = []
    rows: list[Row] = []
    for name, frame in FRAMES.items():
        data = encode_frame(frame)
        decode_ours = best(lambda data=data: decode_frame(data))
        decode_theirs = best(lambda data=data: decodeEchonetMsg(data))
        row = f"{'decode ' + name:34} {decode_ours:8.2f} {decode_theirs:9.2f}"
        print(f"{row} {decode_theirs / decode_ours:14.2f}x")
        if name in {"Get_Res, 1 property", "Get_Res, 7 properties"}:
            rows.append(Row(f"decode {name}", "pychonet", decode_ours, decode_theirs, "µs"))
        request = Frame(
            frame.tid, CONTROLLER, METER, ESV.GET, tuple(Property(p.epc) for p in frame.properties)
        )
        as_dict = {
            "TID": request.tid,
            "DEOJGC": 0x02,
            "DEOJCC": 0x88,
            "DEOJCI": 0x01,
            "ESV": 0x62,
            "OPC": [{"EPC": p.epc} for p in request.properties],
        }
        encode_ours = best(lambda request=request: encode_frame(request))
        encode_theirs = best(lambda as_dict=as_dict: buildEchonetMsg(dict(as_dict)))
        row = f"{'encode Get for ' + name:34} {encode_ours:8.2f} {encode_theirs:9.2f}"
        print(f"{row} {encode_theirs / encode_ours:14.2f}x")
        totals.append((name, decode_ours + encode_ours, decode_theirs + encode_theirs))
    print()
    print("a poll's round trip: encode the Get, decode its answer; frames per second")
    print(f"{'frame':34} {'denki':>10} {'pychonet':>10} {'denki/pychonet':>15}")
    for name, ours, theirs in totals:
        print(f"{name:34} {1e6 / ours:10,.0f} {1e6 / theirs:10,.0f} {theirs / ours:14.2f}x")
        if name == "Get_Res, 7 properties":
            rows.append(
                Row(
                    f"poll round trip, {name}",
                    "pychonet",
                    1e6 / ours,
                    1e6 / theirs,
                    "frames/s",
                    "higher",
                )
            )
    emit("bench_echonet_codec", rows, operations=N)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the operations")
    if parser.parse_args().quick:
        N //= 10
    main()
