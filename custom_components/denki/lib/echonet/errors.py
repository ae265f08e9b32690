"""Errors of the ECHONET Lite library."""


class EchonetError(Exception):
    """Base of every error the ECHONET Lite library raises."""


class FrameError(EchonetError):
    """Bytes that are not a well-formed ECHONET Lite frame; the message says why."""
