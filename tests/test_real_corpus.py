"""The real development corpus (../shared/corpus/china-real: 300 local regulations from seven provinces in a
markdown collection, 44 Guangzhou portal pages, 30 gov.cn pages with JSON sidecars), built whole through the
real CLI into a real store, with invariants an independent count gives:

* every data file builds, with no error; the collection's index (sources.tsv) and the JSON sidecars are not
  documents;
* one document per file, except the files named in MULTI (each read by hand: a notice and the document it
  issues, a decree and the regulation it promulgates);
* no title holds markup, page chrome or a legislative history;
* every regulation's article, chapter and section counts equal a count of its heading lines in the raw file
  (the corpus numbers articles without gaps, so the last article heading's number is the count; the damaged
  headings 「第七十五 条」 are counted too), and each article sits under the chapter whose heading precedes it;
* every document has a type, and every gov.cn document has the number and date its information table prints
  (the sidecar's ``page_info_from_html_column``, never its shifted ``wiritten_time``).

Skipped when ../shared is absent (a clone without the shared folder beside it).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from helpers import ROOT, run_cli, select

REAL = ROOT.parent / "shared" / "corpus" / "china-real"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/corpus/china-real is not beside the repository")

CN = "〇零一二两三四五六七八九十百千"
#: files that hold more than one document, read by hand (file → number of documents)
MULTI = {
    "gov-cn/r07_国办发〔2018〕128号.html": 2,  # notice + 「无废城市」建设试点工作方案
    "gov-cn/r08_国办发〔2019〕2号.html": 2,  # notice + 国家组织药品集中采购和使用试点方案
    "gov-cn/r18_国办发〔2018〕124号.html": 2,  # notice + …转制为企业的规定
    "gov-cn/r20_国办发〔1996〕2号.html": 2,  # 转发 notice + the forwarded 地震局 document
    "gov-cn/r32_国发〔2018〕41号.html": 2,  # notice + 个人所得税专项附加扣除暂行办法
    "gov-cn/r33_国令第707号.html": 2,  # decree 707 + 个人所得税法实施条例
    "gov-cn/r23_国办函〔2004〕80号.html": 2,  # 复函 + its attachment 1, a ministry's 关于…的报告
    "gov-cn/r41_国办函〔2005〕57号.html": 2,  # 函 + 国家粮食应急预案
    "gov-cn/r47_国发〔2004〕18号.html": 2,  # notice + 国务院工作规则
    "gov-cn/r58_国令第706号.html": 2,  # decree 706 + 专利代理条例
    "gov-cn/r55_国函〔2018〕144号.html": 2,  # 关于同意建立…制度的批复 + the 制度 it approves, attached
    "portal-pages/05_幼儿园招生方案_2026.html": 2,  # notice + 2026年…幼儿园招生工作方案
    "portal-pages/11_公共租赁住房保障办法_穗府办规2024-13号.html": 2,  # notice + 公共租赁住房管理办法
    "portal-pages/17_天河港澳青年办法_穗天科工信规字2023-1号.html": 2,  # notice + the 实施办法 (no heading of its own)
    "portal-pages/18_广州就业见习基地管理办法_穗人社规字2019-6号.html": 2,  # notice + 就业见习基地管理办法
    "portal-pages/27b_残疾人辅助器具适配补贴办法_穗残联.html": 2,  # notice + 辅助器具适配工作管理办法
    "portal-pages/29_广州市临时救助实施细则_穗府办规2021-19号.html": 2,  # notice + 临时救助实施细则
    "portal-pages/32_长期护理保险试行办法_穗医保规字2024-1号.html": 2,  # notice + 长期护理保险试行办法
}
CHROME = re.compile(
    r"#|<!--|-->|INFO|返回顶部|关闭窗口|扫一扫|门户网站|政府网|首页|当前位置|所在的位置|无障碍|网站|header|分享到|"
    r"\d{4}年\d{1,2}月\d{1,2}日.*(?:通过|修正|修订|批准)|\s|===|<|>"
)


def _cn(num: str) -> int:
    from policykg.loaders.patterns import cn_to_int

    return cn_to_int(num)


def heading_counts(path: Path) -> dict:
    """An independent count from the raw markdown: chapter/section heading lines, the last article heading's
    number, and for each chapter the number of the first article heading after it."""
    chapters = sections = 0
    last_article = 0
    firsts: list[int | None] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if re.match(rf"^#+\s*第[{CN}\d]+章", s):
            chapters += 1
            firsts.append(None)
        elif re.match(rf"^#+\s*第[{CN}\d]+节", s):
            sections += 1
        for m in re.finditer(rf"(?:^|[。；]\s?)第(?P<n>[{CN}\d]+)\s?条", s):
            n = _cn(m["n"])
            if n == last_article + 1:
                last_article = n
                if firsts and firsts[-1] is None:
                    firsts[-1] = n
    return {"chapters": chapters, "sections": sections, "articles": last_article, "firsts": firsts}


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    from policykg.store import Store

    path = tmp_path_factory.mktemp("real")
    done = run_cli("build", str(REAL), "--store", str(path / "store"), "--no-reason", "--json", "--no-progress",
                   timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    store = Store(path / "store")
    rows = select(store, """
        PREFIX pkg: <https://policykg.org/ontology#> PREFIX dct: <http://purl.org/dc/terms/>
        PREFIX eli: <http://data.europa.eu/eli/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?doc ?title ?type ?number ?date ?src WHERE {
          ?doc a pkg:Document ; dct:title ?title ; pkg:documentType ?t ; prov:wasDerivedFrom ?src .
          BIND(STRAFTER(STR(?t), "#") AS ?type)
          OPTIONAL { ?doc eli:id_local ?number } OPTIONAL { ?doc eli:date_document ?date } }""")
    files = select(store, """
        PREFIX pkg: <https://policykg.org/ontology#> PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?src ?path WHERE { GRAPH ?g { ?src pkg:filePath ?path } }""")
    return summary, rows, files, store


