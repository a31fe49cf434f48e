"""Same inputs, same graph — byte for byte once sorted — whatever the order of files or builds."""
from __future__ import annotations

import shutil

from policykg.iri import Minter
from policykg.loaders.build import build
from policykg.store import Store

from helpers import BASE, CORPUS, FILES, select


def data_graphs(store: Store) -> list[str]:
    mint = Minter(BASE)
    return [g for g in store.named_graphs() if mint.doc_key_of_graph(g) is not None or g == mint.agencies_graph]


def test_two_builds_give_byte_identical_graphs(tmp_path, built):
    store, _ = built
    other = Store(tmp_path / "again")
    build([CORPUS], other, BASE, progress=False)
    assert data_graphs(other) == data_graphs(store)
    assert other.dump_sorted(data_graphs(other)) == store.dump_sorted(data_graphs(store))


def test_file_order_and_separate_builds_do_not_matter(tmp_path, built):
    """Building the gazette first, then the others one by one, gives the same graphs as one build."""
    store, _ = built
    piecemeal = Store(tmp_path / "piecemeal")
    for key in ["003", "004", "000", "002", "001"]:
        build([FILES[key]], piecemeal, BASE, progress=False)
    assert piecemeal.dump_sorted(data_graphs(piecemeal)) == store.dump_sorted(data_graphs(store))


def test_rebuilding_one_file_changes_nothing_else(tmp_path):
    s = Store(tmp_path / "s")
    build([CORPUS], s, BASE, progress=False)
    graphs = data_graphs(s)
    before = {g: s.dump_sorted([g]) for g in graphs}
    summary = build([FILES["002"]], s, BASE, progress=False)
    assert summary.errors == []
    after = {g: s.dump_sorted([g]) for g in data_graphs(s)}
    assert after == before


def test_a_changed_file_replaces_its_documents_graph(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    target = folder / "jiading.txt"
    shutil.copy(FILES["004"], target)
    s = Store(tmp_path / "s")
    build([folder], s, BASE, progress=False)
    plan = BASE + "doc/嘉定区坚持对标改革持续打造国际一流营商环境行动方案"
    count = lambda: len(select(s, f"SELECT ?m WHERE {{ ?m a pkg:Measure ; pkg:inDocument <{plan}> }}"))
    n_before = count()
    # drop measure 24 (the last numbered item) from the file and build again
    text = target.read_text(encoding="utf-8")
    target.write_text(text[: text.index("24. 加强宣传推介")], encoding="utf-8")
    build([target], s, BASE, progress=False)
    assert count() < n_before
    rows = select(s, f"SELECT ?i WHERE {{ ?i a pkg:Item ; pkg:inDocument <{plan}> }}")
    assert len(rows) == 23
    # the metadata graph records only the new content for that path
    rows = select(s, f"""SELECT ?src WHERE {{ GRAPH <{BASE}graph/meta> {{ ?src pkg:filePath "{target}" }} }}""")
    assert len(rows) == 1


def test_a_file_whose_document_disappears_drops_its_graph(tmp_path):
    f = tmp_path / "doc.txt"
    shutil.copy(FILES["001"], f)
    s = Store(tmp_path / "s")
    build([f], s, BASE, progress=False)
    assert len(select(s, "SELECT ?d WHERE { ?d a pkg:Document }")) == 1
    f.write_text("上海市徐汇区另一个行动方案\n一、总体目标\n全面推进改革。\n", encoding="utf-8")
    build([f], s, BASE, progress=False)
    titles = [r["t"] for r in select(s, "SELECT ?t WHERE { ?d a pkg:Document ; dct:title ?t }")]
    assert titles == ["上海市徐汇区另一个行动方案"]
