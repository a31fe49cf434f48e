"""The shipped ontology reference is what the generator makes of the ontology and the bundled corpus."""
from __future__ import annotations

from policykg.ontology.reference import render

from helpers import ROOT


def test_docs_ontology_md_is_up_to_date(reasoned):
    store = reasoned[0]  # reasoned, so eli:has_part and the super-classes have examples too
    shipped = (ROOT / "docs" / "ontology.md").read_text(encoding="utf-8")
    assert shipped == render(store), "docs/ontology.md is stale: run `policykg ontology-doc -o docs/ontology.md` on the corpus store"


def test_every_term_has_a_row_with_labels():
    text = render(None)
    for term in ("`pkg:Measure`", "`pkg:Article`", "`eli:is_part_of`", "`pkg:sourceSpan`", "`pkgdt:action-plan`"):
        assert term in text
