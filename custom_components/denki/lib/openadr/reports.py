"""OpenADR 3 report objects from the report outbox's records."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any


def report_object(
    outbox: str, seq: int, record: Mapping[str, Any], client_name: str
) -> dict[str, Any]:
    """The report (a reportRequest) for one outbox record.

    The record holds `at` (ISO 8601), `values` (power_kw, curtailed_kw),
    `event` and `program`. Power is reported as DEMAND, and the draw the
    household would have had without curtailing as BASELINE, both in kW.
    `reportName` carries the outbox id and sequence number, so a VTN can
    tell a resend after a crash from a new report.
    """
    values = record["values"]
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
    at = datetime.fromisoformat(record["at"]).astimezone(UTC)
    return {
        "programID": record["program"],
        "eventID": record["event"],
        "clientName": client_name,
        "reportName": f"{outbox}-{seq}",
        "payloadDescriptors": descriptors,
        "resources": [
            {
                "resourceName": "home",
                "intervalPeriod": {"start": at.isoformat().replace("+00:00", "Z")},
                "intervals": [{"id": 0, "payloads": payloads}],
            }
        ],
    }
