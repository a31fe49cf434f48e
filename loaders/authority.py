"""Who is named: agencies, generic roles and places, resolved against the authority lists.

The authority lists are ``ontology/agencies.ttl`` (W3C ORG + SKOS: full name, abbreviations, level,
parent — the bodies of the Shanghai corpus), ``ontology/agencies-national.ttl`` (the State Council and its
organs, with the abbreviations its documents print), ``ontology/places.ttl`` (functional areas and the
places listed with extra names), ``ontology/gazetteer.tsv`` (every GB/T 2260 division, through
:mod:`policykg.places`) and the abbreviation rules of :mod:`policykg.agency_names`. A document has a
*place* (:meth:`Authority.document_place`: the division its issuer or title begins with, the country for
national bodies, else none). :class:`Authority` resolves a name as printed in a document of that place:

1. a full name, or its abbreviation-rule key, in the list → that agency (``resolved``);
2. a relative name (区…, 市…, 省…) → read within the document's place (区市场局 in a document of a
   district → ``<city><district>市场局``): the listed agency whose own place that is, else an agency of the
   expanded full name flagged unresolved — never a body of another place; with no place known, the name
   stays as printed;
3. the government, congress or courts of a GB/T 2260 division, written with the division's name (北京市人民政府,
   广东省人民代表大会常务委员会, 广州市天河区人民法院) → an agency, known (``resolved``) without a list, at the
   division's level;
4. a generic role — a kind of body rather than a body (林业部门, 各有关部门, 区人民政府 in a city regulation,
   街道办事处, 县级以上地方人民政府, 区县（自治县）人民政府, 重庆市县（自治县）人民政府, 人民法院, 行业协会) → a role
   node, at the level its prefix implies (市林业部门 → city, 区林业部门 → district, 林业部门 → any), whose
   ``skos:broader`` is the unprefixed role;
5. anything else → an agency node for the printed name, flagged unresolved — never dropped;
   ``policykg agencies --unresolved`` lists them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pyoxigraph as ox

from policykg.agency_names import agency_key, expand
from policykg.places import Division, Gazetteer

from .agencies import agency_level

SKOS = "http://www.w3.org/2004/02/skos/core#"
PKG = "https://policykg.org/ontology#"
ORG = "http://www.w3.org/ns/org#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"

#: the last words of a name that denote a body or a party (longest first)
UNIT_SUFFIXES = (
    "人民政府办公厅", "人民政府办公室", "人民政府", "管理委员会", "管委会", "委员会", "办事处", "工作机构",
    "部门", "机构", "单位", "政府", "总部", "分局", "海关", "银行", "中心", "组织", "媒体", "学校",
    "经营者", "林长", "个人", "部", "企业", "公司", "居村委会", "村委会", "居委会", "局", "委", "办", "厅", "院",
    "署", "会", "联", "者", "老年人", "申请人", "当事人", "居民", "人", "机关", "主体", "团体", "团", "妇女", "儿童", "公民", "职工", "成员", "患者", "学生", "人员", "代表",
    "部队", "父母", "少年", "子女", "家长", "院所", "院校", "高校", "研究所", "学院", "大学",
)
#: a role rather than a body: a kind of department, or any body of a kind
_ROLE = re.compile(
    r"^(?P<prefix>县级以上地方各级|县级以上地方|县级以上|地方各级|地级以上市|设区的市|各级|各区|各|上级|下级|本级|市和区|市、区|"
    r"区县|市县|自治县|自治州|市|区|县|乡镇|乡|镇|街镇|街道|村|其他|本市|当地|所在地)?"
    r"(?P<rest>(?:有关|相关|主管|属地)?[\u4e00-\u9fff]{0,10}?(?:部门|机构|单位|工作机构|主管部门|监管部门|人民政府|政府|办事处|居村委会|"
    r"委员会|林长|人民法院|人民检察院|公安机关|工会|行业协会))$"
)
#: a name read relative to the document's place: 市商务委, 区市场监管局, 省教育厅, 县人民政府
_RELATIVE = re.compile(r"^(?P<prefix>省|自治区|市(?!场|民|容|政(?!府))|区(?!域)|县(?!域))(?![级和、及与])")
#: the bodies every division has
_DIVISION_BODIES = ("人民政府", "人民政府办公厅", "人民政府办公室", "人民代表大会常务委员会", "人民代表大会", "人民法院",
                    "人民检察院")
#: kinds of body that are generic even without a level word: 人民法院, 公安机关, 工会, 行业协会
_GENERIC_BODIES = ("人民法院", "人民检察院", "公安机关", "工会", "行业协会", "部门", "机构")
#: alternatives written in brackets inside a kind of body: 区县（自治县）, 乡（镇）, 村（居）
_ALTERNATIVE = re.compile(r"[（(][^（）()]{1,8}[）)]")
_LEVEL_OF_PREFIX = {"市": "city", "区": "district", "县": "district", "乡镇": "town", "街镇": "town", "街道": "town",
                    "各区": "district", "各县": "district", "区县": "district", "市县": "district", "乡": "town",
                    "镇": "town", "设区的市": "city", "地级以上市": "city"}
#: collective names of the governments of a level, printed without 人民政府 in unit lists (各区、县级市 is two
#: units): the role they stand for, and its level. General Chinese administrative usage, not a place's data.
_COLLECTIVE = {
    "各区": ("各区人民政府", "district"), "各县": ("各县人民政府", "district"), "各区县": ("各区县人民政府", "district"),
    "各县（市、区）": ("各县（市、区）人民政府", "district"), "县级市": ("各县级市人民政府", "district"),
    "各县级市": ("各县级市人民政府", "district"), "各县（市）": ("各县（市）人民政府", "district"),
    "各市": ("各市人民政府", "city"), "各地市": ("各市人民政府", "city"), "各设区的市": ("各设区的市人民政府", "city"),
    "各省": ("各省人民政府", "province"), "各省（区、市）": ("各省（区、市）人民政府", "province"),
    "各省、自治区、直辖市": ("各省（区、市）人民政府", "province"),
    "各镇": ("各镇人民政府", "town"), "各乡镇": ("各乡镇人民政府", "town"), "各街镇": ("各街道办事处、镇人民政府", "town"),
    "各镇（街）": ("各街道办事处、镇人民政府", "town"), "各街道": ("各街道办事处", "town"),
}
_PARTIES = re.compile(r"(个人|经营者|者|企业|公司|学校|组织|媒体|单位|居民|(?<!民)人)$")  # 法人, 使用人, 申请人
_LEVELS = ("各级", "乡镇", "街道", "设区的市", "自治区", "区县", "县（市、区）", "县（区）", "省", "市", "区", "县")
_BARE_NAMES = {"人民政府", "政府", "部门", "机构", "单位", "办事处", "工作机构", "委员会", "管委会", "局", "委", "办",
               "市部门", "区部门", "级部门"}
#: bare kinds of body that take the modifier of the item before them: 市政府有关部门和单位 → 市政府有关单位
_BARE_KIND = ("单位", "部门", "机构")


@dataclass(frozen=True)
class Unit:
    """A resolved name: what it is and how it was resolved."""

    text: str  # as printed
    iri: str
    label: str  # preferred name
    kind: str  # agency | role
    resolved: bool
    level: str | None = None
    broader: str | None = None  # for roles: the unprefixed role's IRI


@dataclass(frozen=True)
class Place:
    iri: str
    label: str
    kind: str  # City | District | FunctionalArea
    code: str | None
    names: tuple[str, ...]


def _read(name: str, base: str) -> list[ox.Triple]:
    text = resources.files("policykg.ontology").joinpath(name).read_text(encoding="utf-8")
    return list(ox.parse(text, format=ox.RdfFormat.TURTLE, base_iri=base))


def _unbracket(name: str) -> str:
    """A name cut out of running text with half a bracket or a separator at an end: （国务院办公厅 (from
    （国务院办公厅负责）) → 国务院办公厅, 、引导单位 → 引导单位."""
    name = name.strip("、，,；;：:。 \u3000·")
    pairs = {"（": "）", "(": ")", "【": "】", "《": "》", "“": "”"}
    for left, right in pairs.items():
        if name.startswith(left) and right not in name:
            name = name[1:]
        if name.endswith(right) and left not in name:
            name = name[:-1]
    return name.strip()


class Authority:
    """The agency and place authority lists of one base IRI."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.agency_triples = _read("agencies.ttl", base) + _read("agencies-national.ttl", base)
        self.place_triples = _read("places.ttl", base)
        self.by_name: dict[str, tuple[str, str, str | None]] = {}  # name → (iri, label, level)
        labels: dict[str, str] = {}
        levels: dict[str, str] = {}
        for t in self.agency_triples:
            p = t.predicate.value
            if p == SKOS + "prefLabel":
                labels[t.subject.value] = t.object.value
            elif p == PKG + "level":
                levels[t.subject.value] = t.object.value
        for t in self.agency_triples:
            p = t.predicate.value
            if p in (SKOS + "prefLabel", SKOS + "altLabel"):
                s = t.subject.value
                self.by_name.setdefault(t.object.value, (s, labels.get(s, t.object.value), levels.get(s)))
        self.names_longest_first = sorted(self.by_name, key=len, reverse=True)
        self.gazetteer = Gazetteer.default()
        self._doc_places: dict = {}
        # the listed agencies by comparison key (市发展改革委 = 市发展和改革委员会), and their relative
        # abbreviations (区市场监管局, 市商务委) by the place they are relative to
        self.by_key: dict[str, tuple[str, str, str | None]] = {}
        self.relative: dict[tuple[str, str], Unit] = {}
        for name, (iri, label, level) in sorted(self.by_name.items()):
            if not _RELATIVE.match(name):
                self.by_key.setdefault(agency_key(name), (iri, label, level))
        for name, (iri, label, level) in sorted(self.by_name.items()):
            rel = _RELATIVE.match(name)
            home = self.gazetteer.match_prefix(re.sub(r"^中共", "", label))
            if rel and home is not None:
                anchor = self.gazetteer.resolve_relative(rel["prefix"], home)
                if anchor is not None:
                    self.relative.setdefault((anchor.code, agency_key(name)), Unit(name, iri, label, "agency", True, level))
        # places
        info: dict[str, dict] = {}
        for t in self.place_triples:
            rec = info.setdefault(t.subject.value, {"names": [], "kind": None, "code": None, "label": None})
            p = t.predicate.value
            if p == SKOS + "prefLabel":
                rec["label"] = t.object.value
                rec["names"].append(t.object.value)
            elif p == SKOS + "altLabel":
                rec["names"].append(t.object.value)
            elif p == RDF_TYPE:
                rec["kind"] = t.object.value.rsplit("#", 1)[-1]
            elif p == PKG + "gbCode":
                rec["code"] = t.object.value
        self.places = [Place(iri, r["label"], r["kind"], r["code"], tuple(r["names"])) for iri, r in sorted(info.items())]
        # every name and code once more as a plain string (skos:hiddenLabel): a query parameter such as
        # district=杨浦 is a plain literal, so it then matches a triple pattern exactly — an index lookup the
        # engine starts from, where a FILTER on language-tagged labels made it scan every follow-up first
        hidden = ox.NamedNode(SKOS + "hiddenLabel")
        for pl in self.places:
            for key in dict.fromkeys(pl.names + ((pl.code,) if pl.code else ())):
                self.place_triples.append(ox.Triple(ox.NamedNode(pl.iri), hidden, ox.Literal(key)))

    # ------------------------------------------------------------ agencies
    def agency_iri(self, name: str) -> str:
        from policykg.iri import slug

        return f"{self.base}agency/{slug(name)}"

    def role_iri(self, name: str) -> str:
        from policykg.iri import slug

        return f"{self.base}role/{slug(name)}"

    def is_listed(self, iri: str) -> bool:
        """Whether the authority list describes this agency (else the build describes it)."""
        if not hasattr(self, "_listed_iris"):
            self._listed_iris = {v[0] for v in self.by_name.values()} | {v[0] for v in self.by_key.values()}
        return iri in self._listed_iris

    def _listed(self, name: str) -> Unit | None:
        hit = self.by_name.get(name) or self.by_key.get(agency_key(name))
        return Unit(name, hit[0], hit[1], "agency", True, hit[2]) if hit else None

    def resolve(self, text: str, place: "Place | str | None" = None) -> Unit:
        """Resolve a printed name (see the module docstring). ``place``: the document's place (a
        :class:`Place` or its GB/T 2260 code), within which 区X局 / 市X局 / 省X厅 are read."""
        name = text.strip().replace("等", "") if text.strip().endswith(("等部门", "等单位", "等机构")) else text.strip()
        name = _unbracket(name.rstrip("等"))
        collective = _COLLECTIVE.get(name)
        if collective is not None:
            return Unit(text, self.role_iri(collective[0]), collective[0], "role", True, collective[1], self.role_iri("人民政府"))
        if not _RELATIVE.match(name):
            hit = self._listed(name)
            if hit:
                return Unit(text, hit.iri, hit.label, "agency", True, hit.level)
        context = self.division_of(place)
        rel = _RELATIVE.match(name) if not _ALTERNATIVE.search(name) else None  # 县（自治县）…: a kind, below
        if rel and len(name) > len(rel["prefix"]) + 1:
            anchor = self.gazetteer.resolve_relative(rel["prefix"], context) if context is not None else None
            if anchor is not None:
                rest = name[len(rel["prefix"]):]
                full = self.gazetteer.full_name(anchor) + rest
                hit = self._listed(full) or self.relative.get((anchor.code, agency_key(name)))
                if hit:
                    return Unit(text, hit.iri, hit.label, "agency", True, hit.level)
                if not _ROLE.match(name) or rest in ("人民政府", "政府"):
                    full = expand(full)
                    known = self._division_body(full) is not None  # 市人民政府 in a Beijing text: 北京市人民政府
                    return Unit(text, self.agency_iri(full), full, "agency", known, self.level_of(anchor))
        body = self._division_body(name)
        if body is not None:
            return Unit(text, self.agency_iri(name), name, "agency", True, self.level_of(body))
        # a kind of body, written with alternatives (区县（自治县）人民政府, 乡（镇）人民政府) or within a place
        # (重庆市县（自治县）人民政府: the county governments of Chongqing)
        core = _ALTERNATIVE.sub("", name)
        d = self.gazetteer.match_prefix(core)
        if d is not None:
            written = next((w for w in self._written_forms(d) if core.startswith(w)), "")
            if written and _ROLE.match(core[len(written):]) and _ROLE.match(core[len(written):])["prefix"]:
                core = core[len(written):]
        m = _ROLE.match(core)
        # 城市管理部门 is a kind of department (a place before 部门 would be in the gazetteer)
        proper = (self.gazetteer.match_prefix(m.group("rest")) is not None if m and m.group("rest").endswith(("部门", "机构"))
                  else m is not None and self._looks_proper(m.group("rest")))
        if m and core != name:
            proper = False  # alternatives in brackets (济南市（市、区）人民政府, 乡（镇）…) name several bodies: a kind
        if m and (m.group("prefix") or core != name or m.group("rest").endswith(_GENERIC_BODIES)) and not proper:
            prefix = m.group("prefix") or ""
            level = _LEVEL_OF_PREFIX.get(prefix)
            broader = self.role_iri(m.group("rest")) if prefix in _LEVEL_OF_PREFIX else None
            return Unit(text, self.role_iri(name), name, "role", True, level, broader)
        m = _ROLE.match(name)
        if m and not self._looks_proper(m.group("rest")):
            prefix = m.group("prefix") or ""
            level = _LEVEL_OF_PREFIX.get(prefix)
            broader = None
            if prefix in _LEVEL_OF_PREFIX:
                broader = self.role_iri(m.group("rest"))
            return Unit(text, self.role_iri(name), name, "role", True, level, broader)
        if _PARTIES.search(name) and not re.search(r"(局|委|办|厅|政府|海关)$", name):
            return Unit(text, self.role_iri(name), name, "role", True, None)
        return Unit(text, self.agency_iri(name), name, "agency", False, agency_level(name))

    def _written_forms(self, d: Division) -> list[str]:
        """How a division's name may be written at the start of a body's name, longest first."""
        chain = self.gazetteer.chain(d)
        forms = {self.gazetteer.full_name(d), d.name, "".join(x.name for x in chain)}
        return sorted(forms, key=len, reverse=True)

    def _division_body(self, name: str) -> Division | None:
        """The division whose government, congress or court this is: 北京市人民政府, 广东省人民代表大会常务委员会,
        广州市天河区人民法院 — a body every GB/T 2260 division has, so it is known without a list."""
        d = self.gazetteer.match_prefix(name)
        if d is None:
            return None
        for w in self._written_forms(d):
            if name.startswith(w) and name[len(w):] in _DIVISION_BODIES:
                return d
        return None

    def _looks_proper(self, rest: str) -> bool:
        """委员会 / 人民政府 with a place or a proper name in front is a body, not a role."""
        return bool(re.match(r"^[\u4e00-\u9fff]{1,}(市|省|县)", rest)) or self.gazetteer.match_prefix(rest) is not None

    # ------------------------------------------------------------ places
    def place(self, division: Division) -> Place:
        """The place record of a GB/T 2260 division (IRI ``place/<code>``)."""
        kind = {"province": "Province", "prefecture": "City", "county": "District"}[division.level]
        if division.level == "province" and division.is_municipality:
            kind = "City"  # 上海市 acts as a city
        return Place(f"{self.base}place/{division.code}", division.name, kind, division.code,
                     tuple(dict.fromkeys((division.name,) + tuple(division.short))))

    def level_of(self, division: Division) -> str:
        """An agency level (national, province, city, district, town) for a body of a division."""
        if division.level == "province":
            return "city" if division.is_municipality else "province"
        return {"prefecture": "city", "county": "district"}[division.level]

    def country(self) -> Place:
        return Place(f"{self.base}place/CN", "中华人民共和国", "Country", None, ("中华人民共和国", "全国"))

    def division_of(self, place: "Place | str | None") -> Division | None:
        if place is None:
            return None
        code = place if isinstance(place, str) else place.code
        return self.gazetteer.by_code(code) if code else None

    @staticmethod
    def is_relative(name: str) -> bool:
        """Whether a name is read within a place (市人社局, 区教育局, 省财政厅)."""
        return bool(_RELATIVE.match(name))

    def document_place(self, doc) -> Place | None:
        """The place of a document: from its issuers, then its title (see :meth:`place_of`); for what a portal
        writes itself (a guide, a Q&A, a news item: :data:`~.metadata.PAGE_SOURCE_TYPES`), then the name of the
        site that published it (广州市人力资源和社会保障局网站 → 广州市). Instruments (notices, regulations,
        plans …) are placed by their own issuer and title only: a site reposts them from elsewhere."""
        from .metadata import PAGE_SOURCE_TYPES

        site = doc.site if doc.doc_type in PAGE_SOURCE_TYPES else None
        key = (tuple(doc.issuers or [doc.issuer]), doc.title, site)
        if key not in self._doc_places:
            self._doc_places[key] = self.place_of(*key[0], doc.title, site)
        return self._doc_places[key]

    def place_of(self, *names: str | None) -> Place | None:
        """The place a document belongs to, from its issuer(s) and title, in that order: the division the
        name begins with (广州市天河区人民政府 → 天河区; 青岛市…条例 → 青岛市), the country for national
        bodies (国务院, 国家发展改革委, 人力资源社会保障部), else None — never a guess."""
        for name in names:
            if not name:
                continue
            bare = re.sub(r"^(?:中共|中国共产党)", "", name)
            d = self.gazetteer.match_prefix(bare)
            if d is not None:
                return self.place(d)
            if agency_level(name) == "national":
                return self.country()
        return None

    def place_quads_of(self, place: Place | None) -> list[ox.Triple]:
        """Triples describing a place and the places above it (for the shared places graph)."""
        if place is None:
            return []
        out: list[ox.Triple] = []
        T = ox.NamedNode
        chain = [place]
        d = self.division_of(place)
        if d is not None:
            chain = [self.place(x) for x in self.gazetteer.chain(d)]
        for i, pl in enumerate(chain):
            node = T(pl.iri)
            out += [ox.Triple(node, T(RDF_TYPE), T(PKG + pl.kind)),
                    ox.Triple(node, T(SKOS + "prefLabel"), ox.Literal(pl.label, language="zh"))]
            for alt in pl.names[1:]:
                out.append(ox.Triple(node, T(SKOS + "altLabel"), ox.Literal(alt, language="zh")))
            for key in dict.fromkeys(pl.names + ((pl.code,) if pl.code else ())):
                out.append(ox.Triple(node, T(SKOS + "hiddenLabel"), ox.Literal(key)))
            if pl.code:
                out.append(ox.Triple(node, T(PKG + "gbCode"), ox.Literal(pl.code)))
            if i > 0:
                out.append(ox.Triple(node, T(PKG + "within"), T(chain[i - 1].iri)))
        return out

    @lru_cache(maxsize=64)
    def _mention_index(self, context: str | None) -> dict[str, list[tuple[str, Place]]]:
        """Names to look for in running text, by their first two characters (longest first): the listed
        places (places.ttl), every province and prefecture by full name, and — short names too — the
        county-level places of the document's own city. A short name alone (和平, 城关) elsewhere in the
        country is not a mention."""
        pairs: list[tuple[str, Place]] = [(n, p) for p in self.places for n in p.names if len(n) >= 2]
        g = self.gazetteer
        for d in g:
            if d.level in ("province", "prefecture") and len(d.name) >= 3:
                pairs.append((d.name, self.place(d)))
        home = self.division_of(context)
        if home is not None:
            city = g.resolve_relative("市", home) or home
            for d in g.children(city):
                pl = self.place(d)
                pairs += [(n, pl) for n in pl.names if len(n) >= 2]
        index: dict[str, list[tuple[str, Place]]] = {}
        for n, p in sorted(dict.fromkeys(pairs), key=lambda x: (-len(x[0]), x[0], x[1].iri)):
            index.setdefault(n[:2], []).append((n, p))
        return index

    @lru_cache(maxsize=4096)
    def places_in(self, text: str, context: str | None = None) -> tuple[Place, ...]:
        """Places named in ``text`` (longest names first, each place once); ``context``: the GB/T 2260 code
        of the document's place (see :meth:`_mention_index`). Linear in the text's length."""
        index = self._mention_index(context)
        found: list[Place] = []
        i = 0
        while i < len(text) - 1:
            hit = None
            for n, p in index.get(text[i:i + 2], ()):
                if text.startswith(n, i):
                    e = i + len(n)
                    if n in ("示范区",) or (len(n) == 2 and p.kind == "District" and text[e:e + 1] in "市"):
                        continue  # 示范区 alone is any pilot zone; 黄浦江 etc. are not the district
                    hit = (n, p)
                    break
            if hit is None:
                i += 1
                continue
            if all(f.iri != hit[1].iri for f in found):
                found.append(hit[1])
            i += len(hit[0])
        return tuple(found)


