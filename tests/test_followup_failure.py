"""A first build writes each district plan's follow-up graph while the next plans are matched
(loaders/followup.py: link_followups, decide_each). If the matching fails part-way — a worker, the engine, an
interrupt — no follow-up graph may be left behind: a graph cut short still records the city plans it was
computed against, and a later re-build would take it for complete and never match that plan again."""
from __future__ import annotations

import pytest

from helpers import BASE, CORPUS


def test_a_first_build_whose_matching_fails_leaves_no_follow_up_graph(tmp_path, monkeypatch):
    import policykg.loaders.followup as followup
    import policykg.store as store_module
    from policykg.iri import Minter
    from policykg.loaders.build import build
    from policykg.store import Store

    decided = []
    real = followup.decide

    def second_fails(district, city, threshold=None, how=followup.LEXICAL):
        decided.append(district[0].doc if district else None)
        if len(decided) > 1:
            raise RuntimeError("the matching failed")
        return real(district, city, threshold, how)

    monkeypatch.setattr(followup, "decide", second_fails)
    monkeypatch.setattr(store_module, "BULK_BATCH", 1)  # every quad its own load: the first plan's graph is stored
    store = Store(tmp_path / "s")
    with pytest.raises(RuntimeError, match="the matching failed"):
        build([CORPUS], store, BASE, progress=False)
    assert len(decided) == 2  # the first plan was matched (and its graph written) before the second failed
    mint = Minter(BASE)
    graphs = {g.value for g in store._store.named_graphs()}
    assert any(g.startswith(mint.graph("")) for g in graphs)  # the documents are there
    assert not [g for g in graphs if mint.is_followups_graph(g)]
