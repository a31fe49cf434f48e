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
    quads = _quads(60)
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


class _Gated(Store):
    """The real store, whose bulk load waits for ``go`` first (to hold a batch in the loader's hands)."""

    def __init__(self, path, go: threading.Event) -> None:
        super().__init__(path)
        self.go = go

    def bulk_load_nquads(self, text: str) -> None:
        self.go.wait(10)
        super().bulk_load_nquads(text)


def test_abandon_loads_no_batch_still_queued(tmp_path):
    go = threading.Event()
    store = _Gated(tmp_path / "s", go)
    loader = BulkLoader(store)
    first, second = _quads(2)
    loader.put(f"{first} .\n")  # taken by the thread, which waits
    loader.put(f"{second} .\n")  # queued
    stopping = threading.Thread(target=loader.abandon)
    stopping.start()
    go.set()
    stopping.join(10)
    assert not stopping.is_alive() and not loader.thread.is_alive()
    assert set(store._store.quads_for_pattern(None, None, None, None)) == {first}


class _Panicking(Store):
    """The real store, whose engine fails the way a Rust panic reaches Python (a BaseException, not an Exception)."""

    def bulk_load_nquads(self, text: str) -> None:
        raise BaseException("engine panicked")


def test_an_engine_panic_is_a_store_error_and_nothing_waits_for_ever(tmp_path):
    loader = BulkLoader(_Panicking(tmp_path / "s"))
    raised: list[BaseException] = []

    def write():  # three batches, then close: with a dead loader thread the third put would wait for ever
        try:
            try:
                for _ in range(3):
                    loader.put("a batch\n")
            finally:
                loader.close()
        except BaseException as exc:  # noqa: BLE001 — what the caller would see
            raised.append(exc)

    caller = threading.Thread(target=write, daemon=True)
    caller.start()
    caller.join(10)
    assert not caller.is_alive(), "the caller waits for ever"
    assert len(raised) == 1 and isinstance(raised[0], StoreError) and "engine panicked" in str(raised[0])
    assert not loader.thread.is_alive()