# ------------------------------------------------------------------ unit lists
#: separators of a unit list; not inside words (涉及, 参与, 共和国, 以及 whole)
_SPLIT = re.compile(r"以及|或者|、|(?<![共平])和|(?<![涉普危顾提波遍来以])及|(?<![参给赋授])与|或")
_ADVERBIAL = re.compile(
    r"(在|依法|依照|按照|根据|对|及时|定期|会同|统筹|协同|结合|自|于|将|要|应|须|必须|负责|具体|主动|积极|共同|分别|联合|加强|是)"
)


def split_units(text: str) -> list[str] | None:
    """A list of bodies or parties as printed, with shared heads expanded; None if ``text`` is not one
    (see :func:`_split_units`; cached, a pure function of the text)."""
    found = _split_units(text)
    return list(found) if found is not None else None


@lru_cache(maxsize=65536)
def _split_units(text: str) -> tuple[str, ...] | None:
    out = _split_units_uncached(text)
    return tuple(out) if out is not None else None


def _split_units_uncached(text: str) -> list[str] | None:
    """A list of bodies or parties as printed, with shared heads expanded; None if ``text`` is not one.

    市、区人民政府 → [市人民政府, 区人民政府]; 市财政、林业部门 → [市财政部门, 市林业部门];
    水务、交通、农业农村等部门 → [水务部门, 交通部门, 农业农村部门]; 保护、利用森林资源 → None.
    """
    text = text.strip().strip("，")
    if not text or len(text) > 80:
        return None
    # A、B、C等社会团体: the category after 等 names no further body
    cat = re.search(r"(?<=[\u4e00-\u9fff])等(?:有关|相关|其他)?[\u4e00-\u9fff]{0,6}(?:团体|组织|机构|单位|部门)$", text)
    if cat and ("、" in text or "和" in text) and all(_has_head(p) for p in _split_top(text[: cat.start()])):
        text = text[: cat.start()]  # every item before 等 is a whole name
    parts = [p for p in _split_top(text) if p]
    if not parts:
        return None
    parts = [p.replace("等", "") if p.endswith(("等部门", "等单位", "等机构")) else p.rstrip("等") for p in parts]
    # 科技、教育等行政管理部门: the category after 等 (less 各类, 有关, 政府相关职能 …) is the head the items share
    category = re.match(r"^(?P<item>[^等]+)等(?:各类|各种|各|有关|相关|其他|政府|职能)*(?P<head>[\u4e00-\u9fff]{2,10})$", parts[-1])
    shared = None
    if category and len(parts) > 1 and _has_head(category["head"]) and not _has_head(category["item"]):
        shared = category["head"]
        parts[-1] = category["item"] + shared
    if not _has_head(parts[-1]):
        return None
    if len(parts) > 1 and "的" in parts[-1] and not any(_has_head(p) or p in _LEVELS or len(p) < 2 for p in parts[:-1]) \
            and not _has_head(parts[-1].split("的", 1)[0]):
        # 涉及航道的桥梁、水闸、隧道等建筑物的建设单位: the bare items modify one party, they are not bodies
        return [text]
    prefix = next((p for p in ("市", "区") if parts[0].startswith(p)), "")
    first_has_head = _has_head(parts[0])
    # right to left: an item without a head takes the head of the nearest item after it that has one;
    # a bare level (市 in 市和区相关部门) takes that item's whole tail (市相关部门)
    filled = list(parts)
    seps = _separators(text, parts)
    for i in range(len(parts) - 2, -1, -1):
        p = filled[i]
        if _has_head(p) or p in _COLLECTIVE:
            continue  # 各区、各部门: 各区 is the district governments, not 各区部门
        nxt = filled[i + 1]
        lvl = next((x for x in _LEVELS if nxt.startswith(x)), None)
        if seps[i] != "、" and not (p in _LEVELS and lvl):
            continue  # only 、 shares a head: 高校和科研机构 stays two bodies (市和区相关部门 is two levels)
        if p in _LEVELS and lvl:
            filled[i] = p + nxt[len(lvl):]
        else:
            head = shared or next((s for s in UNIT_SUFFIXES if _bare(nxt).endswith(s)), None)
            if head is None:
                return None
            filled[i] = p + head
    out = []
    for i, p in enumerate(filled):
        if i > 0 and prefix and not first_has_head and not p.startswith(("市", "区", "各", "其他", "县", "乡", "镇", "街道", "省", "经", "其", "国家", "中国", "中华人民共和国")) \
                and "的" not in p:
            p = prefix + p
        if i > 0 and p in _BARE_KIND:
            prev = out[-1]
            kind = next((k for k in _BARE_KIND if prev.endswith(k)), None)
            if kind and len(prev) > len(kind):
                p = prev[: -len(kind)] + p  # the shared modifier: 市政府有关 + 单位
        out.append(p)
    if any(p in _BARE_NAMES for p in out):
        return None  # 部门, 政府 alone: not a name
    if any(re.search(r"[，。；：]", p) or ("的" in p and not _PARTIES.search(p) and not _has_head(p.rsplit("的", 1)[1]))
           for p in out):
        return None  # 受公安机关委托的服务管理机构 is a name; 保护森林资源的 is not
    return out


