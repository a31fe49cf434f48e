"""Building beyond one machine: parse into N-Quads shards without a store, bulk-load the shards into one.

``policykg build PATHS --emit-nquads DIR [--shard K/N]`` reads, parses, extracts (and, unless ``--no-reason``,
reasons per document) exactly as ``build`` does, but writes what a build would write into files instead of a
store: ``DIR/<name>.nq`` (N-Quads) and ``DIR/<name>.index.jsonl`` (one line per block of that file). ``--shard
K/N`` takes every N-th file of the sorted file list, from the K-th: N machines (or processes) given the same
PATHS and K = 1 … N share the work without talking to each other; the shard is named ``part-K-of-N``.

Blocks: each document as one block (its graph, its entailments, what it adds to the shared graphs, the record
of its graph in ``graph/meta``), with its candidate key (the number of documents of its source, the source's
SHA-256) and its workload share; each source file as one block (its record in ``graph/meta``, the documents it
holds). ``policykg load DIR`` reads every index under DIR, keeps, for each document found in several sources
(a gazette reprinting a plan), the block of its canonical source — the fewest documents, then the smallest
SHA-256, as ``build`` does — and bulk-loads the kept blocks of every shard into an **empty** store, in batches
(memory does not grow with the shards). Then it runs what ``build`` runs at its end over the whole store: the
ontology and authority graphs, citation links, follow-up matching, the coverage and workload summaries. The
shared module of the reasoner (``graph/inferred/shared``, ``…/links``) is left to ``policykg reason``.

The result equals a ``build`` of the same files into an empty store: the document graphs byte for byte once
sorted, whatever the number of shards (``tests/test_shards.py``, two worker processes).
"""
from __future__ import annotations

import datetime
import json
import os
import sys
from pathlib import Path
from typing import Callable, Iterable

from pyoxigraph import Literal, NamedNode, Quad

from policykg import __version__
from policykg.errors import PolicyKGError, StoreError
from policykg.iri import Minter
from policykg.ontology import PKG, PROV, XSD