def _rel(path: str) -> str:
    return str(Path(path).resolve().relative_to(REAL.resolve()))


#: files with no document in them, refused with a per-file error (the corpus README says what each is)
REFUSED = {
    # a PDF's failed text extraction: only ===PAGE n=== markers
    "portal-pages/01_招生细则_原文.txt": "only page markers",
    # a portal list page (目录): links and dates, no body text
    "portal-pages/20b_广州劳动仲裁服务指南_目录.html": "almost no body text",
}


def test_every_data_file_builds_and_only_data_files(real):
    summary, _, _, _ = real
    refused = {_rel(e["source"]): e["message"] for e in summary["errors"]}
    assert sorted(refused) == sorted(REFUSED)
    for rel, why in REFUSED.items():
        assert rel in refused[rel] and why in refused[rel], refused[rel]  # names the file and says what was wrong
    expected = sorted(str(p.relative_to(REAL)) for p in REAL.rglob("*")
                      if p.is_file() and p.suffix not in (".json", ".tsv") and p.name != "README.md")
    assert len(expected) == 374
    assert sorted(_rel(f["path"]) for f in summary["files"]) == expected
    assert all(not f["documents"] for f in summary["files"] if _rel(f["path"]) in REFUSED)


def test_one_document_per_file_except_the_named_ones(real):
    summary, rows, _, _ = real
    per_file = {_rel(f["path"]): len(f["documents"]) for f in summary["files"]}
    several = {f: n for f, n in per_file.items() if n != 1 and f not in REFUSED}
    assert several == MULTI


def test_no_title_holds_markup_chrome_or_history(real):
    _, rows, _, _ = real
    bad = sorted(r["title"] for r in rows if CHROME.search(r["title"]))
    assert bad == []


def test_every_document_has_a_type(real):
    _, rows, _, _ = real
    assert all(r["type"] for r in rows)


@pytest.mark.parametrize("province", ["beijing", "chongqing", "guangdong", "henan", "shandong", "shanghai", "zhejiang"])
def test_regulation_structure_equals_the_heading_lines(real, province):
    from policykg.loaders.parse import parse_source
    from policykg.loaders.read import read_file

    wrong = []
    for path in sorted((REAL / "laws" / province).glob("*.md")):
        expected = heading_counts(path)
        [doc] = parse_source(read_file(path)).documents
        provs = list(doc.walk())
        got = {
            "chapters": sum(p.kind == "chapter" for p in provs),
            "sections": sum(p.kind == "division" for p in provs),
            "articles": sum(p.kind == "article" for p in provs),
            "firsts": [next((c.ordinal for c in p.walk() if c.kind == "article"), None)
                       for p in provs if p.kind == "chapter"],
        }
        if got != expected:
            wrong.append((path.name, got, expected))
        # every article number once, in order
        nums = [p.ordinal for p in provs if p.kind == "article"]
        if nums != list(range(1, len(nums) + 1)):
            wrong.append((path.name, "article order", nums[:5]))
    assert wrong == [], "\n".join(map(str, wrong))


