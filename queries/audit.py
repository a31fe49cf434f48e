"""The follow-up audit: for each district, which city measures its plan takes up and which it does not.

Built on the follow-up links (``graph/followups``) and the named queries. Three kinds of district are kept
apart, so that "no follow-up" and "no data" are never confused:

* districts whose plan in the store answers the city plan (cites it, or shares its subject and year):
  followed and total per section, every link with its score, evidence and source text, every gap with the
  closest district measure and its score (why it is a gap);
* districts with a plan in the store that answers another city plan (e.g. one not in the store);
* districts with no plan in the store at all.

Apart from these, ``crossPlan``: for a district plan that answers another (earlier) city plan and was compared with
the current one (``pkg:comparedWithPlan``), which of the current plan's measures it already covers — "covered by a
plan answering another city plan", never mixed with the links of a plan answering the city plan. A gap of a
district that answers the city plan lists, under ``coveredCrossPlan``, the district's cross-plan links to it.

The JSON form (``as_json``) is documented in docs/audit.md and stable: keys never change meaning; new keys
may be added.
"""
from __future__ import annotations

import csv
import html
import io
import json
from dataclasses import dataclass, field

from policykg.errors import QueryError
from policykg.iri import Minter, term as _t
from policykg.queries import rows as _rows

AUDIT_VERSION = 3  # 2: notApplicable, apart from gaps; 3: crossPlan, relation, coveredCrossPlan, reviews and the figures after review (docs/audit.md)


