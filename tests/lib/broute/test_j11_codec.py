"""Denki's J11 frames and commands, byte for byte against broute-j11 0.1.0 (PyPI, MIT).

broute_j11 was written by someone else from ROHM's specification; where the
two disagree, broute_j11 is taken to be right.
"""

from ipaddress import IPv6Address

from broute_j11 import codec, commands
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.denki.lib.broute import j11

RBID = "00112233445566778899AABBCCDDEEFF"
PASSWORD = "0123456789AB"
MAC = bytes.fromhex("C0F9450040123456")
METER = IPv6Address("fe80::c2f9:4500:4012:3456")


def test_the_unique_codes_and_sizes_are_broute_j11s() -> None:
    assert j11.REQUEST_UNIQUE_CODE == codec.REQUEST_UNIQUE_CODE
    assert j11.RESPONSE_UNIQUE_CODE == codec.RESPONSE_UNIQUE_CODE
    assert j11.HEADER_SIZE == codec.HEADER_SIZE
    assert j11.MAX_FRAME_SIZE == codec.MAX_FRAME_SIZE
    assert {c.name: int(c) for c in j11.Command} == {c.name: int(c) for c in commands.CommandCode}
    assert {c.name: int(c) for c in j11.Notification} == {
        c.name: int(c) for c in commands.NotificationCode
    }


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        (j11.version_request(), commands.version_request()),
        (j11.reset_request(), commands.reset_request()),
        (j11.start_route_b_request(), commands.start_route_b_request()),
        (j11.start_pana_request(), commands.start_pana_request()),
        (j11.terminate_pana_request(), commands.terminate_pana_request()),
        (j11.open_udp_port_request(), commands.open_udp_port_request()),
        (j11.open_udp_port_request(0x02CC), commands.open_udp_port_request(0x02CC)),
        (j11.credentials_request(RBID, PASSWORD), commands.set_credentials_request(RBID, PASSWORD)),
        (
            j11.active_scan_request(6, pairing=j11.pairing_id(RBID)),
            commands.active_scan_request(duration=6, auth_id=RBID),
        ),
        (j11.active_scan_request(1), commands.active_scan_request(duration=1)),
        (
            j11.active_scan_request(14, channel_mask=0x40),
            commands.active_scan_request(duration=14, channel_mask=0x40),
        ),
        (
            j11.transmit_request(METER, b"\x10\x81\x00\x01"),
            commands.transmit_data_request(METER, b"\x10\x81\x00\x01"),
        ),
    ],
    ids=lambda value: value[4:6].hex(),
)
def test_requests_are_broute_j11s_byte_for_byte(ours: bytes, theirs: bytes) -> None:
    assert ours == theirs
    assert j11.decode_frame(ours) == j11.decode_frame(theirs)


@pytest.mark.parametrize("channel", range(j11.MIN_CHANNEL, j11.MAX_CHANNEL + 1))
def test_initial_settings_for_every_channel(channel: int) -> None:
    assert j11.initial_settings_request(channel) == commands.initial_settings_request(channel)


def test_out_of_range_requests_are_refused_alike() -> None:
    for ours, theirs in (
        (
            lambda: j11.initial_settings_request(0x21),
            lambda: commands.initial_settings_request(0x21),
        ),
        (lambda: j11.active_scan_request(15), lambda: commands.active_scan_request(duration=15)),
        (
            lambda: j11.transmit_request(METER, b""),
            lambda: commands.transmit_data_request(METER, b""),
        ),
    ):
        with pytest.raises(ValueError, match=r"\d"):
            ours()
        with pytest.raises(ValueError, match=r"\d"):
            theirs()


def theirs(raw: bytes) -> codec.Frame:
    return codec.decode_frame(raw)