def test_gov_cn_documents_carry_their_information_table(real):
    from policykg.loaders.patterns import parse_date

    summary, rows, files, _ = real
    by_src = {}
    for f in files:
        by_src[f["src"]] = _rel(f["path"])
    first_doc = {}
    for f in summary["files"]:
        rel = _rel(f["path"])
        if rel.startswith("gov-cn/"):
            first_doc[rel] = f
    checked = 0
    for side in sorted((REAL / "gov-cn").glob("*.json")):
        info = json.loads(side.read_text(encoding="utf-8"))["page_info_from_html_column"]
        html = side.with_suffix(".html")
        rel = str(html.relative_to(REAL))
        mine = [r for r in rows if by_src.get(r["src"]) == rel]
        assert mine, rel
        number = re.sub(r"\s", "", info.get("发文字号") or "")
        date = parse_date(info.get("成文日期") or "")
        # the file's first document (the one the table describes) has that number and date
        hit = [r for r in mine if (not number or _same_number(r["number"], number)) and (not date or r["date"] == date)]
        assert hit, (rel, number, date, [(r["title"], r["number"], r["date"]) for r in mine])
        checked += 1
    assert checked == 30


def _same_number(mine: str | None, printed: str) -> bool:
    """国令第707号 (the table's short form) is 中华人民共和国国务院令第707号."""
    if mine is None:
        return False
    if mine == printed:
        return True
    m = re.match(r"^(?P<p>.+?)令第(?P<n>\d+)号$", printed)
    return bool(m) and mine.endswith(f"令第{m['n']}号") and m["p"].rstrip("国") in mine


def test_portal_pages_carry_their_information_table(real):
    """A portal page that prints an information table (成文日期 / 发文字号 / 文号): its first document has that date
    and number — read here from the page with its tags stripped, independently of the extractor."""
    from policykg.loaders.patterns import parse_date

    _, rows, files, _ = real
    by_src = {f["src"]: _rel(f["path"]) for f in files}
    checked = 0
    for page in sorted((REAL / "portal-pages").glob("*.html")):
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8", errors="replace")))
        date = re.search(r"成文日期[：:]\s*(\d{4}-\d{2}-\d{2}|\d{4}年\d{1,2}月\d{1,2}日)", text)
        number = re.search(r"(?:发文字号|文号)[：:]\s*([^\s：:]+〔\d{4}〕\d+号)", text)
        if not (date or number):
            continue
        rel = str(page.relative_to(REAL))
        mine = [r for r in rows if by_src.get(r["src"]) == rel]
        hit = [r for r in mine if (not date or r["date"] == parse_date(date[1]))
               and (not number or r["number"] == number[1])]
        assert hit, (rel, date and date[1], number and number[1], [(r["title"], r["number"], r["date"]) for r in mine])
        checked += 1
    assert checked >= 1


def test_every_resource_has_at_most_one_preferred_label_per_language(real):
    """SKOS: one skos:prefLabel per language. A name cut out of running text with half a bracket
    (（国务院办公厅 from （国务院办公厅负责）) once gave an agency a second one."""
    _, _, _, store = real
    rows = select(store, """
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?s ?lang (COUNT(DISTINCT ?l) AS ?n) WHERE { ?s skos:prefLabel ?l BIND(LANG(?l) AS ?lang) }
        GROUP BY ?s ?lang HAVING (COUNT(DISTINCT ?l) > 1)""")
    assert rows == []


def test_the_real_corpus_is_listed_in_the_documented_order(real):
    """Local regulations without a number, portal pages without a date: the materialised list order
    (pkg:listOrder) equals the engine's live ORDER BY here too (tests/test_list_order.py)."""
    from test_list_order import check_order

    check_order(real[3])


def test_the_real_corpus_is_in_force_by_the_live_rule(real):
    """Regulations with expiry dates, repeals (…同时废止) and editions: the stored in-force intervals
    (graph/summary/in-force) give the live rule's rows on 150 days spread over every day the answer can change
    (tests/test_in_force.py)."""
    from test_in_force import check

    store = real[3]
    assert store.query("ASK { ?d <https://policykg.org/ontology#inForceEnd> ?e }")
    assert check(store, some=150) > 100


