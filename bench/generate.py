"""Synthetic corpus generator: N documents that look like a city's policy output, with their ground truth.

``python -m bench.generate --docs 1000 --seed 1 --out bench-data/1000`` writes

* ``OUT/corpus/…`` — the files: city plans issued by a notice (``city/``), district plans that follow a city plan
  (``district/<区>/``, some with a covering notice and a 发文字号, some bare like a portal download, some as
  HTML portal pages, some in GB18030), regulations promulgated by a decree (``regulations/``), notices with
  numbered parts (``notices/``), and gazette issues (``gazette/``) holding several documents as PDF text
  extraction leaves them: half-width punctuation, lines cut every 23 characters, page numbers and running heads,
  and sometimes a city plan that also exists as its own file (the same document in two files);
* ``OUT/ground-truth.json`` — what the generator put where: every document (number, title, kind, file), every
  plan measure (its document and exact text), which city measure each district measure follows up (one, or none),
  and the responsible units printed after the items of city plans in the FTZ style (``（责任单位：…）``).

How it varies the bundled corpus (see :mod:`bench.material` for what it harvests):

* **City plans** draw 40–110 distinct actions, grouped under section headings inside 一、 parts; one in three
  is written FTZ-style, numbered items ``1.`` across sections, each ending in a list of 1–3 responsible units.
* **District plans** cite their city plan (``根据《…》``, ``以《…》为依据``, sometimes with the notice's number;
  one in twenty cites nothing, so the linker must fall back on subject and year) and follow 30–80 % of its
  measures, each *reworded* the way district plans do — 本市 → 本区, synonyms (推进 → 推动, 加强 → 强化 …),
  a dropped or added clause, a district prefix — and add local measures: actions the city plan does not contain.
* Identities never collide: numbers run per issuer series and year, titles are unique.

Deterministic: the same ``--docs`` and ``--seed`` give byte-identical files and ground truth.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .material import Material, harvest

GENERATOR = "policykg-bench-1"
DISTRICTS = [  # (name, short name used in numbers)
    ("黄浦区", "黄"), ("徐汇区", "徐"), ("长宁区", "长"), ("静安区", "静"), ("普陀区", "普"), ("虹口区", "虹"),
    ("杨浦区", "杨"), ("闵行区", "闵"), ("宝山区", "宝"), ("嘉定区", "嘉"), ("浦东新区", "浦"), ("金山区", "金"),
    ("松江区", "松"), ("青浦区", "青"), ("奉贤区", "奉"), ("崇明区", "崇"),
]
SUBJECTS = ["营商环境", "一网通办", "数字化转型", "政务服务", "知识产权", "养老服务", "科技创新", "绿色低碳",
            "城市更新", "消费升级", "人才发展", "乡村振兴", "公共卫生", "文化旅游", "生态环境", "交通出行"]
TITLE_FORMS = ["{place}持续优化{s}行动方案", "{place}全面提升{s}水平实施方案", "{place}深化{s}改革工作方案",
               "{place}加快推进{s}三年行动计划", "{place}{s}高质量发展行动方案", "{place}进一步加强{s}工作方案"]
REG_TOPICS = ["森林", "湿地", "绿地", "古树名木", "公园", "河道", "野生植物", "林地", "郊野公园", "防护林"]
SYNONYMS = [("推进", "推动"), ("加强", "强化"), ("完善", "健全"), ("建立", "构建"), ("提升", "提高"),
            ("优化", "改进"), ("全面", "进一步"), ("探索", "研究"), ("深化", "深入推进"), ("支持", "鼓励"),
            ("加快", "加速"), ("落实", "执行")]
LOCAL_SUFFIX = ["，形成可复制可推广的经验做法", "，确保各项任务落地见效", "，定期开展评估", "，打造区域特色品牌"]
CITE_FORMS = ["根据《{t}》{n}，结合本区实际，制定本方案。", "为贯彻落实《{t}》{n}，进一步推动本区工作，制定本方案。",
              "以《{t}》{n}为依据，结合{d}实际，制定本实施方案。"]
CN_NUM = "一二三四五六七八九十"


def cn(n: int) -> str:
    """1 → 一, 12 → 十二, 32 → 三十二 (up to 99)."""
    if n <= 10:
        return CN_NUM[n - 1]
    tens, ones = divmod(n, 10)
    return (CN_NUM[tens - 1] if tens > 1 else "") + "十" + (CN_NUM[ones - 1] if ones else "")


@dataclass
class Measure:
    text: str
    follows: tuple[str, str] | None = None  # (city plan title, city measure text)
    units: list[str] = field(default_factory=list)  # preferred names of the responsible units printed
    printed: list[str] = field(default_factory=list)  # the names as printed (full name or abbreviation)


@dataclass
class Doc:
    kind: str  # city-notice | city-plan | district-notice | district-plan | decree | regulation | notice
    title: str
    number: str | None = None
    file: str = ""
    district: str | None = None
    year: int = 2024
    measures: list[Measure] = field(default_factory=list)
    sections: list[tuple[str, list[tuple[str, list[Measure]]]]] = field(default_factory=list)
    text: str = ""  # the document as printed (normal text; files may add debris)
    subject: str = ""
    cites: str | None = None  # title of the city plan a district plan follows
    issued_under: str | None = None  # number of the notice that issues a city plan


class Generator:
    def __init__(self, material: Material, seed: int) -> None:
        self.m = material
        self.rng = random.Random(seed)
        self.seed = seed
        self.serial: dict[str, int] = {}
        self.titles: set[str] = set()
        self.docs: list[Doc] = []
        self.files: dict[str, bytes] = {}
        self.city_plans: list[Doc] = []

    # -------------------------------------------------------------- identities
    def number(self, series: str, year: int) -> str:
        key = f"{series}{year}"
        self.serial[key] = self.serial.get(key, 0) + 1
        return f"{series}〔{year}〕{self.serial[key]}号"

    def title(self, place: str, subject: str, year: int) -> str:
        forms = list(TITLE_FORMS)
        self.rng.shuffle(forms)
        for form in forms:
            t = form.format(place=place, s=subject)
            for suffix in ("", f"（{year}年）", f"（{year}—{year + 2}年）", f"（{year}年版）"):
                if t + suffix not in self.titles:
                    self.titles.add(t + suffix)
                    return t + suffix
        k = 2
        while f"{t}（第{k}批）" in self.titles:
            k += 1
        self.titles.add(f"{t}（第{k}批）")
        return f"{t}（第{k}批）"

    def date(self, year: int) -> str:
        return f"{year}年{self.rng.randint(1, 12)}月{self.rng.randint(1, 28)}日"

    # -------------------------------------------------------------- city plans
    def city_plan(self) -> tuple[Doc, Doc]:
        rng = self.rng
        year = rng.randint(2019, 2025)
        subject = rng.choice(SUBJECTS)
        title = self.title("上海市", subject, year)
        ftz = rng.random() < 1 / 3
        n_actions = rng.randint(40, 110)
        picked = rng.sample(range(len(self.m.actions)), n_actions)
        parts = rng.sample(self.m.part_headings, min(len(self.m.part_headings), rng.randint(3, 6)))
        plan = Doc("city-plan", title, year=year, subject=subject)
        chunks = _split_evenly([self.m.actions[i] for i in picked], len(parts), rng)
        for part, actions in zip(parts, chunks):
            sections: list[tuple[str, list[Measure]]] = []
            for group in _split_evenly(actions, max(1, len(actions) // rng.randint(3, 6)), rng):
                heading = group[0][0] or rng.choice(self.m.section_headings)
                measures = [Measure(text) for _, text in group]
                if ftz:
                    for mm in measures:
                        units = rng.sample(self.m.agencies, rng.randint(1, 3))
                        mm.units = [u[0] for u in units]
                        mm.printed = [rng.choice(u[1]) for u in units]
                sections.append((heading, measures))
            plan.sections.append((part, sections))
        plan.measures = [mm for _, secs in plan.sections for _, ms in secs for mm in ms]
        number = self.number("沪府办发", year)
        preamble = (f"为深入推进本市{subject}工作，进一步提升城市能级和核心竞争力，结合本市实际，制定本方案。")
        body = [title, preamble]
        item = 0
        for i, (part, sections) in enumerate(plan.sections, start=1):
            body.append(f"{cn(i)}、{part}")
            for j, (heading, measures) in enumerate(sections, start=1):
                if ftz:
                    body.append(f"（{cn(j)}）{heading}")
                    for mm in measures:
                        item += 1
                        body.append(f"{item}.{mm.text}（责任单位：{'、'.join(mm.printed)}）")
                else:
                    body.append(f"（{cn(j)}）{heading}。" + "".join(mm.text for mm in measures))
        plan.text = "\n\n".join(body)
        notice_title = f"上海市人民政府办公厅关于印发《{title}》的通知"
        notice = Doc("city-notice", notice_title, number=number, year=year)
        notice.text = "\n\n".join([
            "上海市人民政府办公厅文件", number, notice_title, "各区人民政府，市政府各委、办、局：",
            f"《{title}》已经市政府同意，现印发给你们，请认真按照执行。", "上海市人民政府办公厅", self.date(year),
            "（此件公开发布）",
        ])
        plan.issued_under = number
        return notice, plan

    # -------------------------------------------------------------- district plans
    def synonym(self, text: str) -> str:
        pairs = [p for p in SYNONYMS if p[0] in text]
        if not pairs:
            return text
        a, b = self.rng.choice(pairs)
        return text.replace(a, b, 1)

    def reword(self, text: str, district: str) -> str:
        rng = self.rng
        out = text.replace("本市", "本区").replace("全市", "全区").replace("市级", "区级")
        if rng.random() < 0.3:
            return out
        ops = rng.sample(["syn", "syn", "drop", "add", "prefix"], rng.randint(1, 3))
        for op in ops:
            if op == "syn":
                out = self.synonym(out)
            elif op == "drop":
                clauses = out.rstrip("。").split("，")
                if len(clauses) >= 3:
                    del clauses[rng.randrange(1, len(clauses))]
                    out = "，".join(clauses) + "。"
            elif op == "add":
                out = out.rstrip("。") + rng.choice(LOCAL_SUFFIX) + "。"
            elif op == "prefix":
                out = rng.choice([f"{district}", "结合本区实际，", "在全区范围内"]) + out
        return out

    def district_plan(self, city: Doc) -> list[Doc]:
        rng = self.rng
        district, short = rng.choice(DISTRICTS)
        year = city.year if rng.random() < 0.8 else min(city.year + 1, 2025)
        title = self.title(f"上海市{district}" if rng.random() < 0.5 else district, city.subject, year)
        plan = Doc("district-plan", title, district=district, year=year, subject=city.subject, cites=city.title)
        city_texts = {mm.text for mm in city.measures}
        local_pool = [a for a in self.m.actions if a[1] not in city_texts]
        share = rng.uniform(0.3, 0.8)
        used: set[str] = set()
        for part, sections in city.sections:
            secs = []
            for heading, measures in sections:
                ms: list[Measure] = []
                for cm in measures:
                    if rng.random() < share:
                        t = self.reword(cm.text, district)
                        if t not in used:
                            used.add(t)
                            ms.append(Measure(t, follows=(city.title, cm.text)))
                    if rng.random() < 0.25:
                        _, lt = rng.choice(local_pool)
                        lt = lt.replace("本市", "本区")
                        if lt not in used:
                            used.add(lt)
                            ms.append(Measure(lt))
                if ms:
                    h = heading if rng.random() < 0.7 else self.synonym(heading)
                    secs.append((h.rstrip("。"), ms))
            if secs:
                plan.sections.append((part, secs))
        plan.measures = [mm for _, secs in plan.sections for _, ms in secs for mm in ms]
        cite_number = f"（{city.issued_under}）" if rng.random() < 0.3 else ""
        if rng.random() < 0.05:
            preamble = f"为进一步做好本区{city.subject}工作，结合{district}实际，制定本方案。"
            plan.cites = None
        else:
            preamble = rng.choice(CITE_FORMS).format(t=city.title, n=cite_number, d=district)
        body = [title, preamble]
        items = rng.random() < 0.4  # Jiading style: 一、 parts with numbered items 1. heading。measures
        for i, (part, secs) in enumerate(plan.sections, start=1):
            body.append(f"{cn(i)}、{part}")
            for j, (heading, ms) in enumerate(secs, start=1):
                marker = f"{j}." if items else f"（{cn(j)}）"
                body.append(f"{marker}{heading}。" + "".join(mm.text for mm in ms))
        plan.text = "\n\n".join(body)
        if rng.random() < 0.6:
            number = self.number(f"{short}府办发", year)
            office = f"上海市{district}人民政府办公室"
            nt = f"{office}关于印发《{title}》的通知"
            notice = Doc("district-notice", nt, number=number, district=district, year=year)
            notice.text = "\n\n".join([
                f"{office}文件", number, nt, "区政府各委、办、局，各街道办事处、镇人民政府：",
                f"《{title}》已经区政府同意，现印发给你们，请认真按照执行。", office, self.date(year),
            ])
            return [notice, plan]
        return [plan]

    # -------------------------------------------------------------- regulations and notices
    def regulation(self) -> tuple[Doc, Doc]:
        rng = self.rng
        year = rng.randint(2015, 2025)
        topic = rng.choice(REG_TOPICS)
        base = f"上海市{topic}管理{rng.choice(['规定', '办法'])}"
        title = base
        k = 1
        while title in self.titles:
            k += 1
            title = f"{base}（{year}年第{k}次修订）" if k > 1 else base
        self.titles.add(title)
        self.serial["decree"] = self.serial.get("decree", 0) + 1
        n = self.serial["decree"]
        number = f"上海市人民政府令第{n}号"
        signed, force = self.date(year), f"{year + 1}年{rng.randint(1, 12)}月1日"
        decree = Doc("decree", number, number=number, year=year)
        decree.text = "\n\n".join([
            "上海市人民政府令", f"第{n}号",
            f"《{title}》已经{signed}市政府第{rng.randint(1, 99)}次常务会议通过，现予公布，自{force}起施行。",
            "市长　" + rng.choice(["龚正", "应勇", "杨雄"]), signed,
        ])
        chosen = sorted(rng.sample(range(len(self.m.articles)), rng.randint(10, min(30, len(self.m.articles)))))
        reg = Doc("regulation", title, year=year)
        body = [title, f"（{signed}上海市人民政府令第{n}号公布　自{force}起施行）"]
        for i, a in enumerate(chosen, start=1):
            heading, paras = self.m.articles[a]
            paras = [p.replace("森林", topic).replace("林业", f"{topic}管理") for p in paras]
            body.append(f"第{cn(i)}条　（{heading.replace('森林', topic)}）")
            body.extend(paras)
        reg.text = "\n\n".join(body)
        return decree, reg

    def notice(self) -> Doc:
        rng = self.rng
        year = rng.randint(2018, 2025)
        subject = rng.choice(SUBJECTS)
        topic = rng.choice(["做好", "加强", "进一步规范", "推进"])
        title = f"上海市人民政府关于{topic}{subject}工作的通知"
        k = 1
        while title in self.titles:
            k += 1
            title = f"上海市人民政府关于{topic}{subject}工作的通知（{cn(k)}）"
        self.titles.add(title)
        number = self.number("沪府规", year)
        d = Doc("notice", title, number=number, year=year)
        paras = rng.sample(self.m.notice_paragraphs, min(len(self.m.notice_paragraphs), rng.randint(3, 6)))
        obligations = [f"各区人民政府应当将{subject}工作纳入年度重点工作，明确责任分工。",
                       f"市有关部门应当按照职责分工，加强对{subject}工作的指导和监督。",
                       f"各单位不得擅自降低{subject}服务标准。"]
        body = ["上海市人民政府文件", number, title, "各区人民政府，市政府各委、办、局：",
                f"为{topic}本市{subject}工作，现就有关事项通知如下："]
        for i, p in enumerate(paras + rng.sample(obligations, 2), start=1):
            body += [f"{cn(i)}、{rng.choice(self.m.section_headings)}", p]
        body += ["上海市人民政府", self.date(year)]
        d.text = "\n\n".join(body)
        return d

    # -------------------------------------------------------------- files
    def write(self, path: str, docs: list[Doc], style: str = "text") -> None:
        text = "\n\n".join(d.text for d in docs) + "\n"
        for d in docs:
            d.file = path
        if style == "gazette":
            data = _gazette(text, self.rng).encode("utf-8")
        elif style == "html":
            data = _html(docs[-1].title, text).encode("utf-8")
        elif style == "gb18030":
            data = text.encode("gb18030")
        else:
            data = text.encode("utf-8")
        self.files[path] = data

    def run(self, n_docs: int) -> None:
        rng = self.rng
        count = 0
        serial = 0
        pending_gazette: list[Doc] = []

        def add(docs: list[Doc]) -> None:
            nonlocal count
            self.docs.extend(docs)
            count += len(docs)

        while count < n_docs:
            serial += 1
            left = n_docs - count
            roll = rng.random()
            if left >= 2 and (roll < 0.12 or not self.city_plans):
                notice, plan = self.city_plan()
                self.city_plans.append(plan)
                self.write(f"city/{serial:05d}.txt", [notice, plan])
                add([notice, plan])
            elif roll < 0.62:
                city = rng.choice(self.city_plans[-8:])
                docs = self.district_plan(city)
                if len(docs) > left:
                    docs = docs[-1:]
                style = rng.choices(["text", "html", "gb18030"], [0.8, 0.1, 0.1])[0]
                ext = "html" if style == "html" else "txt"
                self.write(f"district/{docs[-1].district}/{serial:05d}.{ext}", docs, style)
                add(docs)
            elif roll < 0.75 and left >= 2:
                docs = list(self.regulation())
                if rng.random() < 0.5:
                    pending_gazette += docs  # printed in the next gazette issue
                else:
                    self.write(f"regulations/{serial:05d}.txt", docs)
                add(docs)
            else:
                d = self.notice()
                if rng.random() < 0.3:
                    pending_gazette.append(d)
                else:
                    self.write(f"notices/{serial:05d}.txt", [d])
                add([d])
            if len(pending_gazette) >= 4 or (count >= n_docs and pending_gazette):
                issue = list(pending_gazette)
                pending_gazette.clear()
                if rng.random() < 0.3:  # the gazette reprints a city plan and its notice
                    city = rng.choice(self.city_plans)
                    notice = next(d for d in self.docs if d.number == city.issued_under)
                    issue_text = issue + [_Reprint(notice), _Reprint(city)]
                else:
                    issue_text = issue
                path = f"gazette/{serial:05d}.txt"
                self.write(path, issue_text, "gazette")
                for d in issue_text:
                    if isinstance(d, _Reprint):
                        d.doc.also_in = path  # type: ignore[attr-defined]

    # -------------------------------------------------------------- ground truth
    def ground_truth(self) -> dict:
        def ident(d: Doc) -> dict:
            return {"number": d.number, "title": d.title}

        docs = [{**ident(d), "kind": d.kind, "file": d.file, "district": d.district,
                 "alsoIn": getattr(d, "also_in", None), "measures": len(d.measures), "cites": d.cites if d.kind == "district-plan" else None}
                for d in self.docs]
        measures = []
        for d in self.docs:
            for mm in d.measures:
                rec = {"doc": d.title, "text": mm.text}
                if mm.follows:
                    rec["followsUp"] = {"doc": mm.follows[0], "text": mm.follows[1]}
                if mm.units:
                    rec["units"] = mm.units
                measures.append(rec)
        kinds: dict[str, int] = {}
        for d in self.docs:
            kinds[d.kind] = kinds.get(d.kind, 0) + 1
        return {
            "generator": GENERATOR, "seed": self.seed, "documents": len(self.docs), "kinds": dict(sorted(kinds.items())),
            "files": len(self.files), "bytes": sum(len(b) for b in self.files.values()),
            "followUps": sum(1 for m in measures if "followsUp" in m),
            "docs": docs, "measures": measures,
        }


class _Reprint:
    """A document printed again in a gazette issue (the same document in a second file)."""

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.text = doc.text

    def __setattr__(self, name, value):
        if name == "file":
            return  # the document's own file stays its file
        object.__setattr__(self, name, value)


def _split_evenly(items: list, k: int, rng: random.Random) -> list[list]:
    """``items`` in order, cut into ``k`` non-empty runs of random lengths."""
    k = max(1, min(k, len(items)))
    cuts = sorted(rng.sample(range(1, len(items)), k - 1)) if k > 1 else []
    bounds = [0, *cuts, len(items)]
    return [items[a:b] for a, b in zip(bounds, bounds[1:])]


_HALF = str.maketrans({"。": ".", "，": ",", "：": ":", "；": ";", "（": "(", "）": ")"})


def _gazette(text: str, rng: random.Random, width: int = 23) -> str:
    """Text as a PDF's text layer gives it: half-width punctuation, fixed-width lines, page furniture."""
    out: list[str] = []
    page, on_page = rng.randint(1, 60), 0
    for para in text.translate(_HALF).split("\n\n"):
        lines = [para[i:i + width] for i in range(0, len(para), width)] or [""]
        for line in lines:
            out.append(line)
            on_page += 1
            if on_page >= 34:
                out += ["", f"— {page} —", "", "上海市人民政府公报" if page % 2 else "", ""]
                page += 1
                on_page = 0
        out.append("")
    return "\n".join(out) + "\n"


