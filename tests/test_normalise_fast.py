"""The fast path of line normalisation (loaders/normalise.py: a line with no format, private-use or markdown bold
characters is translated in one step) gives exactly what the character-by-character path gives."""
import sys
import unicodedata

from loaders import normalise as N
from loaders.read import read_file

from helpers import CORPUS


def test_the_format_characters_listed_are_unicodes_category_cf():
    listed = {c for c in range(sys.maxunicode + 1) if N._SPECIAL.fullmatch(chr(c)) and not (
        0xE000 <= c <= 0xF8FF or c >= 0xF0000)}
    assert listed == {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}


def _both(text: str, start: int, end: int):
    fast = N._chars_of_line(text, start, end)
    slow = N._chars_of_line(text, start, end, bytearray(len(text)))  # a mask (of nothing) takes the slow path
    return fast[:2], slow[:2]


def test_fast_and_slow_paths_agree_on_every_line_of_the_bundled_corpus():
    lines = 0
    for path in sorted(CORPUS.iterdir()):
        text = read_file(path).text
        start = 0
        for line in text.split("\n"):
            fast, slow = _both(text, start, start + len(line))
            assert fast == slow, (path.name, line)
            start += len(line) + 1
            lines += 1
    assert lines > 1000


def test_what_the_fast_path_leaves_to_the_slow_one():
    for line in ["全角ＡＢＣ１２３＋（一）«方案»", "零宽\u200b字符", "私用\ue001区", "**加粗**标题", "〔2024〕1号［附件］"]:
        fast, slow = _both(line, 0, len(line))
        assert fast == slow
    assert "".join(N._chars_of_line("ＡＢ１«x»", 0, 6)[0]) == "AB1《x》"
    assert "".join(N._chars_of_line("**粗**", 0, 5)[0]) == "粗"