def _sources(store, meta: str, iris: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for i in range(0, len(iris), 300):
        values = " ".join(_t(x) for x in iris[i:i + 300])
        for r in _rows(store, f"""SELECT ?m ?file ?start ?end WHERE {{ VALUES ?m {{ {values} }}
              ?m pkg:sourceSpan ?sp . ?sp oa:hasSource ?src ; oa:hasSelector ?sel . ?sel oa:start ?start ; oa:end ?end .
              OPTIONAL {{ GRAPH {_t(meta)} {{ ?src pkg:filePath ?file }} }} }}"""):
            out[r["m"]] = {"file": r["file"], "start": int(r["start"]), "end": int(r["end"])}
    return out


def _match_district(name: str | None, code: str, label: str, short: str | None) -> bool:
    """The same rule as the named queries' ``district`` parameter: name, short name or code, exactly."""
    return name is None or name in (code, label, short)


def audit(store, base: str, district: str | None = None, plan: str | None = None) -> dict:
    """The audit as a plain dict (the stable JSON form)."""
    from policykg.loaders.followup import METHOD, THRESHOLD, measures_of, score_pairs

    mint = Minter(base)
    districts = _rows(store, """SELECT ?d ?name ?code (SAMPLE(?alt) AS ?short) (SAMPLE(?in) AS ?city) WHERE {
                                ?d a pkg:District ; skos:prefLabel ?name ; pkg:gbCode ?code OPTIONAL { ?d skos:altLabel ?alt }
                                OPTIONAL { ?d pkg:within ?in } }
                                GROUP BY ?d ?name ?code ORDER BY ?code""")
    # with a district given, every query below starts from it (and from its plans), not from the whole store
    scope = ""
    if district is not None:
        scope = "VALUES ?d { " + " ".join(_t(d["d"]) for d in districts
                                          if _match_district(district, d["code"], d["name"], d["short"])) + " } "
    plans = _rows(store, """SELECT ?plan ?title ?d ?number ?city ?by WHERE { """ + scope + """?plan pkg:district ?d ; dct:title ?title ;
                              pkg:documentType ?t . FILTER(?t IN (pkgdt:action-plan, pkgdt:implementation-plan, pkgdt:plan))
                              OPTIONAL { ?plan pkg:promulgatedBy/eli:id_local ?number }
                              OPTIONAL { ?plan pkg:followsPlan ?city . OPTIONAL { ?plan pkg:candidateBy ?by } } } ORDER BY ?plan""")
    cross = _rows(store, """SELECT ?plan ?title ?d ?number ?city WHERE { """ + scope + """?plan pkg:district ?d ; dct:title ?title ;
                              pkg:comparedWithPlan ?city . OPTIONAL { ?plan pkg:promulgatedBy/eli:id_local ?number } } ORDER BY ?plan""")
    for c in cross:
        c["by"] = "cross-plan"
    own = " ".join(sorted({_t(p["plan"]) for p in plans}))
    plan_scope = f"VALUES ?x {{ {own} }} " if district is not None else ""
    def city_plans(scope: str) -> dict:
        return {r["plan"]: r for r in _rows(store, """SELECT ?plan ?title ?number WHERE { """ + scope + """?x pkg:followsPlan|pkg:comparedWithPlan ?plan .
                   ?plan dct:title ?title . OPTIONAL { ?plan eli:id_local ?own } OPTIONAL { ?plan pkg:promulgatedBy/eli:id_local ?issuing }
                   BIND(COALESCE(?own, ?issuing) AS ?number) }""")}

    city_info = city_plans(plan_scope)
    if plan is not None:
        chosen = {k for k, v in city_info.items() if plan in (v["number"], k, v["title"])}
        if not chosen and plan_scope:  # a city plan the district does not answer: known from the other districts
            city_info = city_plans("")
            chosen = {k for k, v in city_info.items() if plan in (v["number"], k, v["title"])}
        if not chosen:
            raise QueryError(f"no city plan answered by a district plan has number or title {plan!r}", "audit")
    else:
        chosen = set(city_info)
    doc_scope = f"VALUES ?doc {{ {own} }} " if district is not None else ""
    bases = {r["doc"]: r["title"] for r in _rows(store, """SELECT ?doc ?title WHERE { """ + doc_scope + """?doc eli:based_on ?a . ?a dct:title ?title
                                                             FILTER NOT EXISTS { ?a pkg:resolvesTo ?x } }""")}
    report = {
        "auditVersion": AUDIT_VERSION,
        "method": METHOD,
        "threshold": THRESHOLD,
        "cityPlans": [{"plan": k, "title": city_info[k]["title"], "number": city_info[k]["number"]} for k in sorted(chosen)],
        "districts": [],
        "districtsWithOtherPlans": [],
        "districtsWithoutPlan": [],
        "crossPlan": [],
    }
    measures_cache: dict[str, list] = {}
    # the cities of the audited plans: a district of another city neither lacks a plan nor answers another one here
    audited_cities = {r["place"] for r in _rows(store, "SELECT ?place WHERE { VALUES ?plan { " + " ".join(
        _t(k) for k in sorted(chosen)) + " } ?plan pkg:place ?place }")} if chosen else set()

    def measures(doc):
        if doc not in measures_cache:
            measures_cache[doc] = measures_of(store, doc)
        return measures_cache[doc]

    for d in districts:
        if not _match_district(district, d["code"], d["name"], d["short"]):
            continue
        own = [p for p in plans if p["d"] == d["d"]]
        answering = [p for p in own if p["city"] in chosen]
        if not answering and audited_cities and d["city"] and d["city"] not in audited_cities:
            continue
        if not own:
            report["districtsWithoutPlan"].append({"district": d["name"], "code": d["code"]})
            continue
        compared = [c for c in cross if c["d"] == d["d"] and c["city"] in chosen]
        cross_entries = {}
        for city_plan in sorted({c["city"] for c in compared}):
            dplans = sorted({c["plan"] for c in compared if c["city"] == city_plan})
            entry = _district_entry(store, mint, d, city_plan, dplans, compared, measures, score_pairs, THRESHOLD)
            entry["relation"] = "cross-plan"
            cross_entries[city_plan] = entry
        if not answering:
            report["districtsWithOtherPlans"].append({
                "district": d["name"], "code": d["code"],
                "plans": [{"plan": p["plan"], "title": p["title"], "number": p["number"],
                           "basisNotInStore": bases.get(p["plan"])} for p in {p["plan"]: p for p in own}.values()],
                "comparedWith": sorted(cross_entries),
            })
        for city_plan in sorted({p["city"] for p in answering}):
            dplans = sorted({p["plan"] for p in answering if p["city"] == city_plan})
            entry = _district_entry(store, mint, d, city_plan, dplans, answering, measures, score_pairs, THRESHOLD)
            entry["relation"] = "answers"
            covered = {}
            for link in cross_entries.get(city_plan, {}).get("links", []):
                covered.setdefault(link["cityMeasure"], []).append(
                    {k: link[k] for k in ("districtMeasure", "districtPath", "districtText", "score")})
            for g in entry["gaps"]:
                g["coveredCrossPlan"] = covered.get(g["cityMeasure"], [])
            report["districts"].append(entry)
        report["crossPlan"] += [cross_entries[k] for k in sorted(cross_entries)]
    _with_reviews(store, report)
    return report


def _district_entry(store, mint, d, city_plan, dplans, answering, measures, score_pairs, threshold) -> dict:
    links = _rows(store, f"""SELECT ?dm ?cm ?score ?section WHERE {{ ?f pkg:districtMeasure ?dm ; pkg:cityMeasure ?cm ; pkg:score ?score ;
                              pkg:matchingSection ?section . ?dm pkg:inDocument ?p . ?cm pkg:inDocument {_t(city_plan)} .
                              VALUES ?p {{ {" ".join(_t(x) for x in dplans)} }} }}""")
    evidence: dict[tuple, list] = {}
    for r in _rows(store, f"""SELECT ?dm ?cm ?e WHERE {{ ?f pkg:districtMeasure ?dm ; pkg:cityMeasure ?cm ; pkg:evidence ?e .
                               ?cm pkg:inDocument {_t(city_plan)} }}"""):
        evidence.setdefault((r["dm"], r["cm"]), []).append(r["e"])
    city = measures(city_plan)
    district_measures = [m for p in dplans for m in measures(p)]
    by_iri = {m.iri: m for m in city + district_measures}
    followed = {r["cm"] for r in links}
    sources = _sources(store, mint.meta_graph, [m.iri for m in city] + [m.iri for m in district_measures])
    # for every gap: the closest district measure and its score, which fell short of the threshold
    gaps_idx = [j for j, c in enumerate(city) if c.iri not in followed]
    closest: dict[str, tuple] = {}
    if gaps_idx and district_measures:
        scores = score_pairs(district_measures, [city[j] for j in gaps_idx])
        for k, j in enumerate(gaps_idx):
            i = max(range(len(district_measures)), key=lambda i: scores[i][k])
            closest[city[j].iri] = (district_measures[i], round(scores[i][k], 4))
    sections: dict[str, dict] = {}
    for c in city:
        s = sections.setdefault(c.section, {"section": c.section, "heading": c.heading, "followed": 0, "total": 0,
                                           "notApplicable": 0})
        s["total"] += 1
        s["followed"] += c.iri in followed
    by_by = next((p["by"] for p in answering if p["city"] == city_plan and p["by"]), None)
    entry = {
        "district": d["name"], "code": d["code"], "cityPlan": city_plan,
        "plans": [{"plan": p, "title": next(a["title"] for a in answering if a["plan"] == p),
                   "number": next((a["number"] for a in answering if a["plan"] == p), None)} for p in dplans],
        "candidateBy": by_by,
        "followed": len(followed), "total": len(city),
        "sections": list(sections.values()),
        "links": [],
        "gaps": [],
        "notApplicable": [],
    }
    for r in sorted(links, key=lambda r: (_order(city, r["cm"]), r["dm"])):
        dm, cm = by_iri.get(r["dm"]), by_iri.get(r["cm"])
        entry["links"].append({
            "cityMeasure": r["cm"], "cityPath": cm.path if cm else None, "cityText": cm.text if cm else None,
            "section": cm.heading if cm else None,
            "districtMeasure": r["dm"], "districtPath": dm.path if dm else None, "districtText": dm.text if dm else None,
            "score": float(r["score"]), "evidence": sorted(evidence.get((r["dm"], r["cm"]), []), key=lambda e: (-len(e), e)),
            "citySource": sources.get(r["cm"]), "districtSource": sources.get(r["dm"]),
        })
    elsewhere = _addressed_elsewhere(store, d["d"], [c.iri for c in city if c.iri not in followed])
    for c in city:
        if c.iri in followed:
            continue
        if c.iri in elsewhere:  # addressed to places outside this district: not applicable here, not a gap
            entry["notApplicable"].append({
                "cityMeasure": c.iri, "cityPath": c.path, "cityText": c.text, "section": c.heading,
                "citySource": sources.get(c.iri), "placesNamed": elsewhere[c.iri],
            })
            sections[c.section]["notApplicable"] += 1
            continue
        near = closest.get(c.iri)
        reason = None
        if near:
            # a district measure close enough on its own may follow up another city measure more closely
            reason = "below-threshold" if near[1] < threshold else "closer-match-elsewhere"
        entry["gaps"].append({
            "cityMeasure": c.iri, "cityPath": c.path, "cityText": c.text, "section": c.heading,
            "citySource": sources.get(c.iri),
            "closestDistrictMeasure": near[0].iri if near else None,
            "closestDistrictText": near[0].text if near else None,
            "closestScore": near[1] if near else None,
            "gapReason": reason,
        })
    return entry


def _addressed_elsewhere(store, district: str, measures: list[str]) -> dict[str, list[dict]]:
    """The city measures (of ``measures``) addressed to places outside ``district`` — the rule of
    :func:`policykg.loaders.summary.addressed_elsewhere`, which the build materialises as ``pkg:notApplicableIn`` —
    each with the places it names and the districts they lie in."""
    from policykg.loaders.summary import addressed_elsewhere, addressed_places

    out = {}
    for cm, named in addressed_places(store, measures).items():
        if addressed_elsewhere(named, district):
            out[cm] = [{"place": pl, "name": p["name"], "districts": sorted(p["districts"].values()),
                        "inHeading": p.get("inHeading", False)} for pl, p in sorted(named.items())]
    return out


# ---------------------------------------------------------------------- reviews (policykg/review.py)
LINK_REJECTED = "link-rejected-by-review"


def _with_reviews(store, report: dict) -> None:
    """The auditors' verdicts (``graph/reviews``): every link, gap and not-applicable item gains ``review`` (or
    None); a city measure whose every link was rejected becomes a gap (``gapReason`` link-rejected-by-review);
    each entry and section gains ``followedAfterReview``, the entry ``gapsAfterReview`` and ``reviewed``.
    The matcher's own figures (``followed``, ``sections[].followed``) are left as they are."""
    from policykg.loaders.followup import _path_order
    from policykg.review import reviews

    every = reviews(store) if report["districts"] else []
    links = {(r.district_measure, r.city_measure): r.summary() for r in every if r.district_measure}
    codes = {}
    if any(not r.district_measure for r in every):
        codes = {r["code"]: r["d"] for r in _rows(store, "SELECT ?d ?code WHERE { ?d a pkg:District ; pkg:gbCode ?code }")}
    for e in report["districts"]:
        gaps = {r.city_measure: r.summary() for r in every if not r.district_measure and r.district == codes.get(e["code"])}
        by_city: dict[str, list] = {}
        for l in e["links"]:
            l["review"] = links.get((l["districtMeasure"], l["cityMeasure"]))
            by_city.setdefault(l["cityMeasure"], []).append(l)
        for g in e["gaps"] + e["notApplicable"]:
            g["review"] = gaps.get(g["cityMeasure"])
        followed = {cm for cm, ls in by_city.items() if any(not _rejected(l) for l in ls)}
        added = []
        for cm, ls in by_city.items():
            if cm in followed:
                continue
            best = max(ls, key=lambda l: (l["score"], l["districtMeasure"]))  # the closest, though rejected
            added.append({"cityMeasure": cm, "cityPath": best["cityPath"], "cityText": best["cityText"],
                          "section": best["section"], "citySource": best["citySource"],
                          "closestDistrictMeasure": best["districtMeasure"], "closestDistrictText": best["districtText"],
                          "closestScore": best["score"], "gapReason": LINK_REJECTED, "review": gaps.get(cm)})
        if added:
            e["gaps"] = sorted(e["gaps"] + added, key=lambda g: _path_order(g["cityPath"] or ""))
        covered = followed | {g["cityMeasure"] for g in e["gaps"] + e["notApplicable"] if _rejected(g)}
        e["followedAfterReview"] = len(covered)
        e["gapsAfterReview"] = sum(not _rejected(g) for g in e["gaps"])
        e["reviewed"] = {key: {v: sum(1 for x in e[key] if x["review"] and x["review"]["verdict"] == v)
                               for v in ("accepted", "rejected")} for key in ("links", "gaps", "notApplicable")}
        sections = sorted((s["section"] for s in e["sections"]), key=len, reverse=True)
        after = dict.fromkeys(sections, 0)
        for cm in covered:
            home = next((s for s in sections if cm.startswith(s + "__") or cm.startswith(s + "/")), None)
            if home is not None:
                after[home] += 1
        for s in e["sections"]:
            s["followedAfterReview"] = after[s["section"]]


def _rejected(item: dict) -> bool:
    return bool(item.get("review")) and item["review"]["verdict"] == "rejected"


def _review_text(rev: dict | None) -> str:
    """``rejected by 张三, 2024-06-01T08:30:00Z: reason`` (empty when there is no review)."""
    if not rev:
        return ""
    return f"{rev['verdict']} by {rev['reviewer']}, {rev['created']}" + (f": {rev['reason']}" if rev.get("reason") else "")


def _after_review(e: dict) -> str | None:
    """The entry's figures after review, in words; None when nothing in it was reviewed."""
    n = {k: sum(v.values()) for k, v in e.get("reviewed", {}).items()}
    if not any(n.values()):
        return None
    return (f"after review: {e['followedAfterReview']} of {e['total']} followed up, {e['gapsAfterReview']} gap(s) open; "
            f"reviewed {n['links']} link(s), {n['gaps']} gap(s), {n['notApplicable']} not applicable")


def _entry_title(e: dict) -> str:
    """``杨浦区 (310110): 91 of 157 city measures followed up``, or the cross-plan form."""
    if e.get("relation") == "cross-plan":
        return (f"{e['district']} ({e['code']}), cross-plan: {e['followed']} of {e['total']} city measures covered by a plan "
                "answering another city plan")
    return f"{e['district']} ({e['code']}): {e['followed']} of {e['total']} city measures followed up"


def _places_named(g: dict) -> list[str]:
    """``临港新片区 (lies in 奉贤区、浦东新区、闵行区)`` for each place a not-applicable measure names."""
    return [(p["name"] if p["districts"] == [p["name"]] else f"{p['name'] or p['place']} (lies in {'、'.join(p['districts'])})")
            + (" — in its section heading" if p.get("inHeading") else "") for p in g["placesNamed"]]


def _order(city, iri):
    return next((k for k, c in enumerate(city) if c.iri == iri), 10**6)


# ---------------------------------------------------------------------- renderings
def as_json(report: dict) -> str:
    return json.dumps(report, ensure_ascii=False, indent=2, sort_keys=False)


def _pad(text: str, width: int) -> str:
    """Pad to a display width (a Chinese character takes two columns)."""
    import unicodedata

    w = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - w)