def _separators(text: str, parts: list[str]) -> list[str]:
    """The separator printed after each part but the last (、, 和, 及 …)."""
    seps, pos = [], 0
    for p in parts[:-1]:
        pos = text.find(p, pos) + len(p)
        m = _SPLIT.match(text, pos)
        seps.append(m.group(0) if m else "")
        pos = m.end() if m else pos
    return seps


def _bare(name: str) -> str:
    """The name without a trailing parenthesis: 浦东新区政府（上海自贸试验区管委会） → 浦东新区政府."""
    return re.sub(r"（[^（）]*）$", "", name)


_SUFFIX_SET = frozenset(UNIT_SUFFIXES)
_SUFFIX_LENGTHS = sorted({len(x) for x in UNIT_SUFFIXES}, reverse=True)


_LAST_CHARS = frozenset(x[-1] for x in UNIT_SUFFIXES)


def _ends_with_head(text: str, end: int | None = None) -> bool:
    """Does ``text[:end]`` end with a unit suffix (and not with a word such as 干部 or 社会)?"""
    end = len(text) if end is None else end
    if end == 0 or text[end - 1] not in _LAST_CHARS:
        return False
    for n in _SUFFIX_LENGTHS:
        if n <= end and text[end - n:end] in _SUFFIX_SET:
            return not text[:end].endswith(_NOT_HEADS)
    return False