INDEX_SUFFIX = ".index.jsonl"
_BATCH = 64 * 1024 * 1024  # bytes of N-Quads per bulk load


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` → (K, N), 1 ≤ K ≤ N."""
    try:
        k, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise PolicyKGError(f"--shard takes K/N (for example 1/4), not {text!r}", "--shard", kind="usage")
    if not 1 <= k <= n:
        raise PolicyKGError(f"--shard K/N needs 1 ≤ K ≤ N, not {text!r}", "--shard", kind="usage")
    return k, n


def _quoted(text: str, graph: str) -> str:
    """N-Triples text of one graph as N-Quads."""
    return text.replace(" .\n", f" <{graph}> .\n")


def emit_shards(paths: Iterable[str | os.PathLike], out: str | os.PathLike, base: str, shard: tuple[int, int] = (1, 1),
                jobs: int | None = None, reason: bool = False,
                on_error: Callable[[PolicyKGError], None] | None = None) -> dict:
    """Write the shard ``part-K-of-N`` of ``paths`` into ``out`` (see the module docstring); returns a summary."""
    from .build import _parse_all, _source_quads, collect_paths

    k, n = shard
    mint = Minter(base)
    meta = mint.meta_graph
    mg = NamedNode(meta)
    files, errors = collect_paths(paths)
    files = sorted(files, key=str)[k - 1::n]
    for e in errors:
        if on_error:
            on_error(e)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    name = f"part-{k}-of-{n}"
    data_path, index_path = out / f"{name}.nq", out / f"{name}{INDEX_SUFFIX}"
    tmp_data, tmp_index = data_path.with_suffix(".nq.tmp"), index_path.with_suffix(".tmp")
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    summary = {"shard": name, "files": len(files), "documents": 0, "quads": 0, "errors": [e.as_dict() for e in errors]}
    offset = 0
    with open(tmp_data, "wb") as data, open(tmp_index, "w", encoding="utf-8") as index:
        def block(text: str, record: dict) -> None:
            nonlocal offset
            raw = text.encode("utf-8")
            data.write(raw)
            index.write(json.dumps({**record, "offset": offset, "length": len(raw)}, ensure_ascii=False, sort_keys=True) + "\n")
            offset += len(raw)
            summary["quads"] += text.count("\n")

        for f, p, emitted, err in _parse_all(files, base, jobs or os.cpu_count() or 1, False, reason, False):
            if err is not None:
                exc = PolicyKGError(*err)
                summary["errors"].append(exc.as_dict())
                if on_error:
                    on_error(exc)
                continue
            src = mint.source(p.source.sha256)
            srcn = NamedNode(src)
            source_quads = _source_quads(p, src, str(f), now, mg)
            for doc, em in zip(p.documents, emitted):
                g_iri, d_iri = mint.graph(doc.key), mint.document(doc.key)
                text = _quoted(em.graph, g_iri)
                if reason and em.inferred is not None:
                    text += _quoted(em.inferred, mint.inferred_graph_for(doc.key))
                text += "".join(_quoted(t, g) for g, t in sorted(em.shared.items()))
                gn = NamedNode(g_iri)
                text += "".join(f"{q} .\n" for q in (
                    Quad(gn, NamedNode(PKG + "canonicalSource"), srcn, mg),
                    Quad(gn, NamedNode(PROV + "generatedAtTime"), Literal(now, datatype=NamedNode(XSD + "dateTime")), mg),
                    Quad(gn, NamedNode(PKG + "policykgVersion"), Literal(__version__), mg),
                ))
                block(text, {"kind": "document", "key": doc.key, "count": len(p.documents), "sha": p.source.sha256,
                             "workload": {u: list(c) for u, c in sorted(em.workload.items())}})
                source_quads += [Quad(gn, NamedNode(PROV + "wasDerivedFrom"), srcn, mg),
                                 Quad(srcn, NamedNode(PKG + "containsDocument"), NamedNode(d_iri), mg)]
                summary["documents"] += 1
            block("".join(f"{q} .\n" for q in source_quads), {"kind": "source", "sha": p.source.sha256, "path": str(f)})
    os.replace(tmp_data, data_path)
    os.replace(tmp_index, index_path)
    return summary


def _indexes(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise PolicyKGError("is not a folder of shards (run `policykg build --emit-nquads DIR` first)", str(folder), kind="usage")
    found = sorted(folder.rglob(f"*{INDEX_SUFFIX}"))
    if not found:
        raise PolicyKGError(f"holds no shard (no *{INDEX_SUFFIX} file)", str(folder), kind="usage")
    return found


def load_shards(folder: str | os.PathLike, store, base: str, progress: Callable[[str], None] | None = None,
                optimize: bool = True) -> dict:
    """Bulk-load the shards under ``folder`` into the empty ``store`` and finish the build (module docstring);
    ``optimize``: compact the store at the end (as a first build does)."""
    import time

    from .build import _count, _load_ontology, _optimize, resolve_links, BuildSummary
    from .followup import link_followups
    from .inforce import write_in_force
    from .dates_order import write_dates_order
    from .links_order import write_links_order
    from .order import write_order
    from .summary import WorkloadDelta

    folder = Path(folder)
    indexes = _indexes(folder)
    if not store.is_empty():
        raise StoreError("is not empty: shards are loaded into an empty store (re-build documents with `policykg build`)",
                         str(getattr(store, "path", "")))
    mint = Minter(base)
    blocks: dict[Path, list[tuple[int, int]]] = {}
    best: dict[str, tuple] = {}  # document key → (count, sha, data file, offset, length, workload)
    for index in indexes:
        data = index.with_name(index.name[: -len(INDEX_SUFFIX)] + ".nq")
        if not data.is_file():
            raise PolicyKGError(f"has no data file {data.name} beside it", str(index), kind="usage")
        size = data.stat().st_size
        with open(index, encoding="utf-8") as lines:
            for no, line in enumerate(lines, start=1):
                try:
                    r = json.loads(line)
                    offset, length = int(r["offset"]), int(r["length"])
                    if offset < 0 or length < 0 or offset + length > size:
                        raise ValueError("a block outside its data file")
                    if r["kind"] == "document":
                        cand = (int(r["count"]), str(r["sha"]), data, offset, length, r["workload"])
                        key = str(r["key"])
                        if key not in best or cand[:2] < best[key][:2]:
                            best[key] = cand
                    else:
                        blocks.setdefault(data, []).append((offset, length))
                except (ValueError, KeyError, TypeError) as exc:
                    raise PolicyKGError(f"not a shard index record ({exc})", str(index), place=f"line {no}", kind="usage")
    for count, sha, data, offset, length, _ in best.values():
        blocks.setdefault(data, []).append((offset, length))
    clock = time.perf_counter()
    summary = BuildSummary()
    loaded = 0
    try:
        _load_ontology(store, mint)
        for data in sorted(blocks):
            batch: list[bytes] = []
            size = 0
            with open(data, "rb") as fh:
                for offset, length in sorted(blocks[data]):
                    fh.seek(offset)
                    batch.append(fh.read(length))
                    size += length
                    if size >= _BATCH:
                        _bulk(store, batch, data)
                        batch, size = [], 0
                if batch:
                    _bulk(store, batch, data)
            loaded += 1
            if progress:
                progress(f"loaded {data.name} ({loaded}/{len(blocks)})")
    except PolicyKGError:
        store.clear()  # it was empty: leave nothing half-written
        raise
    summary.seconds["load"] = time.perf_counter() - clock
    clock = time.perf_counter()
    resolve_links(store, mint)
    link_followups(store, mint, changed=None, bulk=True)
    workload = WorkloadDelta()
    workload.fresh = {k: {u: tuple(c) for u, c in v[5].items()} for k, v in best.items()}
    workload.write(store, mint, bulk=True)
    write_order(store, mint, bulk=True)
    write_in_force(store, mint, bulk=True)
    write_dates_order(store, mint, bulk=True)
    write_links_order(store, mint, bulk=True)
    summary.seconds["links+follow-ups"] = time.perf_counter() - clock
    from .build import _flush_with_search_index

    _flush_with_search_index(store, None)  # the search index, whole, with the new generation
    if optimize:
        clock = time.perf_counter()
        _optimize(store)
        summary.seconds["optimize"] = time.perf_counter() - clock
    _count(store, summary, mint)
    out = summary.as_dict()
    out["shards"] = len(indexes)
    return out


def _bulk(store, batch: list[bytes], data: Path) -> None:
    try:
        store.bulk_load_nquads(b"".join(batch).decode("utf-8"))
    except (StoreError, UnicodeDecodeError) as exc:
        raise StoreError(f"could not be loaded ({getattr(exc, 'reason', exc)})", str(data))
