"""Published context and anonymous sharing: a peer never sees an anonymous authority's public
figures beside the network's, since a published figure would name it (identification)."""

from __future__ import annotations

import pytest
import test_access
from test_access import HIDDEN, Anonymous, assert_no_hidden_name

from benchmark import service
from benchmark.access.rights import AccessDenied
from benchmark.definitions import published_catalogue as catalogue
from benchmark.outputs.packs import PackRequest
from benchmark.periods import Period

PERIOD = Period.parse("2026-27 Q2")
# The demo copy where Camden and City of London share anonymously; requested by that name.
anonymous_network = test_access.anonymous


def test_a_peer_cannot_ask_for_an_anonymous_authoritys_context(anonymous_network: Anonymous) -> None:
    for code in HIDDEN:
        with pytest.raises(AccessDenied):
            service.published_context(anonymous_network.db, anonymous_network.peer, code)
        with pytest.raises(AccessDenied):
            service.published_chart_frame(anonymous_network.db, anonymous_network.peer, "cin_disability_count", code)
    context = service.published_context(anonymous_network.db, anonymous_network.camden, "202")
    assert len(context) == len(catalogue.CATALOGUE)


def test_charts_and_reach_leave_anonymous_authorities_out(anonymous_network: Anonymous) -> None:
    frame = service.published_chart_frame(anonymous_network.db, anonymous_network.peer, "cin_disability_count", "204")
    assert_no_hidden_name(frame["geography"], "the published chart")
    assert "Hackney" in set(frame["geography"])
    reach, label = service.reach_vs_cin(anonymous_network.db, anonymous_network.peer, PERIOD)
    assert_no_hidden_name([*reach["la_name"], label], "the reach table")
    assert "2 authority(ies) sharing anonymously are not listed" in label
    everyone, _ = service.reach_vs_cin(anonymous_network.db, anonymous_network.chair, PERIOD)
    assert set(HIDDEN.values()) <= set(everyone["la_name"]), "the chair sees everyone"


def test_pack_context_pages_leave_anonymous_authorities_out(anonymous_network: Anonymous) -> None:
    pack = service.build_pack(anonymous_network.db, anonymous_network.peer, PackRequest(PERIOD))
    assert pack.context_pages
    for page in pack.context_pages:
        assert_no_hidden_name([*page.table.astype(str).to_numpy().ravel(), *page.notes], page.title)