def head_ends(text: str, limit: int = 80) -> list[int]:
    """Positions (longest first, up to ``limit``) where a prefix of ``text`` ends with the head of a body's name:
    the only places a unit list at the start of ``text`` can end."""
    return [j for j in range(min(len(text), limit), 0, -1)
            if text[j - 1:j + 1] not in _WORD_GOES_ON
            and (_ends_with_head(text, j) or (text[j - 1] in "）)" and _has_head(text[:j])))]


#: a head's last character that begins a longer word with the next one: 部门会同, 召开会议
_WORD_GOES_ON = frozenset({"会同", "会议", "会商", "会签", "办理", "办法", "部署", "局面", "院校", "人员", "人民", "人文",
                           "人口", "人才", "人身", "人力", "人工", "人类"})


def _has_head(name: str) -> bool:
    return _ends_with_head(_bare(name))


#: words that end like a body but are not one: 干部 (cadres), 社会 (society), 内部, 全部
_NOT_HEADS = ("干部", "社会", "内部", "全部", "局部", "外部", "机会", "大会", "互联", "关联", "串联", "城市中心", "市中心")


def _split_top(text: str) -> list[str]:
    """Split on 、和及… outside parentheses (浦东新区政府（上海自贸试验区管委会）stays whole)."""
    out, depth, cur, i = [], 0, "", 0
    while i < len(text):
        ch = text[i]
        if ch == "（":
            depth += 1
        elif ch == "）":
            depth = max(0, depth - 1)
        if depth == 0:
            m = _SPLIT.match(text, i)
            if m and cur and m.group(0) in ("和", "及", "与") and not _has_head(cur) and 1 < len(cur) <= 6 \
                    and cur not in _LEVELS:
                following = re.split(r"、", text[m.end():], maxsplit=1)
                if (re.search(r"(?:部门|局|厅|委员会|委|部)$", text) and "、" not in text[i:]) \
                        or (len(following) > 1 and not _has_head(following[0])):
                    m = None  # 人力资源和社会保障部门, 住房和城乡建设局, 城乡建设、人力资源和社会保障、…等部门: one name
            if m and cur:
                # 和/及 inside a name (社会保障, 市场和质量) are rare in unit lists; accept
                out.append(cur)
                cur = ""
                i = m.end()
                continue
        cur += ch
        i += 1
    if cur:
        out.append(cur)
    return [p.strip() for p in out]


def leading_units(segment: str) -> list[str] | None:
    """Bodies named at the start of a clause segment, before what they do: 规划资源部门在…阶段 → [规划资源部门]."""
    seg = segment.strip()
    cut = len(seg)
    for m in _ADVERBIAL.finditer(seg):
        if m.start() > 0:
            cut = m.start()
            break
    return split_units(seg[:cut])
