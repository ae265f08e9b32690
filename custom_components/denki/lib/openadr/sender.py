"""Sending the report outbox to an OpenADR 3 VTN: refusals set aside, outages retried.

A 4xx (other than 401) from the VTN is its verdict on that report: the
report is set aside in the outbox's refused record with the VTN's reason
(logged once per distinct reason) and the next one goes. A 401 means the
credentials: `OpenadrAuthError` is raised and the reports wait. Network
errors, 5xx, 408 and 429 stop the round; the next round is not tried
before a back-off (doubling from `backoff_start` to `backoff_max`) has
passed, so a caller may call `send_pending` as often as it likes.

Outbox file I/O runs in a thread (`asyncio.to_thread`).
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
import logging
import time

from ..dr.reports import Outbox
from .client import (
    Openadr3Client,
    OpenadrAuthError,
    OpenadrConnectionError,
    OpenadrError,
    OpenadrRefusedError,
)
from .reports import report_object

_LOGGER = logging.getLogger(__name__)

BACKOFF_START = 10.0
BACKOFF_MAX = 600.0


@dataclass(slots=True)
class SendResult:
    """What one round did."""

    sent: list[int] = field(default_factory=list)
    refused: list[tuple[int, int, str]] = field(default_factory=list)
    """(sequence number, HTTP status, the VTN's reason) of each report set aside."""
    error: str | None = None
    """Why the round stopped early (the VTN unreachable or failing); None if it did not."""
    deferred: bool = False
    """Nothing tried: still backing off after an earlier failure."""
    pending: int = 0
    """Reports still queued after the round."""


class ReportSender:
    """Posts an outbox's reports in order; never lets one refused report block the rest."""

    def __init__(
        self,
        client: Openadr3Client,
        outbox: Outbox,
        client_name: str,
        *,
        backoff_start: float = BACKOFF_START,
        backoff_max: float = BACKOFF_MAX,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Prepare; nothing is sent until `send_pending`."""
        self._client = client
        self._outbox = outbox
        self._client_name = client_name
        self._backoff_start = backoff_start
        self._backoff_max = backoff_max
        self._clock = clock
        self._delay = 0.0
        self._retry_at = 0.0
        self._lock = asyncio.Lock()
        self._reasons_logged: set[str] = set()
        self.last_error: str | None = None

    @property
    def retry_in(self) -> float:
        """Seconds until the next round may be tried (0 when it may be now)."""
        return max(0.0, self._retry_at - self._clock())

    async def send_pending(self, *, force: bool = False) -> SendResult:
        """Send what waits, oldest first; `force` ignores the back-off (e.g. after a good poll).

        Raises only `OpenadrAuthError` (401): the credentials, not the reports.
        """
        async with self._lock:
            result = SendResult()
            if not force and self._clock() < self._retry_at:
                result.deferred = True
                result.pending = len(self._outbox)
                return result
            outbox = self._outbox
            for seq, record in await asyncio.to_thread(outbox.pending):
                try:
                    report = report_object(outbox.outbox_id, seq, record, self._client_name)
                except (KeyError, TypeError, ValueError) as err:
                    # A record this version cannot turn into a report: a verdict of our own.
                    await self._set_aside(result, seq, 0, f"unreadable record: {err!r}")
                    continue
                try:
                    await self._client.post_report(report)
                except OpenadrRefusedError as err:  # 403 included: a verdict on this report
                    await self._set_aside(result, seq, err.status, err.reason)
                    continue
                except OpenadrAuthError:
                    raise
                except OpenadrConnectionError as err:
                    self._back_off(result, str(err))
                    break
                except OpenadrError as err:
                    self._back_off(result, str(err))
                    break
                await asyncio.to_thread(outbox.ack, seq)
                result.sent.append(seq)
            else:
                self._delay = 0.0
                self._retry_at = 0.0
                self.last_error = None
            result.pending = len(outbox)
            return result

    async def _set_aside(self, result: SendResult, seq: int, status: int, reason: str) -> None:
        await asyncio.to_thread(self._outbox.set_aside, seq, reason, status=status or None)
        result.refused.append((seq, status, reason))
        if reason not in self._reasons_logged:
            self._reasons_logged.add(reason)
            _LOGGER.warning(
                "The VTN refused report %s (%s: %s); set aside, sending the next ones",
                seq,
                status,
                reason,
            )
        else:
            _LOGGER.debug("The VTN refused report %s (%s: %s)", seq, status, reason)

    def _back_off(self, result: SendResult, error: str) -> None:
        self._delay = (
            self._backoff_start if self._delay == 0 else min(self._delay * 2, self._backoff_max)
        )
        self._retry_at = self._clock() + self._delay
        if self.last_error is None:
            _LOGGER.info("Reports wait for the VTN (%s); next try in %.0f s", error, self._delay)
        self.last_error = error
        result.error = error
