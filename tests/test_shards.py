"""`policykg build --emit-nquads DIR --shard K/N` in two worker processes, then `policykg load DIR`, gives the store
a build of the same files gives (loaders/shards.py); bad shards and misuse are clear errors that leave nothing
half-written."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helpers import BASE, ROOT, run_cli, select

META = f"{BASE}graph/meta"
ONTOLOGY = f"{BASE}graph/ontology"  # its blank nodes get new labels in every build


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A synthetic corpus with gazettes that reprint city plans (a document in two sources)."""
    from bench.generate import generate

    tmp = tmp_path_factory.mktemp("shards")
    truth = generate(90, 5, tmp / "data")
    assert any(d["file"].startswith("gazette/") for d in truth["docs"])
    return tmp / "data" / "corpus"


def _meta(store) -> set:
    return {(q.subject.value, q.predicate.value, q.object.value) for q in store.quads(META)
            if not q.predicate.value.endswith(("generatedAtTime", "filePath"))}


def test_two_worker_processes_then_load_equal_one_build(corpus, tmp_path):
    from policykg.store import Store

    shards = tmp_path / "nq"
    workers = [subprocess.Popen([sys.executable, "-m", "policykg.cli", "build", str(corpus), "--emit-nquads", str(shards),
                                 "--shard", f"{k}/2", "--no-reason", "--jobs", "1", "--json"],
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k in (1, 2)]
    outs = [w.communicate(timeout=600) for w in workers]
    assert [w.returncode for w in workers] == [0, 0], [o[1][-2000:] for o in outs]
    emitted = [json.loads(o[0]) for o in outs]
    assert {e["shard"] for e in emitted} == {"part-1-of-2", "part-2-of-2"} and all(e["files"] for e in emitted)
    loaded = run_cli("load", str(shards), "--store", str(tmp_path / "loaded"), "--json", timeout=600)
    assert loaded.returncode == 0, loaded.stderr
    assert run_cli("build", str(corpus), "--store", str(tmp_path / "built"), "--no-reason", timeout=600).returncode == 0
    a, b = Store(tmp_path / "loaded", read_only=True), Store(tmp_path / "built", read_only=True)
    graphs = set(a.named_graphs())
    assert graphs == set(b.named_graphs())
    assert any("/graph/followups/" in g for g in graphs) and any("/graph/summary/" in g for g in graphs)
    for g in sorted(graphs - {META, ONTOLOGY}):
        assert a.dump_sorted([g]) == b.dump_sorted([g]), g
    assert _meta(a) == _meta(b)
    assert len(a) == len(b) == json.loads(loaded.stdout)["triples"]
    # a document two sources hold is there once, from its canonical source (as build chooses it)
    twice = select(a, "SELECT ?g (COUNT(?s) AS ?n) WHERE { GRAPH <%s> { ?g prov:wasDerivedFrom ?s } } GROUP BY ?g HAVING (COUNT(?s) > 1)" % META)
    assert twice


def test_load_refuses_a_store_that_is_not_empty_and_bad_shards(corpus, tmp_path):
    shards = tmp_path / "nq"
    r = run_cli("build", str(corpus / "city"), "--emit-nquads", str(shards), "--no-reason")
    assert r.returncode == 0, r.stderr
    assert run_cli("build", str(ROOT / "corpus" / "shanghai-2024"), "--store", str(tmp_path / "full"), "--no-reason").returncode == 0
    r = run_cli("load", str(shards), "--store", str(tmp_path / "full"))
    assert r.returncode == 2 and "is not empty" in r.stderr
    # a damaged block: the error names the shard, and the store is left empty
    data = shards / "part-1-of-1.nq"
    text = data.read_bytes()
    cut = text.index(b" .\n", len(text) // 2)
    data.write_bytes(text[:cut] + b" <not an iri .\n" + text[cut + 3:])
    r = run_cli("load", str(shards), "--store", str(tmp_path / "s"))
    assert r.returncode == 2 and "part-1-of-1.nq" in r.stderr, r.stderr
    from policykg.store import Store

    assert Store(tmp_path / "s").is_empty()
    (shards / "part-1-of-1.index.jsonl").write_text('{"kind": "document"}\n', encoding="utf-8")
    r = run_cli("load", str(shards), "--store", str(tmp_path / "s2"))
    assert r.returncode == 2 and "line 1" in r.stderr and "index.jsonl" in r.stderr
    r = run_cli("load", str(tmp_path / "nothing-here"), "--store", str(tmp_path / "s3"))
    assert r.returncode == 2 and ("no shard" in r.stderr or "not a folder" in r.stderr)
    for bad in ("0/2", "3/2", "x"):
        r = run_cli("build", str(corpus / "city"), "--emit-nquads", str(tmp_path / "o"), "--shard", bad)
        assert r.returncode == 2 and "--shard" in r.stderr
