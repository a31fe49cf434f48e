"""bench/real.py: copies of a corpus under distinct identities hold as many times its documents, copy 0 is the
corpus byte for byte, and a copy keeps each file's encoding. The CI runs this on the bundled corpus and small
files written here; the real corpus (../shared, absent in the CI) is measured by hand: docs/benchmarks-real.md."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys

from helpers import BASE, CORPUS, ROOT, select

# What the bundled corpus holds, read in corpus/README.md: each file's documents, by number where they have one.
# 003 prints 沪府办发〔2024〕1号 and its plan again (the same documents as 000).
BUNDLED = {
    "000": ["沪府办发〔2024〕1号", "city plan: 上海市坚持对标改革 持续打造国际一流营商环境行动方案"],
    "001": ["Xuhui 2023 action plan (no notice, no number)"],
    "002": ["杨府发〔2024〕3号", "Yangpu implementation plan"],
    "003": ["上海市人民政府令第9号", "regulation: 上海市森林管理规定", "沪府规〔2024〕1号", "沪府发〔2024〕1号",
            "FTZ implementation plan", "沪府办发〔2024〕1号", "city plan: 上海市坚持对标改革 持续打造国际一流营商环境行动方案",
            "沪府办发〔2024〕2号", "“一网通办” action plan 2024–2026", "interpretation of the forest regulation",
            "interpretation of the allowance notice"],
    "004": ["嘉府办发〔2024〕2号", "Jiading action plan"],
}
DOCUMENTS = {d for docs in BUNDLED.values() for d in docs}
NUMBERS = {d for d in DOCUMENTS if d.endswith("号")}
# copy 1 renumbers them N → N + 1000 (bench/real.py's rule)
RENUMBERED = {"沪府办发〔2024〕1001号", "杨府发〔2024〕1003号", "上海市人民政府令第1009号", "沪府规〔2024〕1001号",
              "沪府发〔2024〕1001号", "沪府办发〔2024〕1002号", "嘉府办发〔2024〕1002号"}


def _documents(store) -> list[dict]:
    return select(store, "SELECT ?d ?title ?number WHERE { ?d a pkg:Document ; dct:title ?title "
                         "OPTIONAL { ?d eli:id_local ?number } }")


def test_two_copies_of_the_bundled_corpus_hold_twice_its_documents(tmp_path):
    from policykg.loaders.build import build
    from policykg.store import Store

    out = tmp_path / "copies"
    r = subprocess.run([sys.executable, "-m", "bench.real", "replicate", str(CORPUS), "--copies", "2", "--out", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    manifest = json.loads((out / "replicas.json").read_text(encoding="utf-8"))
    assert manifest["check"]["1"]["keys shared with copy 0"] == [] and manifest["check"]["1"]["files parsed differently"] == []
    for f in CORPUS.iterdir():  # copy 0 is the corpus byte for byte; copy 1 differs in every file
        assert (out / "copy-00" / f.name).read_bytes() == f.read_bytes()
        assert (out / "copy-01" / f.name).read_bytes() != f.read_bytes()

    one = Store(tmp_path / "one")
    s1 = build([out / "copy-00"], one, BASE, progress=False)
    two = Store(tmp_path / "two")
    s2 = build([out / "copy-00", out / "copy-01"], two, BASE, progress=False)
    assert not s1.errors and not s2.errors
    docs1, docs2 = _documents(one), _documents(two)
    assert len({d["d"] for d in docs1}) == len(DOCUMENTS) == 16
    assert len({d["d"] for d in docs2}) == 2 * len(DOCUMENTS)

    numbers1 = {d["number"] for d in docs1 if d["number"]}
    numbers2 = {d["number"] for d in docs2 if d["number"]}
    assert numbers1 == NUMBERS
    assert numbers2 == NUMBERS | RENUMBERED  # copy 1's numbers: the same documents, numbers of their own

    titles1 = {d["title"] for d in docs1}
    copy1 = {d["title"] for d in docs2} - titles1
    assert len(titles1) == len(copy1) == 16  # no title of copy 1 is one of copy 0's
    # each is a title of copy 0 with copy 1's serial in it (in the title it names, for a notice issuing a plan
    # or a 解读), or a decree's, which is its number
    assert all("（一）" in t or t in RENUMBERED for t in copy1)
    back = {re.sub(r"第(\d+)号$", lambda m: f"第{int(m[1]) - 1000}号", t.replace("（一）", "")) for t in copy1}
    assert back == titles1

GB_NOTICE = """上海市人民政府办公厅文件
沪府办发〔2024〕5号
上海市人民政府办公厅关于印发《上海市绿色出行示范工作方案》的通知
各区人民政府，市政府各委、办、局：
《上海市绿色出行示范工作方案》已经市政府同意，现印发给你们，请认真按照执行。
上海市人民政府办公厅
2024年3月13日
上海市绿色出行示范工作方案
一、总体要求
（一）加强组织领导。各区人民政府要建立工作机制，明确责任分工，抓好落实。
（二）完善公共交通网络。市交通委要优化公交线路，提升换乘效率。
"""
GB_PAGE = """<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>上海市黄浦区停车管理办法_黄浦区人民政府</title><meta name="ArticleTitle" content="上海市黄浦区停车管理办法"></head>
<body><div class="nav"><a href="/">首页</a></div><div class="article"><h1>上海市黄浦区停车管理办法</h1>
<p>文号：黄府规〔2023〕7号</p>
<p>第一条　为了加强本区停车管理，改善交通秩序，根据有关法律法规，结合本区实际，制定本办法。</p>
<p>第二条　本办法适用于本区行政区域内停车设施的规划、建设、使用和管理。区交通委负责本办法的组织实施。</p>
<p>第三条　本办法自2023年5月1日起施行。</p></div></body></html>
"""


def test_copies_are_deterministic_and_keep_each_files_encoding(tmp_path):
    from bench.real import replicate

    src = tmp_path / "src"
    (src / "pages").mkdir(parents=True)
    (src / "notice.txt").write_bytes(GB_NOTICE.encode("gb18030"))
    (src / "pages" / "huangpu.html").write_bytes(GB_PAGE.encode("gbk"))
    (src / "pages" / "huangpu.json").write_text(json.dumps({"发文字号": "黄府规〔2023〕7号"}, ensure_ascii=False), encoding="utf-8")
    (src / "sources.tsv").write_text("file\tsha256\tbytes\ttitle\tnote\n"
                                     f"notice.txt\t{hashlib.sha256((src / 'notice.txt').read_bytes()).hexdigest()}\t0\t"
                                     "上海市绿色出行示范工作方案\t\n", encoding="utf-8")
    a = replicate(src, tmp_path / "a", 3)
    b = replicate(src, tmp_path / "b", 3)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files) and a == b
    for f in ("notice.txt", "pages/huangpu.html", "pages/huangpu.json", "sources.tsv"):
        assert (tmp_path / "a" / "copy-00" / f).read_bytes() == (src / f).read_bytes()

    two = tmp_path / "a" / "copy-02"
    raw = (two / "notice.txt").read_bytes()
    text = raw.decode("gb18030")  # still GB18030, not UTF-8
    try:
        raw.decode("utf-8")
        raise AssertionError("copy 2 of a GB18030 file was written as UTF-8")
    except UnicodeDecodeError:
        pass
    assert "沪府办发〔2024〕2005号" in text and "〔2024〕5号" not in text
    assert text.count("上海市绿色出行示范工作方案（二）") == 3  # the issued plan, in the notice's title, its text, its heading
    page = (two / "pages" / "huangpu.html").read_bytes().decode("gbk")
    assert "黄府规〔2023〕2007号" in page and 'charset=gbk' in page
    assert "<title>上海市黄浦区停车管理办法（二）_黄浦区人民政府</title>" in page
    assert 'content="上海市黄浦区停车管理办法（二）"' in page and "<h1>上海市黄浦区停车管理办法（二）</h1>" in page
    assert json.loads((two / "pages" / "huangpu.json").read_text(encoding="utf-8")) == {"发文字号": "黄府规〔2023〕2007号"}
    row = (two / "sources.tsv").read_text(encoding="utf-8").splitlines()[1].split("\t")
    assert row[1] == hashlib.sha256(raw).hexdigest() and row[2] == str(len(raw))
    assert row[3] == "上海市绿色出行示范工作方案（二）" and "copy 2" in row[4]
    assert a["check"]["2"]["keys shared with copy 0"] == [] and a["check"]["2"]["files parsed differently"] == []
