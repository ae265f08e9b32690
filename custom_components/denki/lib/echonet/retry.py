"""How long the client waits for an answer, and how often it asks again.

The one retry policy of the ECHONET Lite client: the first attempt waits
`timeout` seconds, each retransmission waits `backoff` times longer than the
one before (exponential back-off), never more than `max_timeout`.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Timeouts and retransmissions of one request.

    Attributes:
        timeout: Seconds the first attempt waits for an answer.
        attempts: How many times a request is sent in all (1 = no retry).
        backoff: Factor by which each attempt waits longer than the previous.
        max_timeout: Upper bound of a single attempt's wait.
    """

    timeout: float = 3.0
    attempts: int = 3
    backoff: float = 2.0
    max_timeout: float = 20.0

    def __post_init__(self) -> None:
        """Refuse a policy that would never wait or never send."""
        if self.timeout <= 0 or self.max_timeout < self.timeout:
            raise ValueError("timeouts must be positive and max_timeout at least timeout")
        if self.attempts < 1:
            raise ValueError("a request is sent at least once")
        if self.backoff < 1:
            raise ValueError("back-off must not shorten the wait")

    def timeouts(self) -> tuple[float, ...]:
        """The wait of each attempt, in order, e.g. (3.0, 6.0, 12.0)."""
        return tuple(
            min(self.timeout * self.backoff**attempt, self.max_timeout)
            for attempt in range(self.attempts)
        )