def as_text(report: dict) -> str:
    lines = [f"Follow-up audit (method {report['method']}, threshold {report['threshold']})"]
    for cp in report["cityPlans"]:
        lines.append(f"city plan: {cp['title']} ({cp['number'] or 'no number'})")
    for e in report["districts"] + report.get("crossPlan", []):
        cross = e.get("relation") == "cross-plan"
        lines.append("")
        lines.append(f"== {_entry_title(e)}")
        if _after_review(e):
            lines.append(f"   {_after_review(e)}")
        for p in e["plans"]:
            lines.append(f"   plan: {p['title']} ({p['number'] or 'no number'}); matched because: {e['candidateBy']}")
        lines.append("   by section:")
        for s in e["sections"]:
            bar = "#" * s["followed"] + "." * (s["total"] - s["followed"])
            name = s["heading"] or s["section"].rsplit("/", 1)[-1]
            lines.append(f"     {_pad(name, 44)} {s['followed']:>3}/{s['total']:<3} {bar}")
        lines.append(f"   not covered ({len(e['gaps'])}): city measures the plan does not cover" if cross else
                     f"   gaps ({len(e['gaps'])}): city measures with no follow-up")
        for g in e["gaps"]:
            lines.append(f"     - [{g['cityPath']}] {g['cityText']}")
            if g["closestDistrictText"]:
                why = (f"score {g['closestScore']:.2f} < {report['threshold']}" if g["gapReason"] == "below-threshold"
                       else f"score {g['closestScore']:.2f}, but it follows up another city measure more closely")
                if g["gapReason"] == LINK_REJECTED:
                    why = f"score {g['closestScore']:.2f}, but a reviewer rejected the link"
                lines.append(f"         closest district measure ({why}): {g['closestDistrictText']}")
            for c in g.get("coveredCrossPlan") or []:
                lines.append(f"         covered by a plan answering another city plan ({c['score']:.2f}): {c['districtText']}")
            if g.get("review"):
                lines.append(f"         review of the gap: {_review_text(g['review'])}")
        if e["notApplicable"]:
            lines.append(f"   not applicable here ({len(e['notApplicable'])}): city measures addressed to places outside {e['district']}")
            for g in e["notApplicable"]:
                lines.append(f"     o [{g['cityPath']}] {g['cityText']}")
                lines.append("         names " + "; ".join(_places_named(g) ))
                if g.get("review"):
                    lines.append(f"         review of the gap: {_review_text(g['review'])}")
        lines.append(f"   cross-plan links ({len(e['links'])})" if cross else f"   follow-ups ({len(e['links'])})")
        for l in e["links"]:
            lines.append(f"     + [{l['cityPath']}] {l['cityText']}")
            lines.append(f"       ← [{l['districtPath']}] {l['districtText']}")
            lines.append(f"         score {l['score']:.2f}; shared: {'、'.join(l['evidence']) or '—'}")
            if l.get("review"):
                lines.append(f"         review of the link: {_review_text(l['review'])}")
    if report["districtsWithOtherPlans"]:
        lines.append("")
        lines.append("Districts whose plan in the store answers another city plan:")
        for e in report["districtsWithOtherPlans"]:
            for p in e["plans"]:
                why = f"; its basis 《{p['basisNotInStore']}》 is not in the store" if p.get("basisNotInStore") else ""
                lines.append(f"  {e['district']} ({e['code']}): {p['title']}{why}")
            if e.get("comparedWith"):
                lines.append("    compared cross-plan with the current city plan (above)")
    if report["districtsWithoutPlan"]:
        lines.append("")
        lines.append("Districts with no plan in the store (no data — not the same as no follow-up):")
        lines.append("  " + "、".join(f"{e['district']}({e['code']})" for e in report["districtsWithoutPlan"]))
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ["district", "code", "status", "cityPath", "section", "cityText", "districtPath", "districtText", "score",
               "evidence", "cityFile", "cityStart", "cityEnd", "review", "reviewer", "reviewCreated", "reviewReason"]


