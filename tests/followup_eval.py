"""Follow-up links against the hand labels: precision and recall per label set.

    python tests/followup_eval.py [--store DIR] [--json] [--matching lexical|semantic] [--sets A,B]

Builds the bundled corpus (``corpus/shanghai-2024``) into a temporary store unless ``--store`` names one, and scores
:func:`policykg.loaders.followup.decide` — the matcher the build uses — on every set of
``tests/labels/followups.json`` (links only: every labelled link is required) and ``followups-v3.json`` (``strong``
and ``medium`` links, rule in ``tests/labels/rules-followups.md``).

Counting (per (district measure, city measure) pair, over the labelled district measures of a set only):

* **main** — strong links are the truth; medium links are neutral: a predicted medium link is neither a true nor a
  false positive, a missed one is not a miss;
* **strict** — strong and medium links are both required.

Sets: ``jiading`` was used to choose the first method and its threshold, ``yangpu`` was seen while building the
second; ``jiading_heldout``/``yangpu_heldout`` were labelled before the second method ran on them;
``jiading_rest``/``yangpu_rest``/``xuhui_a``/``xuhui_b`` (v3) were labelled blind before the issue-17 method was written — the
honest figures. ``xuhui_*`` are cross-plan: Xuhui's 2023 plan against the current (2024) city plan.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CITY_TITLE = "上海市坚持对标改革持续打造国际一流营商环境行动方案"
DISTRICT_OF = {"jiading": "嘉定区", "yangpu": "杨浦区", "xuhui": "徐汇区"}
TUNING = ("jiading", "yangpu")


def load_sets() -> dict[str, dict[str, dict[str, set[str]]]]:
    """Set name → district path → {"strong": set, "medium": set}."""
    out: dict = {}
    for name in ("followups.json", "followups-v3.json"):
        data = json.loads((ROOT / "tests" / "labels" / name).read_text(encoding="utf-8"))
        for key, items in data.items():
            if key.startswith("_"):
                continue
            out[key] = {p: ({"strong": set(v), "medium": set()} if isinstance(v, list)
                            else {"strong": set(v["strong"]), "medium": set(v["medium"])}) for p, v in items.items()}
    return out


def district_of(set_name: str) -> str:
    return DISTRICT_OF[set_name.split("_")[0]]


def plans(store) -> tuple[str, dict[str, str]]:
    """The city plan's IRI and district name → its plan's IRI."""
    from policykg.loaders.followup import _plans

    found = _plans(store)
    city = next(p.iri for p in found if p.title == CITY_TITLE)
    return city, {p.district: p.iri for p in found if p.district}


def score(predicted: set[tuple[str, str]], labels: dict[str, dict[str, set[str]]]) -> dict:
    """Main and strict figures of ``predicted`` (district path, city path) pairs against one set's labels."""
    strong = {(d, c) for d, v in labels.items() for c in v["strong"]}
    medium = {(d, c) for d, v in labels.items() for c in v["medium"]}
    pred = {x for x in predicted if x[0] in labels}
    tp, fp, fn = len(pred & strong), len(pred - strong - medium), len(strong - pred)
    stp, sfp, sfn = len(pred & (strong | medium)), len(pred - strong - medium), len((strong | medium) - pred)

    def pr(t, f_pos, f_neg):
        p = t / (t + f_pos) if t + f_pos else 1.0
        r = t / (t + f_neg) if t + f_neg else 1.0
        return round(p, 3), round(r, 3)

    p, r = pr(tp, fp, fn)
    sp, sr = pr(stp, sfp, sfn)
    return {"measures": len(labels), "strong": len(strong), "medium": len(medium), "predicted": len(pred),
            "tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "strictPrecision": sp, "strictRecall": sr,
            "misses": sorted(strong - pred), "wrong": sorted(pred - strong - medium)}


def evaluate(store, how=None, sets: list[str] | None = None) -> dict[str, dict]:
    """Each set's figures; where the store holds auditors' reviews (``policykg review``), the predicted links that
    were reviewed are counted apart (``reviewedAccepted``/``reviewedRejected``) and the figures with the verdicts
    applied — a rejected link dropped, an accepted one kept — are given as ``afterReview``."""
    from policykg.loaders import followup
    from policykg.review import link_verdicts

    how = how or followup.LEXICAL
    verdicts = link_verdicts(store)
    city_iri, district_plans = plans(store)
    city = followup.measures_of(store, city_iri)
    out = {}
    for name, labels in load_sets().items():
        if sets and name not in sets:
            continue
        district = followup.measures_of(store, district_plans[district_of(name)])
        path_of = {m.iri: m.path for m in district + city}
        found = followup.decide(district, city, how=how)
        predicted = {(path_of[f.district_measure], path_of[f.city_measure]) for f in found}
        out[name] = score(predicted, labels)
        mine = {(path_of[f.district_measure], path_of[f.city_measure]): verdicts.get((f.district_measure, f.city_measure))
                for f in found if path_of[f.district_measure] in labels}
        out[name]["reviewedAccepted"] = sum(v == "accepted" for v in mine.values())
        out[name]["reviewedRejected"] = sum(v == "rejected" for v in mine.values())
        if any(mine.values()):
            after = score({k for k in predicted if mine.get(k) != "rejected"}, labels)
            out[name]["afterReview"] = {k: after[k] for k in ("precision", "recall", "strictPrecision", "strictRecall")}
    return out


def build(store_dir: str) -> None:
    from policykg.cli import main

    if main(["build", str(ROOT / "corpus" / "shanghai-2024"), "--store", store_dir, "--no-reason", "--no-progress"]) != 0:
        raise SystemExit("the bundled corpus did not build")


def table(results: dict[str, dict]) -> str:
    lines = ["| set | measures | strong | medium | predicted | P | R | strict P | strict R | reviewed (accepted/rejected) | P, R after review |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, r in results.items():
        tag = " (tuning)" if name in TUNING else ""
        lines.append(f"| {name}{tag} | {r['measures']} | {r['strong']} | {r['medium']} | {r['predicted']} | "
                     f"{r['precision']:.3f} | {r['recall']:.3f} | {r['strictPrecision']:.3f} | {r['strictRecall']:.3f} | "
                     f"{r['reviewedAccepted']}/{r['reviewedRejected']} | "
                     + (f"{r['afterReview']['precision']:.3f}, {r['afterReview']['recall']:.3f} |" if "afterReview" in r else "— |"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", help="a store of the bundled corpus (default: build one in a temporary folder)")
    ap.add_argument("--json", action="store_true", help="the figures as JSON, with every miss and wrong link")
    ap.add_argument("--sets", help="comma-separated set names (default: all)")
    ap.add_argument("--matching", choices=("lexical", "semantic"), default="lexical",
                    help="the matcher to score (semantic needs the semantic extra)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from policykg.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        path = args.store or str(Path(tmp) / "store")
        if not args.store:
            build(path)
        from policykg.loaders.followup import matching

        results = evaluate(Store(path, read_only=True) if args.store else Store(path), how=matching(args.matching),
                           sets=args.sets.split(",") if args.sets else None)
    print(json.dumps(results, ensure_ascii=False, indent=1) if args.json else table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
