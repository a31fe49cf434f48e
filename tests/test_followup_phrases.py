"""The evidence shown for a follow-up link: the longest phrases both measures share (loaders/followup.py:
shared_phrases) — greedy from the longest, never overlapping, of characters, letters and digits (quotes and 、
inside only), at least three characters, the five longest returned. Expected values written by hand."""
from loaders.followup import shared_phrases


def test_the_longest_shared_run_is_the_phrase():
    assert shared_phrases("推进区级数据共享平台建设", "推进数据共享平台建设工作") == ["数据共享平台建设"]


def test_phrases_do_not_overlap_and_the_longest_goes_first():
    # 优化营商环境 (6) is taken first; from the second 优化 only 优化营商 (4) is left in b
    assert shared_phrases("优化营商环境优化营商服务", "优化营商环境") == ["优化营商环境", "优化营商"]


def test_quotes_may_be_inside_a_phrase_but_not_at_its_ends():
    assert shared_phrases("打造“一网通办”品牌", "深化“一网通办”改革") == ["一网通办"]
    assert shared_phrases("推进“一网通办”“一网统管”建设", "“一网通办”“一网统管”") == ["一网通办”“一网统管"]


def test_punctuation_ends_a_phrase_and_ties_are_in_character_order():
    assert shared_phrases("加强监管，提升服务", "加强监管提升服务") == ["加强监管", "提升服务"]


def test_at_most_five_the_longest_first():
    text = "一二三，四五六，七八九，十百千，万亿兆，东西南，春夏秋"
    assert shared_phrases(text, text) == ["一二三", "七八九", "万亿兆", "东西南", "十百千"]
    longer = "春夏秋冬，" + text
    assert shared_phrases(longer, longer)[0] == "春夏秋冬"


def test_nothing_shared_or_too_short():
    assert shared_phrases("加强监管", "提升服务") == []
    assert shared_phrases("推进", "推进") == []