def _review_cells(item: dict) -> list:
    rev = item.get("review") or {}
    return [rev.get("verdict"), rev.get("reviewer"), rev.get("created"), rev.get("reason")]


def as_csv(report: dict) -> str:
    out = io.StringIO()
    from policykg.csvsafe import cell

    writer = csv.writer(out)

    def row(values):  # spreadsheet-safe cells (policykg/csvsafe.py)
        writer.writerow([cell(v) for v in values])

    row(CSV_COLUMNS)
    for e in report["districts"] + report.get("crossPlan", []):
        cross = e.get("relation") == "cross-plan"
        for l in e["links"]:
            src = l["citySource"] or {}
            row([e["district"], e["code"], "covered-cross-plan" if cross else "followed", l["cityPath"], l["section"], l["cityText"], l["districtPath"],
                        l["districtText"], f"{l['score']:.4f}", "、".join(l["evidence"]), src.get("file"), src.get("start"), src.get("end")]
                + _review_cells(l))
        for g in e["gaps"]:
            src = g["citySource"] or {}
            row([e["district"], e["code"], "not-covered-cross-plan" if cross else "gap", g["cityPath"], g["section"], g["cityText"], "", g["closestDistrictText"] or "",
                        f"{g['closestScore']:.4f}" if g["closestScore"] is not None else "", "", src.get("file"), src.get("start"), src.get("end")]
                + _review_cells(g))
        for g in e["notApplicable"]:
            src = g["citySource"] or {}
            row([e["district"], e["code"], "not-applicable-cross-plan" if cross else "not-applicable", g["cityPath"], g["section"], g["cityText"], "", "", "",
                 "; ".join(_places_named(g)), src.get("file"), src.get("start"), src.get("end")] + _review_cells(g))
    for e in report["districtsWithOtherPlans"]:
        row([e["district"], e["code"], "other-plan"] + [""] * (len(CSV_COLUMNS) - 3))
    for e in report["districtsWithoutPlan"]:
        row([e["district"], e["code"], "no-plan"] + [""] * (len(CSV_COLUMNS) - 3))
    return out.getvalue()


