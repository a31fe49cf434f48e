"""The benchmark tools: the synthetic corpus generator is deterministic and its ground truth is what it wrote;
a small corpus built by the real loaders into the real store meets the quality the benchmarks report; the
benchmark command runs end to end at a small size (the CI smoke test of ``scripts/bench``)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench.evaluate import compare
from bench.generate import generate
from bench.material import harvest
from helpers import BASE, ROOT


@pytest.fixture(scope="module")
def material():
    return harvest()


def _files(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_corpus_other_seed_other_corpus(tmp_path, material):
    a = generate(80, 7, tmp_path / "a", material)
    b = generate(80, 7, tmp_path / "b", material)
    c = generate(80, 8, tmp_path / "c", material)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")
    assert a == b
    assert _files(tmp_path / "c") != _files(tmp_path / "a")
    assert a["documents"] == c["documents"] == 80 == len(a["docs"])


def test_ground_truth_describes_what_was_written(tmp_path, material):
    truth = generate(120, 2, tmp_path, material)
    docs = {d["title"]: d for d in truth["docs"]}
    assert len(docs) == len(truth["docs"])  # titles are unique
    numbers = [d["number"] for d in truth["docs"] if d["number"]]
    assert len(numbers) == len(set(numbers))  # numbers too
    kinds = set(truth["kinds"])
    assert {"city-plan", "district-plan", "regulation", "decree", "notice"} <= kinds
    city_measures = {(m["doc"], m["text"]) for m in truth["measures"] if docs[m["doc"]]["kind"] == "city-plan"}
    follow = [m for m in truth["measures"] if "followsUp" in m]
    assert follow and all((m["followsUp"]["doc"], m["followsUp"]["text"]) in city_measures for m in follow)
    # district plans cite the plan they follow, and reword most of what they take up
    assert all(docs[m["doc"]]["kind"] == "district-plan" for m in follow)
    reworded = sum(m["text"] != m["followsUp"]["text"].replace("本市", "本区").replace("全市", "全区").replace("市级", "区级")
                   for m in follow)
    assert reworded / len(follow) > 0.5
    # every measure is printed in its file (plain-text files; gazettes are checked by the build below)
    for m in truth["measures"]:
        d = docs[m["doc"]]
        path = tmp_path / "corpus" / d["file"]
        if d["file"].startswith(("city/", "district/")) and path.suffix == ".txt":
            raw = path.read_bytes()
            text = raw.decode("utf-8") if raw.decode("utf-8", errors="replace").count("\ufffd") == 0 else raw.decode("gb18030")
            assert m["text"] in text, (d["file"], m["text"])
    # units are printed after FTZ-style items
    assert any(m.get("units") for m in truth["measures"])


@pytest.mark.slow
def test_small_synthetic_corpus_builds_to_its_ground_truth(tmp_path, material):
    from policykg.loaders.build import build
    from policykg.store import Store

    truth = generate(150, 5, tmp_path / "data", material)
    store = Store(tmp_path / "store")
    summary = build([tmp_path / "data" / "corpus"], store, BASE, progress=False)
    assert not summary.errors
    scores = compare(store, truth)
    assert scores["documents"].recall == 1.0
    assert scores["measures"].precision >= 0.99 and scores["measures"].recall >= 0.99
    assert scores["responsible-units"].precision >= 0.95 and scores["responsible-units"].recall >= 0.95
    assert scores["follow-ups"].precision >= 0.9 and scores["follow-ups"].recall >= 0.9
    assert scores["follow-ups"].expected > 500


@pytest.mark.slow
def test_benchmark_command_runs_at_a_small_size(tmp_path):
    out = tmp_path / "benchmarks.md"
    r = subprocess.run(
        [sys.executable, "-m", "bench.run", "--sizes", "40", "--reps", "1", "--load-seconds", "1", "--clients", "2",
         "--budget", "60", "--rdflib-max", "40", "--whole-max", "0", "--validate-max", "0", "--reason-max", "40",
         "--work", str(tmp_path / "work"), "--out", str(out), "--notes", str(tmp_path / "none.md")],
        cwd=ROOT, capture_output=True, text=True, timeout=480,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    for heading in ("## Corpus and build", "## Quality against the generator's ground truth",
                    "## Incremental re-build of one document", "## Queries at 40 documents",
                    "## Server under concurrent clients", "## Validation (`policykg validate`, SHACL) and reasoning (`policykg reason`, OWL 2 RL rules over the whole store)"):
        assert heading in text
    results = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    size = results["sizes"][0]
    assert size["build"]["documents"] == 40 and size["build"]["errors"] == 0
    assert {label.split(" (")[0] for label in size["queries"]} == {p.stem for p in (ROOT / "queries").glob("*.rq")}
    # a user's parameters: one district and one city plan for the audit queries, a first page for lists
    labels = set(size["queries"])
    assert any(l.startswith("measures-without-followup (district=杨浦, plan=") for l in labels)
    assert "documents (limit=100)" in labels
    assert all(v["duplicates"] == 0 for v in size["queries"].values())  # no named query repeats a row
    assert size["audit"]["median"] > 0 and size["build"]["quads_per_provision"] > 5
    from bench import virtuoso

    if virtuoso.available():  # the same answers from Virtuoso over the same quads
        assert size["virtuoso"]["load_s"] > 0
        assert all(v["virtuoso"]["rows"] == v["rows"] for v in size["queries"].values()), \
            {k: (v["rows"], v["virtuoso"]) for k, v in size["queries"].items() if v["virtuoso"].get("rows") != v["rows"]}
    # what the size measured, saved phase by phase: the last phase was the reasoning, and it holds the same build
    partial = json.loads((tmp_path / "work" / "40-1.partial.json").read_text(encoding="utf-8"))
    assert partial["finished"] == "reason" and partial["build"] == size["build"] and "finished" not in size
    assert all(v["embedded"]["median"] > 0 and "median" in v["http"] and "median" in v["oxigraph-server"]
               for v in size["queries"].values())
    assert size["server"]["lookup"]["requests"] > 0 and size["server"]["lookup"]["errors"] == 0
    assert size["incremental"]["written"] >= 1
    assert size["reason"]["rc"] == 0 and "skipped" in size["validate"]
