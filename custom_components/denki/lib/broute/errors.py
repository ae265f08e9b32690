"""Errors of the B-route library, each saying what the user can do about it."""


class DongleError(Exception):
    """Base of every error the Wi-SUN dongle driver raises."""


class DongleDisconnectedError(DongleError):
    """The serial port cannot be opened, or went away (the dongle was unplugged)."""


class PortInUseError(DongleDisconnectedError):
    """Another program (or another Denki) holds the serial port: one session per dongle."""


class DongleTimeoutError(DongleError):
    """The dongle did not finish a command in time."""


class DongleCommandError(DongleError):
    """The dongle refused a command with `FAIL ERxx`."""

    def __init__(self, command: str, code: str) -> None:
        """Keep the command's name (never its arguments) and the error code."""
        super().__init__(f"{command} failed with {code}")
        self.command = command
        self.code = code


class InvalidCredentialsError(ValueError):
    """The B-route ID or password does not have the form the meter requires.

    `field` names which one ("rbid" or "password"); the value is never kept.
    """

    def __init__(self, field: str, message: str) -> None:
        """Say which field is wrong and why."""
        super().__init__(message)
        self.field = field


class MeterNotFoundError(DongleError):
    """No smart meter answered: none in range, or not on the cached channel."""


class AuthenticationError(DongleError):
    """The meter answered but refused the B-route ID and password."""


class SessionLostError(DongleError):
    """The PANA session with the meter ended; `reconnect()` brings it back."""


class PanaRefusedError(SessionLostError):
    """The meter refused PANA, but accepted these credentials before in this link's life.

    A transient refusal (a busy meter, or one still holding the session it
    had with us): the next `ensure()` joins again. Only refusals that persist
    become `AuthenticationError`.
    """


class SendFailedError(DongleTimeoutError):
    """The dongle could not send to the meter (EVENT 21 01), even after retransmitting.

    A kind of timeout for the caller: no answer came, and the link counts it.
    """


class J11ResultError(DongleCommandError):
    """A J11 dongle answered a request with a result other than success.

    `result` is the response result byte (Table 34 as broute-j11 0.1.0 lists
    it, broute_j11/commands.py lines 125-161); `code` is it as "0x0E".
    """

    def __init__(self, command: str, result: int) -> None:
        """Keep the command's name and the result byte; never the request's data."""
        super().__init__(command, f"0x{result:02X}")
        self.result = result
