r"""Command line: ask an OpenADR 3 VTN what this VEN would see, and print it as JSON.

    python -m custom_components.denki.lib.openadr probe --url URL --client-id ID \\
        --secret SECRET [--token-url URL] [--scope S] [--program ID] [--insecure]

`probe` prints how the token was obtained (token URL and where it came
from, form body or HTTP Basic), this VEN's ven object, the notifiers (and
the MQTT topics Denki would subscribe to), the programs, and the events
this VEN would act on, with their names and intervals; the events the VTN
sent that the VEN ignores (another program, other targets) or cannot read
are listed with why. The secret and the token are never printed. Exit
status: 0 on success, 1 when the VTN cannot be asked or refuses, 2 on bad
arguments.
"""

import argparse
import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
import json
import re
import ssl
import sys
from typing import Any

import aiohttp

from ..dr import DrEvent
from .client import Openadr3Client, OpenadrAuthError, OpenadrError
from .filters import ven_targets
from .notifier import mqtt_binding

MASK = "***"
SECRET_KEYS = frozenset({"clientKey", "client_key", "password", "access_token", "client_secret"})


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m custom_components.denki.lib.openadr")
    commands = parser.add_subparsers(dest="command", required=True)
    probe = commands.add_parser("probe", help="print what this VEN would see and act on")
    probe.add_argument("--url", required=True, help="the VTN's base URL (…/openadr3/3.1.0)")
    probe.add_argument(
        "--client-id", default="", help="the VEN's OAuth 2 client ID (none: a public VTN)"
    )
    probe.add_argument("--secret", default="", help="the VEN's OAuth 2 client secret")
    probe.add_argument("--token-url", help="the token endpoint (default: GET /auth/server)")
    probe.add_argument("--scope", help="the scope to ask the token for")
    probe.add_argument("--program", help="the program's id or name (default: every program)")
    probe.add_argument(
        "--insecure", action="store_true", help="do not verify the VTN's TLS certificate"
    )
    return parser


def masked(value: Any, secret: str) -> Any:
    """`value` with secret-looking keys and every occurrence of `secret` masked."""
    if isinstance(value, dict):
        return {
            key: MASK if key in SECRET_KEYS and item else masked(item, secret)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked(item, secret) for item in value]
    if isinstance(value, str) and secret:
        # The secret where it stands as a word of its own (not inside another word).
        return re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", MASK, value)
    return value


def event_summary(event: DrEvent) -> dict[str, Any]:
    """An event as the probe prints it: names and intervals (start, end, payloads)."""
    return {
        "id": event.event_id,
        "name": event.name,
        "program_id": event.program_id,
        "priority": event.priority,
        "intervals": [
            {
                "id": interval.interval_id,
                "start": interval.start.isoformat(),
                "end": interval.end.isoformat(),
                "payloads": {name: list(values) for name, values in interval.payloads.items()},
            }
            for interval in event.intervals
        ],
    }


class ProbeError(Exception):
    """Something the probe found wrong that is not an error of the VTN's API."""


async def probe(args: argparse.Namespace) -> dict[str, Any]:
    """Ask the VTN; the JSON-ready report."""
    context: ssl.SSLContext | None = None
    if args.insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    async with aiohttp.ClientSession() as session:
        client = Openadr3Client(
            session,
            args.url,
            args.client_id,
            args.secret,
            token_url=args.token_url,
            scope=args.scope,
            ssl_context=context,
        )
        await client.access_token()
        if client.token_info is None and not client.anonymous:  # pragma: no cover
            raise ProbeError("no token information")
        ven = await client.ven()
        targets = ven_targets(ven)
        programs = await client.programs()
        program_id: str | None = None
        if args.program:
            program_id = await client.program_id(args.program)
            if program_id is None:
                seen = [p.get("programName") or p.get("id") for p in programs]
                raise ProbeError(f"program {args.program!r} is not one this VEN sees: {seen}")
        notifiers = await client.notifiers()
        binding = await mqtt_binding(client, program_id)
        result = await client.events(datetime.now(UTC), program_id, ven_targets=targets)
        return {
            "vtn": args.url,
            "client_id": args.client_id,
            "client_secret": MASK if args.secret else None,
            "token": None if client.token_info is None else client.token_info.as_dict(),
            "ven": None
            if ven is None
            else {"id": ven.get("id"), "venName": ven.get("venName"), "targets": targets},
            "notifiers": notifiers,
            "mqtt": None
            if binding is None
            else {
                "host": binding.host,
                "port": binding.port,
                "tls": binding.tls,
                "authentication": binding.method,
                "username": binding.username,
                "topics": list(binding.topics),
                "topics_from": list(binding.sources),
            },
            "programs": [
                {"id": p.get("id"), "programName": p.get("programName")} for p in programs
            ],
            "program": None if not args.program else {"given": args.program, "id": program_id},
            "events": [event_summary(event) for event in result.events],
            "ignored_events": result.ignored,
            "unreadable_events": result.refused,
        }


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; 0 on success, 1 when the VTN cannot be asked, 2 on bad arguments."""
    args = _parser().parse_args(argv)
    try:
        report = asyncio.run(probe(args))
    except OpenadrAuthError as err:
        sys.stderr.write(
            f"error: the VTN refused the credentials: {masked(str(err), args.secret)}\n"
        )
        return 1
    except (OpenadrError, ProbeError) as err:
        sys.stderr.write(f"error: {masked(str(err), args.secret)}\n")
        return 1
    except (aiohttp.InvalidURL, ValueError) as err:
        sys.stderr.write(f"error: {masked(str(err), args.secret)}\n")
        return 2
    sys.stdout.write(json.dumps(masked(report, args.secret), ensure_ascii=False, indent=2) + "\n")
    return 0