def test_the_real_corpus_dates_list_is_in_the_documented_order(real):
    """Documents of the State Council and seven provinces, many without a date: the materialised order of
    document-dates (pkg:datesOrder) equals the engine's live ORDER BY, by place too (tests/test_dates_order.py)."""
    from test_dates_order import check_order

    check_order(real[3], places=("广州市", "北京市", "440100"))


def test_the_real_corpus_links_list_is_the_live_one(real):
    """Hundreds of legal bases and repeals, cited acts resolved or not: the materialised rows of document-links
    (graph/summary/links) equal the live query's, in its order (tests/test_links_order.py)."""
    from test_links_order import check_rows

    check_rows(real[3], relations=("based-on", "repeals", "issues"))


#: what portal pages name as their source (信息来源 / ContentSource), read off each page: the bodies among them
#: published it (dct:publisher, then pkg:coPublishedBy), relative names read in the site's city
#: (广州市人力资源和社会保障局网站); a newspaper or an account is no publisher; a source line is never an issuer
PAGE_SOURCES = {
    "portal-pages/15_创业担保贷款常见问题_2025.html": ("广州市人力资源和社会保障局", {"广州市劳动就业服务管理中心"}),
    "portal-pages/27_残疾人两项补贴标准_2026.html": ("广州市民政局", set()),
    "portal-pages/19_广州失业保险常见问题解答_2025-11版.html": ("广州市人力资源和社会保障局", set()),
    "portal-pages/b3_生育津贴直接发放个人.md": ("广州市政务服务和数据管理局", {"广州市医疗保障局"}),  # 来源：…、…
    "portal-pages/10_广东医保新措_大病保险门特结算.html": (None, set()),  # 来源：广州日报
    "portal-pages/34_电子居住证申领指南.html": (None, set()),  # 来源：粤省事微信公众号
}


def test_portal_pages_are_published_by_the_bodies_their_source_line_names(real):
    _, rows, files, store = real
    by_src = {f["src"]: _rel(f["path"]) for f in files}
    found = select(store, """
        PREFIX pkg: <https://policykg.org/ontology#> PREFIX eli: <http://data.europa.eu/eli/ontology#>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#> PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX dct: <http://purl.org/dc/terms/>
        SELECT ?src ?publisher ?co ?issuer WHERE { ?d a pkg:Document ; prov:wasDerivedFrom ?src .
          OPTIONAL { ?d dct:publisher/skos:prefLabel ?publisher } OPTIONAL { ?d pkg:coPublishedBy/skos:prefLabel ?co }
          OPTIONAL { ?d eli:passed_by ?issuer } }""")
    for rel, (publisher, co) in PAGE_SOURCES.items():
        mine = [r for r in found if by_src.get(r["src"]) == rel]
        assert mine, rel
        assert {r["publisher"] for r in mine} == {publisher}, (rel, mine)
        assert {r["co"] for r in mine if r["co"]} == co, (rel, mine)
        assert {r["issuer"] for r in mine} == {None}, (rel, mine)  # guides, Q&As and news: no issuer


def test_web_to_markdown_pages_keep_their_prose():
    """Every web-to-markdown page (portal-pages/b3_*.md) keeps its body: the first prose line after its title
    heading (30+ Chinese characters, not a field line) is in the text read — found here on the raw file, with
    the markdown marks and images taken out independently of the reader. (gz.gov.cn's template puts a share row
    between the title and the prose; it once ended the body there.)"""
    from policykg.loaders.parse import parse_source
    from policykg.loaders.read import read_file

    checked = 0
    for page in sorted((REAL / "portal-pages").glob("b3_*.md")):
        raw = page.read_text(encoding="utf-8").split("\n")
        title = next(i for i, line in enumerate(raw) if line.startswith("# "))
        prose = next(re.sub(r"!\[[^\]]*\]\([^)]*\)|[*_#\s]", "", line) for line in raw[title + 1:]
                     if len(re.findall(r"[\u4e00-\u9fff]", line)) >= 30 and "来源" not in line)
        text = re.sub(r"\s", "", parse_source(read_file(page)).normal.text)
        assert prose[:40] in text, (page.name, prose[:40])
        checked += 1
    assert checked == 4
