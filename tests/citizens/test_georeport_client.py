"""A GeoReport v2 client written by others (PyPI `georeport`, a thin wrapper of the spec's reading calls) against
the Open311 endpoint on 127.0.0.1, in JSON and in XML: what it asks, it can read."""

from __future__ import annotations

import pytest

from dispatch import ops
from tests.citizens.test_open311 import post

georeport = pytest.importorskip("georeport")


def test_a_third_party_client_reads_services_and_requests_in_both_formats(core, server, http, api_key):
    filed = [post(http, api_key, description=d, address_string=a, lat=lat, long=lon).json()[0]["service_request_id"]
             for d, a, lat, lon in (("江面垃圾", "文惠桥下", "24.3260", "109.4150"),
                                    ("岸边漂浮物", "东堤路段", "24.3500", "109.4400"))]  # apart: not duplicates
    core.register_units("system:test", [{"id": "boat-01", "name": "boat-01", "kind": "patrol_boat"}])
    ops.call(core, "incident.assign", {"incident_id": filed[0], "unit_id": "boat-01"}, actor="dispatcher:wang")
    for st in ("accepted", "on_scene", "resolved", "closed"):
        ops.call(core, "incident.transition", {"incident_id": filed[0], "state": st}, actor="dispatcher:wang")
    for fmt in ("json", "xml"):
        client = georeport.GeoReport(server.url + "v2", output_format=fmt)
        services = client.get_service_list()
        assert "floating_garbage" in {s["service_code"] for s in services}, fmt
        definition = client.get_service_definition("floating_garbage")
        codes = definition["attributes"] if fmt == "json" else definition["attributes"]["attribute"]
        assert "photo_location" in {a["code"] for a in codes}, fmt
        both = client.get_service_requests()
        assert sorted(r["service_request_id"] for r in both) == sorted(str(i) for i in filed), fmt
        closed = client.get_service_requests(status="closed")
        one = closed if isinstance(closed, dict) else closed[0]  # XML of one request: one element, not a list
        assert (one["service_request_id"], one["status"], one["address"]) == (str(filed[0]), "closed", "文惠桥下"), fmt
        got = client.get_service_request(str(filed[1]))
        assert (got["status"], got["service_code"], got["address"]) == ("open", "floating_garbage", "东堤路段"), fmt
        assert got["requested_datetime"].endswith("+08:00"), fmt
