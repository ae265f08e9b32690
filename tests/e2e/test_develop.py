"""scripts/develop starts a real Home Assistant, onboarded, with Denki configured against the simulated home."""

import pytest

from .home_api import DevelopHome, login, request, ws

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("develop")]


@pytest.mark.timeout(300)
async def test_develop_serves_an_onboarded_home_with_denki_configured(
    develop: DevelopHome, socket_enabled: None
) -> None:
    base = develop.base
    # Onboarding is complete: the browser goes straight to the login page.
    assert all(step["done"] for step in request(f"{base}/api/onboarding"))

    # The printed user logs in with the printed password.
    token = login(base, develop.username, develop.password)

    # The core configuration is a Japanese home.
    config = request(f"{base}/api/config", token=token)
    assert config["time_zone"] == "Asia/Tokyo"
    assert config["currency"] == "JPY"
    assert config["language"] == "ja"

    # The four kinds of Denki entry are there, loaded, made through their own flows.
    entries = [
        e
        for e in request(f"{base}/api/config/config_entries/entry", token=token)
        if e["domain"] == "denki"
    ]
    assert sorted(e["state"] for e in entries) == ["loaded"] * 4
    assert len(entries) == 4

    # Denki's menu still opens for another entry; the flow is then dropped.
    flow = request(
        f"{base}/api/config/config_entries/flow",
        {"handler": "denki", "show_advanced_options": False},
        token=token,
    )
    assert flow["type"] == "menu"
    assert flow["menu_options"] == ["meter", "meter_hv", "appliances", "aggregator", "savings"]
    request(
        f"{base}/api/config/config_entries/flow/{flow['flow_id']}", token=token, method="DELETE"
    )
    dashboards, registry = await ws(
        base, token, {"type": "lovelace/dashboards/list"}, {"type": "config/entity_registry/list"}
    )

    # The Denki dashboard exists and its cards name only entities that exist.
    assert any(d["url_path"] == "denki-home" for d in dashboards)
    (lovelace,) = await ws(base, token, {"type": "lovelace/config", "url_path": "denki-home"})
    cards = lovelace["views"][0]["cards"]
    assert cards[0]["type"] == "custom:denki-savings-card"
    known = {e["entity_id"] for e in registry}
    named = [
        entity
        for card in cards
        for entity in [card.get("entity"), *card.get("entities", [])]
        if entity is not None
    ]
    assert named
    assert set(named) <= known

    # The banner says how to drive the simulated home.
    assert any(f"{develop.control}" in line for line in develop.output)