def _html(title: str, text: str) -> str:
    from html import escape

    paras = "\n".join(f"<p>{escape(p)}</p>" for p in text.split("\n\n") if p.strip())
    return (
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>"
        f"{escape(title)}</title></head>\n<body>\n"
        "<div class=\"header\"><ul class=\"nav\"><li><a href=\"/\">首页</a></li><li><a href=\"/zwgk\">政务公开</a></li>"
        "<li><a href=\"/bsfw\">办事服务</a></li></ul></div>\n"
        "<div class=\"breadcrumb\"><a href=\"/\">首页</a> &gt; <a href=\"/zwgk\">政务公开</a> &gt; 政策文件</div>\n"
        f"<div class=\"article\"><h1>{escape(title)}</h1>\n<div class=\"article-content\">\n{paras}\n</div></div>\n"
        "<div class=\"share\">分享到：微信 微博</div>\n<div class=\"footer\">主办单位：区人民政府办公室 版权所有</div>\n"
        "</body></html>\n"
    )


def generate(n_docs: int, seed: int, out: Path, material: Material | None = None) -> dict:
    """Write ``n_docs`` documents under ``out/corpus`` and ``out/ground-truth.json``; return the ground truth."""
    gen = Generator(material or harvest(), seed)
    gen.run(n_docs)
    corpus = out / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    for path, data in sorted(gen.files.items()):
        f = corpus / path
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(data)
    truth = gen.ground_truth()
    (out / "ground-truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return truth


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=100, help="number of documents (default 100)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1); same seed, same corpus")
    ap.add_argument("--out", default=None, help="output folder (default bench-data/<docs>-<seed>)")
    args = ap.parse_args(argv)
    out = Path(args.out or f"bench-data/{args.docs}-{args.seed}")
    truth = generate(args.docs, args.seed, out)
    print(f"{truth['documents']} documents in {truth['files']} files ({truth['bytes'] / 1e6:.1f} MB), "
          f"{len(truth['measures'])} plan measures, {truth['followUps']} follow-ups → {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