def test_broute_j11_reads_what_the_simulator_writes() -> None:
    version = commands.parse_version_response(
        theirs(j11.version_response(j11.J11Version(0x0004, 1, 2, 3)))
    )
    assert (version.firmware_id, str(version)) == (0x0004, "1.2.3")
    started = commands.parse_route_b_start_response(
        theirs(j11.route_b_started_response(j11.RouteBStarted(6, 0x8888, MAC, -60)))
    )
    assert (started.channel, started.pan_id, started.mac_address, started.rssi) == (
        6,
        0x8888,
        MAC,
        -60,
    )
    assert started.address == j11.link_local(MAC) == METER
    scan = commands.parse_active_scan_notification(
        theirs(j11.scan_result_notification(j11.ScanResult(6, (j11.Beacon(MAC, 0x8888, -70),))))
    )
    assert scan.responded
    assert scan.channel == 6
    assert [(b.mac_address, b.pan_id, b.rssi) for b in scan.beacons] == [(MAC, 0x8888, -70)]
    empty = commands.parse_active_scan_notification(
        theirs(j11.scan_result_notification(j11.ScanResult(5)))
    )
    assert (empty.responded, empty.channel, empty.beacons) == (False, 5, ())
    datagram = commands.parse_data_reception_notification(
        theirs(
            j11.datagram_notification(
                j11.Datagram(METER, 3610, 3610, 0x8888, False, True, -55, b"\x10\x81payload")
            )
        )
    )
    assert (datagram.source, datagram.source_port, datagram.destination_port) == (
        METER,
        3610,
        3610,
    )
    assert (datagram.source_pan_id, datagram.multicast, datagram.encrypted, datagram.rssi) == (
        0x8888,
        False,
        True,
        -55,
    )
    assert datagram.payload == b"\x10\x81payload"
    for result in (j11.PANA_SUCCEEDED, j11.PANA_FAILED, j11.PANA_NO_RESPONSE):
        pana = commands.parse_pana_result_notification(
            theirs(j11.pana_result_notification(result, MAC))
        )
        assert (int(pana.result), pana.mac_address) == (result, MAC)
    status = commands.parse_connection_status_notification(
        theirs(
            j11.connection_status_notification(
                j11.ConnectionStatus(j11.STATUS_PANA_DISCONNECTED, MAC, -80)
            )
        )
    )
    assert status.disconnected
    assert (status.mac_address, status.rssi) == (MAC, -80)
    for queued, tx in ((False, 0), (False, 5), (True, 0)):
        sent = commands.parse_transmit_data_response(
            theirs(j11.transmitted_response(j11.Transmitted(queued, tx)))
        )
        assert (sent.queued, sent.transmission_result) == (queued, tx)
    startup = theirs(j11.startup_notification())
    assert startup.command_code == commands.NotificationCode.STARTUP_COMPLETED
    assert startup.is_event


def test_a_failed_route_b_start_carries_the_result_only() -> None:
    raw = j11.result_response(j11.Command.START_ROUTE_B, j11.RESULT_MAC_CONNECTION_FAILED)
    with pytest.raises(commands.CommandFailedError) as theirs_err:
        commands.parse_route_b_start_response(theirs(raw))
    assert theirs_err.value.result == 0x0E
    with pytest.raises(j11.J11CommandError) as ours_err:
        j11.parse_route_b_started(j11.decode_frame(raw))
    assert (ours_err.value.command, ours_err.value.result) == (j11.Command.START_ROUTE_B, 0x0E)


def test_denki_reads_what_broute_j11_encodes() -> None:
    """The same data, framed by broute_j11, parsed by Denki's parsers."""

    def frame(code: int, data: bytes) -> j11.J11Frame:
        return j11.decode_frame(codec.Frame(command_code=code, data=data).encode())

    version = j11.parse_version(frame(0x206B, bytes.fromhex("01 0004 01 02 00000003")))
    assert (version.firmware_id, str(version)) == (4, "1.2.3")
    reception = bytes(METER.packed) + bytes.fromhex("0E1A 0E1A 8888 00 02 C9 0003") + b"abc"
    datagram = j11.parse_datagram(frame(0x6018, reception))
    assert (datagram.source, datagram.payload, datagram.rssi, datagram.encrypted) == (
        METER,
        b"abc",
        0xC9 - 256,
        True,
    )
    with pytest.raises(j11.J11FrameError):
        j11.parse_datagram(frame(0x6018, reception + b"x"))
    with pytest.raises(commands.FrameFormatError):
        commands.parse_data_reception_notification(
            codec.Frame(command_code=0x6018, data=reception + b"x")
        )


