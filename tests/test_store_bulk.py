"""Bulk loads of quads (policykg/store.py: Store.bulk_load_quads, BulkLoader): batches written while the one
before is loaded on a thread of its own. Every quad arrives, whatever the batch size; a failure while the quads
are being produced, or in the engine, reaches the caller and leaves no thread waiting."""
from __future__ import annotations

import threading

import pyoxigraph as ox
import pytest

from policykg.errors import StoreError
from policykg.store import BulkLoader, Store

G = ox.NamedNode("https://example.org/g")


def _quads(n: int) -> list[ox.Quad]:
    return [ox.Quad(ox.NamedNode(f"https://example.org/s{k}"), ox.NamedNode("https://example.org/p"),
                    ox.Literal(f"第{k}条，“引号”\\反斜杠\n换行"), G) for k in range(n)]


@pytest.mark.parametrize("batch", [1, 200, 10_000_000])
def test_every_quad_arrives_whatever_the_batch(tmp_path, batch):
    store = Store(tmp_path / "s")
    quads = _quads(500)
    store.bulk_load_quads(iter(quads), batch=batch)
    assert set(store._store.quads_for_pattern(None, None, None, None)) == set(quads)


def test_a_failure_while_producing_the_quads_reaches_the_caller(tmp_path):
    store = Store(tmp_path / "s")
    before = threading.active_count()

    def broken():
        yield from _quads(300)
        raise RuntimeError("the producer broke")

    with pytest.raises(RuntimeError, match="the producer broke"):
        store.bulk_load_quads(broken(), batch=100)
    assert threading.active_count() == before  # the loader thread has ended


def test_an_engine_error_is_raised_by_the_next_put_or_by_close(tmp_path):
    store = Store(tmp_path / "s")
    loader = BulkLoader(store)
    loader.put("<https://example.org/s> <https://example.org/p> this is not N-Quads .\n")
    with pytest.raises(StoreError, match="bulk write failed"):
        loader.close()
    assert not loader.thread.is_alive()
