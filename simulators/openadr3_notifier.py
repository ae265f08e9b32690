"""The OpenADR 3.1 MQTT notifier binding for the simulated VTN (tests and scripts/develop).

`add_notifier_routes` adds GET /notifiers, GET /vens and the VEN-scoped
topic endpoint to an app made by `openadr3_vtn.make_app` (behind its token
check); `VtnPublisher` publishes event notifications (objectType, operation,
object) to the VEN's topics on a broker, as a VTN does when an event is
created, updated or deleted.
"""

from datetime import UTC, datetime
import json
from typing import Any, Self

from aiohttp import web
import aiomqtt

VEN_ID = "ven-1"


def event_topics(ven_id: str) -> dict[str, str]:
    """The VEN-scoped event topics, as the binding's examples name them."""
    base = f"events/vens/{ven_id}"
    return {
        "CREATE": f"{base}/create",
        "UPDATE": f"{base}/update",
        "DELETE": f"{base}/delete",
        "ALL": f"{base}/+",
    }


def add_notifier_routes(
    app: web.Application,
    broker_uri: str,
    *,
    ven_id: str = VEN_ID,
    ven_name: str = "ven-client",
    authentication: dict[str, Any] | None = None,
) -> None:
    """Offer an MQTT notifier at `broker_uri` to the VEN `ven_id`."""
    stamp = datetime(2026, 1, 1, tzinfo=UTC).isoformat().replace("+00:00", "Z")

    async def notifiers(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "WEBHOOK": True,
                "MQTT": {
                    "URIS": [broker_uri],
                    "serialization": "JSON",
                    "authentication": authentication or {"method": "ANONYMOUS"},
                },
            }
        )

    async def vens(request: web.Request) -> web.Response:
        return web.json_response(
            [
                {
                    "id": ven_id,
                    "createdDateTime": stamp,
                    "modificationDateTime": stamp,
                    # objectMetadata says VEN, BlVenRequest says BL_VEN_REQUEST: the 3.1
                    # definition contradicts itself here; VEN is what metadata means.
                    "objectType": "VEN",
                    "clientID": ven_name,
                    "venName": ven_name,
                }
            ]
        )

    async def topics(request: web.Request) -> web.Response:
        if request.match_info["ven_id"] != ven_id:
            return web.json_response({"title": "forbidden", "status": 403}, status=403)
        return web.json_response({"topics": event_topics(ven_id)})

    app.router.add_get("/notifiers", notifiers)
    app.router.add_get("/vens", vens)
    app.router.add_get("/notifiers/mqtt/topics/vens/{ven_id}/events", topics)


class VtnPublisher:
    """The VTN's publishing client on its broker."""

    def __init__(self, host: str, port: int, ven_id: str = VEN_ID) -> None:
        """Prepare; use as an async context manager."""
        self._client = aiomqtt.Client(host, port, identifier="simulated-vtn")
        self._topics = event_topics(ven_id)

    async def __aenter__(self) -> Self:
        """Connect."""
        await self._client.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Disconnect."""
        await self._client.__aexit__(None, None, None)

    async def publish(self, operation: str, event: dict[str, Any]) -> None:
        """Notify the VEN of an operation on an event (QoS 1, not retained)."""
        payload = {"objectType": "EVENT", "operation": operation, "object": event}
        await self._client.publish(self._topics[operation], json.dumps(payload), qos=1)

    async def publish_raw_topic(self, topic: str, payload: bytes) -> None:
        """Publish on another topic of the same broker (QoS 1)."""
        await self._client.publish(topic, payload, qos=1)

    async def publish_raw(self, operation: str, payload: bytes) -> None:
        """Publish anything on an operation's topic (for malformed-message drills)."""
        await self._client.publish(self._topics[operation], payload, qos=1)
