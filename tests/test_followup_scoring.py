"""The lexical signal of follow-up matching (loaders/followup.py: _cosines): the cosine of the L2-normalised
TF-IDF vectors of the two texts' character bigrams (Chinese characters, letters and digits only), the IDF
ln((n + 1) / (df + 1)) + 1 taken over the district and city texts compared together. Expected values are
worked out from that definition by hand, or by a plain implementation of it written here — not read off
the code's output."""
import math
from collections import Counter

import pytest

from loaders.followup import _cosines


def test_a_bigram_one_side_has_counts_in_its_norm():
    # 甲乙丙 / 甲乙丁: bigrams 甲乙 乙丙 / 甲乙 乙丁; n = 2, df(甲乙) = 2 → idf 1, df(乙丙) = df(乙丁) = 1 → idf 1 + ln 1.5.
    # Both vectors have norm² 1 + (1 + ln 1.5)²; their product is 1 (甲乙 only)
    expected = 1 / (1 + (1 + math.log(1.5)) ** 2)
    assert _cosines(["甲乙丙"], ["甲乙丁"])[0, 0] == pytest.approx(expected, abs=1e-12)


def test_the_same_text_is_one_and_nothing_shared_is_zero():
    cos = _cosines(["推进数据共享", "加强监管"], ["推进数据共享", "提升服务"])
    assert cos.shape == (2, 2)
    assert cos[0, 0] == pytest.approx(1.0, abs=1e-12)
    assert cos[0, 1] == 0.0 and cos[1, 0] == 0.0 and cos[1, 1] == 0.0


def test_punctuation_and_spaces_are_not_part_of_a_bigram():
    # 数据，共享 keeps 数据共享: the same bigrams as 数据共享
    assert _cosines(["数据，共享"], ["数据 共享"])[0, 0] == pytest.approx(1.0, abs=1e-12)


def _plain(a: list[str], b: list[str]) -> list[list[float]]:
    """The definition, written out: one dictionary per text."""
    def grams(t: str) -> Counter:
        kept = "".join(c for c in t if "\u3400" <= c <= "\u9fff" or c.isascii() and c.isalnum())
        return Counter(kept[i:i + 2] for i in range(len(kept) - 1))

    counts = [grams(t) for t in a + b]
    n = len(counts)
    df = Counter(g for c in counts for g in c)
    vecs = []
    for c in counts:
        v = {g: k * (math.log((n + 1) / (df[g] + 1)) + 1) for g, k in c.items()}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({g: x / norm for g, x in v.items()})
    return [[sum(x * vecs[len(a) + j].get(g, 0.0) for g, x in vecs[i].items()) for j in range(len(b))]
            for i in range(len(a))]


def test_measures_of_a_district_and_a_city_plan_as_the_definition_says():
    district = ["推进区级数据共享平台建设，完善政务数据目录", "深化“一网通办”改革，提升企业办事便利度",
                "加强事中事后监管", "优化营商环境2.0版"]
    city = ["推进数据共享平台建设", "深化“一网通办”改革", "优化营商环境，打造国际一流营商环境", "加强监管执法",
            "完善政务数据目录和共享机制", "提升企业和群众办事便利度"]
    got = _cosines(district, city)
    want = _plain(district, city)
    assert got.shape == (len(district), len(city))
    for i in range(len(district)):
        for j in range(len(city)):
            assert got[i, j] == pytest.approx(want[i][j], abs=1e-12), (district[i], city[j])


def test_matching_on_workers_answers_what_one_pair_at_a_time_answers_in_order(built):
    """decide_each forks workers for eight pairs or more, each taking a few at a time; the answers must be those
    of decide, pair by pair, in the order of the pairs (the district plans of the bundled corpus against the city
    plans, each pair twice, with the city measures reversed the second time)."""
    from loaders.followup import _plans, decide, decide_each, measures_of

    store, _ = built
    plans = _plans(store)
    city = [p for p in plans if p.level == "city" and not p.district]
    districts = [p for p in plans if p.district]
    assert city and districts
    pairs = []
    for dp in districts:
        for cp in city:
            dm, cm = measures_of(store, dp.iri), measures_of(store, cp.iri)
            pairs += [(dm, cm), (dm, cm[::-1])]
    assert len(pairs) >= 8
    one_by_one = [decide(d, c) for d, c in pairs]
    assert any(one_by_one)
    assert list(decide_each(pairs, jobs=2)) == one_by_one
