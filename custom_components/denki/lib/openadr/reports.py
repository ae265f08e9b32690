"""OpenADR 3 report objects from the report outbox's records."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

OPTED_OUT_RUNNING = "RUNNING_OPTED_OUT"
OPTED_OUT_IDLE = "IDLE_OPTED_OUT"


def opt_out_record(event_id: str, program_id: str, at: datetime, consuming: bool) -> dict[str, Any]:
    """An outbox record saying the household opted out of an event (see `report_object`).

    OPERATING_STATE values from the 3.1 report payload enumeration
    (enumerations/report-payloads.schema.yaml): RUNNING_OPTED_OUT when the
    home still draws significant power, IDLE_OPTED_OUT when it does not.
    """
    return {
        "at": at.isoformat(),
        "values": {},
        "operating_state": OPTED_OUT_RUNNING if consuming else OPTED_OUT_IDLE,
        "event": event_id,
        "program": program_id,
    }


def report_object(
    outbox: str,
    seq: int,
    record: Mapping[str, Any],
    client_name: str,
    *,
    resource_name: str = "home",
) -> dict[str, Any]:
    """The report (a reportRequest) for one outbox record.

    The record holds `at` (ISO 8601), `values` (power_kw, curtailed_kw),
    `event` and `program`, and optionally `operating_state`. Power is
    reported as DEMAND, and the draw the household would have had without
    curtailing as BASELINE, both in kW; an operating state as OPERATING_STATE
    (report payload enumeration). `reportName` carries the outbox id and
    sequence number, so a VTN can tell a resend after a crash from a new
    report.
    """
    values = record.get("values") or {}
    payloads: list[dict[str, Any]] = []
    descriptors: list[dict[str, Any]] = []
    if "power_kw" in values:
        payloads.append({"type": "DEMAND", "values": [values["power_kw"]]})
        descriptors.append(
            {"objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "DEMAND", "units": "KW"}
        )
        if "curtailed_kw" in values:
            baseline = round(values["power_kw"] + values["curtailed_kw"], 3)
            payloads.append({"type": "BASELINE", "values": [baseline]})
            descriptors.append(
                {
                    "objectType": "REPORT_PAYLOAD_DESCRIPTOR",
                    "payloadType": "BASELINE",
                    "units": "KW",
                }
            )
    state = record.get("operating_state")
    if isinstance(state, str):
        payloads.append({"type": "OPERATING_STATE", "values": [state]})
        descriptors.append(
            {"objectType": "REPORT_PAYLOAD_DESCRIPTOR", "payloadType": "OPERATING_STATE"}
        )
    at = datetime.fromisoformat(record["at"]).astimezone(UTC)
    return {
        "programID": record["program"],
        "eventID": record["event"],
        "clientName": client_name,
        "reportName": f"{outbox}-{seq}",
        "payloadDescriptors": descriptors,
        "resources": [
            {
                "resourceName": resource_name,
                "intervalPeriod": {"start": at.isoformat().replace("+00:00", "Z")},
                "intervals": [{"id": 0, "payloads": payloads}],
            }
        ],
    }
