"""A seeded fuzz of the ECHONET Lite decoders, and of a real client on loopback.

A corpus of valid frames (Get, a Get_Res of seven properties, SetGet and its
answers, an INF carrying a 16-byte bitmap property map, node profile answers
with instance lists...) is mutated: bit flips, byte changes, insertions,
deletions, truncation, corrupted OPC/PDC fields, spliced frames, swapped
services and plain junk. Every datagram goes to ``decode_frame``; every
frame it accepts has each EDT fed to ``decode_property_map``,
``decode_instance_list`` and ``decode_value``. Only the codec's own errors
may come out: FrameError from the first three, PropertyValueError from the
last. The same datagrams, fewer of them, are then sent to an
``EchonetClient`` over UDP: it must count every one, raise nothing into the
event loop, and still answer a Get afterwards.
"""

import asyncio
from collections.abc import Callable, Iterator
import dataclasses
import functools
import itertools
import random
import socket
import time
from typing import Any

from custom_components.denki.lib.echonet import (
    CONTROLLER,
    EOJ,
    ESV,
    NODE_PROFILE,
    EchonetClient,
    Frame,
    FrameError,
    Property,
    decode_frame,
    decode_instance_list,
    decode_property_map,
    encode_frame,
    encode_instance_list,
    encode_property_map,
)
from custom_components.denki.lib.echonet.classes import PropertyValueError, decode_value

from .conftest import AIRCON, CLIENT, METER, NodeFactory, eventually

SEED = 3610
FRAMES = 100_000
UDP_FRAMES = 5_000
BATCH = 100
"""Datagrams sent before waiting for the client to take them: well within a socket's buffer."""

NODE = "127.0.10.80"
FUZZER = "127.0.10.81"

BATTERY = EOJ.from_int(0x027D01)
SOLAR = EOJ.from_int(0x027901)
AIRCON_VALUES = {0x80: b"\x30", 0xB0: b"\x42", 0xB3: b"\x1a", 0xBB: b"\x19"}
AIRCON_GET_MAP = encode_property_map(
    {0x80, 0x81, 0x82, 0x83, 0x88, 0x8A, 0x8F, 0x9D, 0x9E, 0x9F, 0xA0, 0xA3, 0xB0, 0xB3, 0xBA}
    | {0xBB, 0xBE, 0xC0}
)
# The node profile's Get map of test_codec (17 EPCs: the bitmap format).
NODE_PROFILE_MAP = bytes.fromhex("114141012120202020010001000002020A")

CORPUS = [
    Frame(0x0001, CONTROLLER, AIRCON, ESV.GET, tuple(Property(epc) for epc in AIRCON_VALUES)),
    Frame(
        0x0002,
        METER,
        CONTROLLER,
        ESV.GET_RES,
        (
            Property(0x80, b"\x30"),
            Property(0x88, b"\x42"),
            Property(0xD3, bytes.fromhex("00000001")),
            Property(0xD7, b"\x06"),
            Property(0xE0, bytes.fromhex("0001E240")),
            Property(0xE7, bytes.fromhex("000001F4")),
            Property(0xE8, bytes.fromhex("0032001E")),
        ),
    ),
    Frame(
        0x0003,
        CONTROLLER,
        AIRCON,
        ESV.SETGET,
        (Property(0x80, b"\x30"), Property(0xB3, b"\x1a")),
        (Property(0x80), Property(0xBB)),
    ),
    Frame(
        0x0003,
        AIRCON,
        CONTROLLER,
        ESV.SETGET_RES,
        (Property(0x80), Property(0xB3)),
        (Property(0x80, b"\x30"), Property(0xBB, b"\x19")),
    ),
    Frame(
        0x0004,
        AIRCON,
        CONTROLLER,
        ESV.SETGET_SNA,
        (Property(0x80), Property(0xB3, b"\x7f")),
        (Property(0x80, b"\x30"), Property(0xE0)),
    ),
    Frame(
        0x0005,
        NODE_PROFILE,
        EOJ.from_int(0x0EF001),
        ESV.INF,
        (
            Property(0xD5, encode_instance_list([AIRCON, METER])),
            Property(0x9F, NODE_PROFILE_MAP),
        ),
    ),
    Frame(
        0x0006,
        NODE_PROFILE,
        CONTROLLER,
        ESV.GET_RES,
        (
            Property(0xD6, encode_instance_list([AIRCON, METER, SOLAR])),
            Property(0x9D, encode_property_map({0x80, 0xD5})),
            Property(0x9E, encode_property_map(())),
            Property(0x83, bytes.fromhex("FE00001600000000000000000000000001")),
            Property(0x8A, bytes.fromhex("000016")),
        ),
    ),
    Frame(0x0007, AIRCON, CONTROLLER, ESV.GET_RES, (Property(0x9F, AIRCON_GET_MAP),)),
    Frame(0x0008, AIRCON, CONTROLLER, ESV.GET_SNA, (Property(0x80, b"\x30"), Property(0xE0))),
    Frame(0x0009, CONTROLLER, BATTERY, ESV.SETC, (Property(0xDA, b"\x42"),)),
    Frame(0x000A, BATTERY, CONTROLLER, ESV.SET_RES, (Property(0xDA),)),
    Frame(0x000B, SOLAR, CONTROLLER, ESV.INFC, (Property(0xE0, bytes.fromhex("0BB8")),)),
    Frame(0x000C, CONTROLLER, SOLAR, ESV.INFC_RES, (Property(0xE0),)),
    Frame(0x000D, CONTROLLER, AIRCON, ESV.SETI, (Property(0xB0, b"\x42"),)),
    Frame(0x000E, CONTROLLER, NODE_PROFILE, ESV.INF_REQ, (Property(0xD5),)),
    Frame(0x000F, METER, CONTROLLER, ESV.INF, (Property(0xE7, bytes.fromhex("FFFFFF9C")),)),
]
ESVS = [int(esv) for esv in ESV]