def corrupt(raw: bytes, at: int) -> bytes:
    broken = bytearray(raw)
    broken[at] ^= 0x01
    return bytes(broken)


@pytest.mark.parametrize(
    ("at", "error"), [(8, "header"), (9, "header"), (10, "data"), (12, "data")]
)
def test_checksum_errors_are_found_alike(at: int, error: str) -> None:
    raw = corrupt(j11.transmit_request(METER, b"\x10\x81\x00\x01"), at)
    with pytest.raises(codec.ChecksumError, match=error):
        codec.decode_frame(raw)
    with pytest.raises(j11.J11ChecksumError, match=error):
        j11.decode_frame(raw)


def test_format_errors_are_found_alike() -> None:
    good = j11.version_request()
    for raw in (good[:-1], good + b"\x00", b"\x00" * 12, good[:4] + b"\x00\x6b\x00\x00" + good[8:]):
        with pytest.raises(codec.ProtocolError):
            codec.decode_frame(raw)
        with pytest.raises(j11.J11FrameError):
            j11.decode_frame(raw)


def reassemble_both(chunks: list[bytes]) -> tuple[list[j11.J11Frame], j11.J11StreamDecoder]:
    ours = j11.J11StreamDecoder()
    reference = codec.FrameReassembler()
    found: list[j11.J11Frame] = []
    expected: list[codec.Frame] = []
    for chunk in chunks:
        found += ours.feed(chunk)
        expected += reference.feed(chunk)
    assert [(f.command, f.data, f.unique_code) for f in found] == [
        (f.command_code, f.data, f.unique_code) for f in expected
    ]
    stats = reference.stats
    assert (ours.frames, ours.discarded_bytes, ours.checksum_errors, ours.format_errors) == (
        stats.frames,
        stats.discarded_bytes,
        stats.checksum_errors,
        stats.format_errors,
    )
    return found, ours


STREAM = (
    b"SKVER\r\n\x00\xff"
    + j11.startup_notification()
    + corrupt(j11.version_response(j11.J11Version(4, 1, 2, 3)), 9)
    + b"\xd0\xf9"  # half a unique code
    + j11.version_response(j11.J11Version(4, 1, 2, 3))
    + corrupt(j11.datagram_notification(j11.Datagram(METER, 1, 2, 3, False, True, -1, b"x")), 14)
    + j11.pana_result_notification(j11.PANA_SUCCEEDED, MAC)
)


def test_the_stream_decoder_resynchronises_as_broute_j11_does() -> None:
    found, ours = reassemble_both([STREAM])
    assert [f.command for f in found] == [0x6019, 0x206B, 0x6028]
    assert ours.checksum_errors >= 2
    assert ours.discarded_bytes > 0


@pytest.mark.parametrize("size", [1, 2, 3, 5, 11, 12, 13, 64])
def test_the_stream_decoder_survives_any_cut(size: int) -> None:
    chunks = [STREAM[i : i + size] for i in range(0, len(STREAM), size)]
    found, _ = reassemble_both(chunks)
    assert [f.command for f in found] == [0x6019, 0x206B, 0x6028]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=30),
            st.sampled_from(
                [
                    j11.version_request(),
                    j11.startup_notification(),
                    j11.pana_result_notification(1, MAC),
                    corrupt(j11.startup_notification(), 11),
                    j11.REQUEST_UNIQUE_CODE.to_bytes(4),
                    j11.RESPONSE_UNIQUE_CODE.to_bytes(4) + b"\x60\x19\xff\xff",
                ]
            ),
        ),
        max_size=12,
    )
)
def test_the_stream_decoder_never_raises_and_agrees(chunks: list[bytes]) -> None:
    reassemble_both(chunks)