def as_html(report: dict) -> str:
    esc = html.escape
    parts = ["""<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>Follow-up audit</title>
<style>
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC",sans-serif;margin:2em;color:#222;max-width:60em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:2px solid #444;margin-top:2em;page-break-before:always}
h2:first-of-type{page-break-before:auto}table{border-collapse:collapse;width:100%;margin:.5em 0}
td,th{border:1px solid #bbb;padding:.25em .5em;vertical-align:top;font-size:.9em}th{background:#eee;text-align:left}
.bar{display:inline-block;height:.8em;background:#3a7}.gap{background:#fff3f0}.score{white-space:nowrap}
.muted{color:#777;font-size:.85em}.crossplan{color:#35a}h2.cross{border-bottom-style:dashed}@media print{body{margin:1cm}a{color:inherit;text-decoration:none}}
</style></head><body>"""]
    parts.append(f"<h1>Follow-up audit</h1><p class='muted'>Method {esc(report['method'])}, threshold {report['threshold']}.</p>")
    for cp in report["cityPlans"]:
        parts.append(f"<p>City plan: <b>{esc(cp['title'])}</b> ({esc(cp['number'] or 'no number')})</p>")
    for e in report["districts"] + report.get("crossPlan", []):
        cross = e.get("relation") == "cross-plan"
        parts.append(f"<h2{' class=cross' if cross else ''}>{esc(_entry_title(e))}</h2>")
        if _after_review(e):
            parts.append(f"<p class='reviewed'>{esc(_after_review(e))}</p>")
        for p in e["plans"]:
            parts.append(f"<p>Plan: {esc(p['title'])} ({esc(p['number'] or 'no number')}); matched by {esc(e['candidateBy'] or '')}</p>")
        parts.append("<table><tr><th>Section</th><th>Followed</th><th>Total</th><th></th></tr>")
        for s in e["sections"]:
            w = int(200 * s["followed"] / s["total"]) if s["total"] else 0
            parts.append(f"<tr><td>{esc(s['heading'] or '')}</td><td>{s['followed']}</td><td>{s['total']}</td>"
                         f"<td><span class='bar' style='width:{w}px'></span></td></tr>")
        parts.append("</table>")
        title = "City measures the plan does not cover" if cross else "City measures with no follow-up"
        parts.append(f"<h3>{title} ({len(e['gaps'])})</h3><table><tr><th>City measure</th><th>Closest district measure (score)</th><th>Review</th></tr>")
        for g in e["gaps"]:
            near = f"{esc(g['closestDistrictText'])} <span class='score'>({g['closestScore']:.2f})</span>" if g["closestDistrictText"] else "—"
            if g["gapReason"] == LINK_REJECTED:
                near += " <span class='muted'>(a reviewer rejected this link)</span>"
            for c in g.get("coveredCrossPlan") or []:
                near += (f"<br><span class='crossplan'>covered by a plan answering another city plan: {esc(c['districtText'])} "
                         f"<span class='score'>({c['score']:.2f})</span></span>")
            parts.append(f"<tr class='gap'><td><span class='muted'>{esc(g['cityPath'])} · {esc(g['section'] or '')}</span><br>{esc(g['cityText'])}</td><td>{near}</td>"
                         f"<td class='review'>{esc(_review_text(g.get('review')))}</td></tr>")
        if e["notApplicable"]:
            parts.append(f"</table><h3>Not applicable here ({len(e['notApplicable'])})</h3><table><tr><th>City measure</th><th>Addressed to</th><th>Review</th></tr>")
            for g in e["notApplicable"]:
                parts.append(f"<tr class='na'><td><span class='muted'>{esc(g['cityPath'])} · {esc(g['section'] or '')}</span><br>"
                             f"{esc(g['cityText'])}</td><td>{esc('; '.join(_places_named(g)))}</td>"
                             f"<td class='review'>{esc(_review_text(g.get('review')))}</td></tr>")
        parts.append(f"</table><h3>{'Cross-plan links' if cross else 'Follow-ups'} ({len(e['links'])})</h3><table><tr><th>City measure</th><th>District measure</th><th>Score</th><th>Shared phrases</th><th>Review</th></tr>")
        for l in e["links"]:
            parts.append(f"<tr><td><span class='muted'>{esc(l['cityPath'])}</span><br>{esc(l['cityText'])}</td>"
                         f"<td><span class='muted'>{esc(l['districtPath'])}</span><br>{esc(l['districtText'])}</td>"
                         f"<td class='score'>{l['score']:.2f}</td><td>{esc('、'.join(l['evidence']))}</td>"
                         f"<td class='review'>{esc(_review_text(l.get('review')))}</td></tr>")
        parts.append("</table>")
    if report["districtsWithOtherPlans"]:
        parts.append("<h2>Districts whose plan answers another city plan</h2><ul>")
        for e in report["districtsWithOtherPlans"]:
            for p in e["plans"]:
                why = f" — its basis 《{esc(p['basisNotInStore'])}》 is not in the store" if p.get("basisNotInStore") else ""
                parts.append(f"<li>{esc(e['district'])} ({e['code']}): {esc(p['title'])}{why}</li>")
        parts.append("</ul>")
    if report["districtsWithoutPlan"]:
        parts.append("<h2>Districts with no plan in the store</h2><p>No data — not the same as no follow-up.</p><p>")
        parts.append("、".join(f"{esc(e['district'])} ({e['code']})" for e in report["districtsWithoutPlan"]))
        parts.append("</p>")
    parts.append("</body></html>\n")
    return "".join(parts)