def _length_fields(frame: Frame) -> list[int]:
    """The offsets of the OPC, every PDC and the OPCGet of an encoded frame."""
    offsets = [11]
    position = 12
    lists = [frame.properties, *([frame.get_properties] if frame.esv.has_get_list else [])]
    for index, properties in enumerate(lists):
        if index:
            offsets.append(position)  # OPCGet
            position += 1
        for prop in properties:
            offsets.append(position + 1)
            position += 2 + len(prop.edt)
    return offsets


class Mutator:
    """Seeded datagrams made from the corpus: deterministic for a seed."""

    def __init__(self, seed: int) -> None:
        """Encode the corpus and find its length fields."""
        self.rng = random.Random(seed)
        self.corpus = [(encode_frame(frame), _length_fields(frame)) for frame in CORPUS]
        self.operators = [
            self._flip_bits,
            self._set_bytes,
            self._insert,
            self._delete,
            self._truncate,
            self._append,
            self._duplicate,
            self._splice,
            self._swap_service,
        ]

    def __iter__(self) -> Iterator[bytes]:
        """Mutated datagrams, without end."""
        while True:
            yield self.mutate()

    def mutate(self) -> bytes:
        """One datagram: a corpus frame mutated one to three times, or junk."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.04:
            return rng.randbytes(rng.randint(0, 48))
        if roll < 0.08:
            return b"\x10\x81" + rng.randbytes(rng.randint(0, 40))
        original, length_fields = rng.choice(self.corpus)
        data = bytearray(original)
        if roll < 0.35:
            # Length-field corruption, while the offsets still hold: off by one, or anything.
            offset = rng.choice(length_fields)
            data[offset] = rng.choice(
                [(data[offset] + 1) & 0xFF, (data[offset] - 1) & 0xFF, 0, 0xFF, rng.getrandbits(8)]
            )
        else:
            rng.choice(self.operators)(data)
        for _ in range(rng.choice([0, 0, 1, 2])):
            rng.choice(self.operators)(data)
        return bytes(data)

    def _flip_bits(self, data: bytearray) -> None:
        for _ in range(self.rng.randint(1, 4)):
            if data:
                bit = self.rng.randrange(8 * len(data))
                data[bit >> 3] ^= 1 << (bit & 7)

    def _set_bytes(self, data: bytearray) -> None:
        for _ in range(self.rng.randint(1, 3)):
            if data:
                data[self.rng.randrange(len(data))] = self.rng.getrandbits(8)

    def _insert(self, data: bytearray) -> None:
        position = self.rng.randint(0, len(data))
        data[position:position] = self.rng.randbytes(self.rng.randint(1, 3))

    def _delete(self, data: bytearray) -> None:
        if data:
            position = self.rng.randrange(len(data))
            del data[position : position + self.rng.randint(1, 3)]

    def _truncate(self, data: bytearray) -> None:
        del data[self.rng.randint(0, len(data)) :]

    def _append(self, data: bytearray) -> None:
        data += self.rng.randbytes(self.rng.randint(1, 5))

    def _duplicate(self, data: bytearray) -> None:
        if data:
            start = self.rng.randrange(len(data))
            position = self.rng.randint(0, len(data))
            data[position:position] = data[start : start + self.rng.randint(1, 6)]

    def _splice(self, data: bytearray) -> None:
        other, _ = self.rng.choice(self.corpus)
        data[self.rng.randint(0, len(data)) :] = other[self.rng.randint(0, len(other)) :]

    def _swap_service(self, data: bytearray) -> None:
        if len(data) > 10:
            data[10] = self.rng.choice(ESVS)


@dataclasses.dataclass
class Tally:
    """What the decoders made of the datagrams."""

    accepted: int = 0
    rejected: int = 0
    maps: int = 0
    bad_maps: int = 0
    lists: int = 0
    bad_lists: int = 0
    values: int = 0
    bad_values: int = 0


def _decode_contents(frame: Frame, tally: Tally) -> None:
    """Feed every EDT of an accepted frame to the property map, instance list and value decoders."""
    owner = frame.deoj if frame.esv.is_request else frame.seoj
    for prop in (*frame.properties, *frame.get_properties):
        edt = prop.edt
        try:
            decode_property_map(edt)
            tally.maps += 1
        except FrameError:
            tally.bad_maps += 1
        try:
            decode_instance_list(edt)
            tally.lists += 1
        except FrameError:
            tally.bad_lists += 1
        try:
            decode_value(owner.class_id, prop.epc, edt)
            tally.values += 1
        except PropertyValueError:
            tally.bad_values += 1


def fuzz(datagrams: Iterator[bytes], count: int) -> Tally:
    """Decode `count` datagrams and their contents; any foreign exception fails, with the bytes."""
    tally = Tally()
    for data in itertools.islice(datagrams, count):
        try:
            frame = decode_frame(data)
        except FrameError:
            tally.rejected += 1
            continue
        except Exception as err:
            raise AssertionError(f"decode_frame(bytes.fromhex({data.hex()!r})): {err!r}") from err
        tally.accepted += 1
        assert encode_frame(frame) == data, data.hex()
        try:
            _decode_contents(frame, tally)
        except Exception as err:
            raise AssertionError(f"the contents of {data.hex()}: {err!r}") from err
    return tally


def test_the_mutator_mutates() -> None:
    """Most datagrams differ from every corpus frame, and few repeat: the fuzz is not idle."""
    originals = {encode_frame(frame) for frame in CORPUS}
    sample = list(itertools.islice(Mutator(SEED), 5_000))
    assert sum(data in originals for data in sample) < len(sample) // 20
    assert len(set(sample)) > len(sample) * 0.8  # truncation and OPC=0 make a few alike
    assert sample == list(itertools.islice(Mutator(SEED), 5_000))  # deterministic


def test_a_hundred_thousand_mutated_frames_raise_only_codec_errors(
    record_property: Callable[[str, object], None],
) -> None:
    started = time.perf_counter()
    tally = fuzz(iter(Mutator(SEED)), FRAMES)
    elapsed = time.perf_counter() - started
    assert tally.accepted + tally.rejected == FRAMES
    # Both outcomes in earnest: a broken mutator (or decoder) shows up as all one or the other.
    assert tally.accepted > FRAMES // 50
    assert tally.rejected > FRAMES // 50
    for good, bad in (
        (tally.maps, tally.bad_maps),
        (tally.lists, tally.bad_lists),
        (tally.values, tally.bad_values),
    ):
        assert good > 100
        assert bad > 100
    record_property("frames_per_second", round(FRAMES / elapsed))
    record_property("tally", dataclasses.asdict(tally))


def _accepted(data: bytes) -> bool:
    try:
        decode_frame(data)
    except FrameError:
        return False
    return True


async def test_the_client_keeps_working_through_mutated_datagrams(
    patient_client: EchonetClient, nodes: NodeFactory, port: int
) -> None:
    """The patient client sends each Get once, so every frame it counts is accounted for."""
    client = patient_client
    await nodes(NODE, {AIRCON: dict(AIRCON_VALUES)})
    loop = asyncio.get_running_loop()
    errors: list[dict[str, Any]] = []
    previous_handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    datagrams = list(itertools.islice(Mutator(SEED), UDP_FRAMES))
    tally = fuzz(iter(datagrams), UDP_FRAMES)
    accepted_before = list(itertools.accumulate(map(_accepted, datagrams), initial=0))
    answers = 0  # Get_Res frames the client received since `before`
    answered: list[Frame] = []  # our node's answers to the fuzzer

    async def get_works() -> None:
        nonlocal answers
        reply = await client.get(NODE, AIRCON, [0x80, 0xB3])
        answers += 1
        assert reply.ok
        assert reply.values == {0x80: b"\x30", 0xB3: b"\x1a"}

    try:
        await get_works()
        answers = 0
        before = dataclasses.replace(client.counters)

        def taken(sent: int) -> bool:
            """Whether the client has counted the first `sent` datagrams, and our answers."""
            accepted = accepted_before[sent]
            malformed = client.counters.malformed - before.malformed
            received = client.counters.received - before.received
            return malformed == sent - accepted and received == accepted + answers

        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as fuzzer:
            fuzzer.bind((FUZZER, 0))
            fuzzer.setblocking(False)
            for start in range(0, UDP_FRAMES, BATCH):
                end = min(start + BATCH, UDP_FRAMES)
                for data in datagrams[start:end]:
                    fuzzer.sendto(data, (CLIENT, port))
                # Every datagram is taken, as a frame or as a malformed one, before the next batch.
                await eventually(functools.partial(taken, end))
                while True:  # what our node answered to the fuzzer's requests: well-formed
                    try:
                        answered.append(decode_frame(fuzzer.recv(0x10000)))
                    except BlockingIOError:
                        break
                if start % (10 * BATCH) == 0:
                    await get_works()
        await get_works()
        assert taken(UDP_FRAMES)
    finally:
        loop.set_exception_handler(previous_handler)
    assert not errors, errors[:3]
    assert client.counters.malformed - before.malformed == tally.rejected > 0
    assert client.counters.received - before.received == tally.accepted + answers
    assert tally.accepted > 0
    # Requests to our node profile among the mutants (INF_REQ 0xD5 of the corpus) got answers.
    assert answered
    assert all(frame.seoj in (NODE_PROFILE, CONTROLLER) for frame in answered)
