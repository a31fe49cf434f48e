"""Pages people look at rather than read: the graph view, the audit view and the document view.

* ``/graph?view=responsibility|followup|legal|full&scope=IRI`` — Cytoscape.js (vendored, no CDN) draws the
  same projection as ``/export?format=cytoscape``; a click on a node opens its entity page (and from there
  its source text). The scope's own node, when the view has it, is outlined (class ``scope``) and centred.
  The follow-up view of the whole store is not drawn: the page links to each district's and document's view.
* ``/audit-view?plan=…`` — districts × sections of the city plan as a coverage matrix (colour = share of the
  section's measures followed up); a click on a cell lists the section's city measures with the district
  measures that follow them up (score, evidence) or the gap and its closest candidate. Data: ``/audit``.
* ``/document?iri=IRI`` — a document's structure tree, each provision's text with, beside it, whether it is
  a measure, its responsible units and roles, its deontic statements and its quantified targets.
* ``/audit?format=json|html|csv|text&district=…&plan=…`` — the follow-up audit report (docs/audit.md).
* ``POST /audit/review`` — an auditor's verdict on a follow-up link or a gap (policykg/review.py), with the update
  token; the audit view's Accept / Reject buttons send it (the token kept in the tab's sessionStorage).
"""
from __future__ import annotations

import html
import json

from flask import Blueprint, Response, current_app, request

from . import error
from .pages import _local, _read_store, backend, report as run_report

bp = Blueprint("views", __name__)

_STYLE = """body{font-family:sans-serif;margin:0}header{padding:.5em 1em;background:#234;color:#fff}
header a{color:#cde;margin-right:.8em}main{padding:1em}.muted{color:#777;font-size:.85em}"""
_NAV = ('<header><b>policykg</b> &nbsp; <a href="/">documents</a><a href="/sparql-editor">SPARQL editor</a><a href="/graph">graph</a>'
        '<a href="/audit-view">audit</a><a href="/queries">named queries</a></header>')


def script_json(value) -> str:
    """JSON to embed in a <script>: ``<``, ``>`` and ``&`` (and the JS line separators) as \\u escapes, so no
    value can close the script element or open a comment or CDATA section."""
    return (json.dumps(value, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("&", "\\u0026").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def nonce() -> str:
    """This response's Content-Security-Policy nonce: only scripts carrying it run (see server/__init__.py)."""
    from flask import g

    return g.csp_nonce


def _common_js(base: str) -> str:
    """Helpers every page script uses: the local address of an entity IRI, HTML escaping."""
    from urllib.parse import urlparse

    return f"""const BASE = {script_json(base)}, BASE_PATH = {script_json(urlparse(base).path or "/")};
function localUrl(iri) {{ return iri.startsWith(BASE) ? BASE_PATH + encodeURI(iri.slice(BASE.length)) : iri; }}
function esc(s) {{ return String(s ?? "").replace(/[&<>"]/g, c => ({{"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}}[c])); }}"""


def _page(title: str, body: str, head: str = "") -> Response:
    return Response(f"""<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{_STYLE}</style>{head}</head><body>{_NAV}<main>{body}</main></body></html>""", mimetype="text/html")


# ---------------------------------------------------------------------- /audit (data)
@bp.get("/audit")
def audit_report():
    from policykg.errors import QueryError
    from policykg.queries import audit as audit_mod

    fmt = request.args.get("format", "json")
    render = {"json": (audit_mod.as_json, "application/json"), "html": (audit_mod.as_html, "text/html"),
              "csv": (audit_mod.as_csv, "text/csv"), "text": (audit_mod.as_text, "text/plain")}
    if fmt not in render:
        return error("bad-request", "format is one of json, html, csv, text", 400)
    if current_app.config.get("ENDPOINT"):  # a remote store: its own server bears the work
        try:
            report = audit_mod.audit(_read_store(), current_app.config["BASE"], request.args.get("district"),
                                     request.args.get("plan"))
        except QueryError as exc:
            return error("not-found", str(exc), 404)
        fn, mime = render[fmt]
        return Response(fn(report), mimetype=f"{mime}; charset=utf-8")
    # in a query worker: the same time, memory and fair-share limits as a query
    result, failed = run_report({"op": "report", "report": "audit", "base_iri": current_app.config["BASE"],
                                 "district": request.args.get("district"), "plan": request.args.get("plan"), "format": fmt})
    if failed:
        return failed
    return Response(result.body, mimetype=f"{render[fmt][1]}; charset=utf-8")


# ---------------------------------------------------------------------- /audit/review (write)
REVIEW_KEYS = ("district", "cityMeasure", "districtMeasure", "verdict", "reviewer", "reason")


def _review_error(message: str, field: str = "", status: int = 400):
    from flask import jsonify

    body = {"error": "bad-request", "message": message}
    if field:
        body["field"] = field
    return jsonify(body), status


@bp.post("/audit/review")
def audit_review():
    """Record an auditor's verdict on a follow-up link or a gap (policykg/review.py): a JSON object with
    ``district`` (name, short name, code or IRI), ``cityMeasure``, ``districtMeasure`` (a link; absent or null for
    a gap), ``verdict`` (accepted|rejected), ``reviewer`` and ``reason`` (optional). Needs the update token, like
    SPARQL Update (403 read-only, 401 without it); written by the read-write worker; 400 names a bad value."""
    from policykg import review

    from .sparql import check_token, run

    refused = check_token("recording a review", "recording a review needs")
    if refused:
        return refused
    if request.mimetype != "application/json":
        return error("unsupported-media-type", "POST the review as application/json: {\"district\": …, \"cityMeasure\": …, "
                                               "\"districtMeasure\": … (a link), \"verdict\": \"accepted\"|\"rejected\", "
                                               "\"reviewer\": …, \"reason\": …}", 415)
    try:
        body = json.loads(request.get_data().decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return _review_error(f"the body is not JSON in UTF-8 ({exc})")
    if not isinstance(body, dict):
        return _review_error("the body must be a JSON object: district, cityMeasure, verdict, reviewer (and districtMeasure "
                             "for a link, reason)")
    unknown = sorted(set(body) - set(REVIEW_KEYS))
    if unknown:
        return _review_error(f"unknown key(s) {', '.join(unknown)}; a review has {', '.join(REVIEW_KEYS)}", unknown[0])
    for key in REVIEW_KEYS:
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            return _review_error(f"{key} must be a string", key)
    try:  # the checks that need no store, before a worker is taken; the others run in the worker
        review.check_verdict(body.get("verdict"))
        review.check_reviewer(body.get("reviewer"))
        review.check_reason(body.get("reason"))
    except review.ReviewError as exc:
        return _review_error(exc.reason, exc.field)
    result, failed = run({"op": "review", "base_iri": current_app.config["BASE"], **{k: body.get(k) for k in REVIEW_KEYS}})
    if failed:
        return failed
    if result.error:
        return _review_error(result.error, result.field, result.status)
    return Response(result.body, mimetype="application/json")


# ---------------------------------------------------------------------- /graph
@bp.get("/graph")
def graph_view():
    from policykg.queries import export

    from .safety import Refused, iri as iri_term

    view, scope = request.args.get("view", "legal"), request.args.get("scope", "")
    if view not in export.VIEWS:
        return error("bad-request", f"view is one of {', '.join(export.VIEWS)}", 400)
    if scope:
        try:
            iri_term(scope, "scope")
        except Refused as exc:
            return error(exc.kind, str(exc), 400)
    options = backend().select("""SELECT ?x ?label ?kind WHERE {
        { ?x a <https://policykg.org/ontology#Document> ; <http://purl.org/dc/terms/title> ?label . BIND("document" AS ?kind) }
        UNION { ?x a <https://policykg.org/ontology#District> ; <http://www.w3.org/2004/02/skos/core#prefLabel> ?label .
                FILTER EXISTS { ?d <https://policykg.org/ontology#district> ?x } BIND("district" AS ?kind) }
        } ORDER BY ?kind ?label""")
    esc = html.escape
    known = {r["x"] for r in options}
    opts = ['<option value="">whole store</option>']
    if scope and scope not in known:
        opts.append(f'<option value="{esc(scope)}" selected>{esc(scope)}</option>')
    opts += [f'<option value="{esc(r["x"])}"{" selected" if r["x"] == scope else ""}>{esc(r["kind"])}: {esc(r["label"])}</option>'
             for r in options]
    views = "".join(f'<option{" selected" if v == view else ""}>{v}</option>' for v in export.VIEWS)
    base = current_app.config["BASE"]
    if view == "followup" and not scope:
        return _page("policykg graph: followup", _followup_choice(opts, views, options))

    body = f"""<form id="controls" method="get" action="/graph">view <select name="view">{views}</select>
 scope <select name="scope" style="max-width:40em">{''.join(opts)}</select>
 <span id="status" class="muted">loading…</span>
 <span class="muted"> · export: <a id="exp-graphml" href="#">GraphML</a> <a id="exp-gexf" href="#">GEXF</a>
 <a id="exp-cy" href="#">Cytoscape.js</a> <a id="exp-dot" href="#">DOT</a></span></form>
<div id="legend" class="muted"></div><div id="graph"></div>
<script src="/static/cytoscape/cytoscape.min.js"></script>
<script nonce="{nonce()}">
{_common_js(base)}
const view = {script_json(view)}, scope = {script_json(scope)}, LIMIT = {GRAPH_NODE_LIMIT};
document.querySelectorAll("#controls select").forEach(s => s.addEventListener("change", () => s.form.submit()));
{_GRAPH_JS}
</script>"""
    head = """<style>#graph{width:100%;height:calc(100vh - 9em);border:1px solid #ccc;margin-top:.5em}
#legend span{display:inline-block;margin-right:1em}#legend i{display:inline-block;width:.8em;height:.8em;border-radius:50%;margin-right:.3em}</style>"""
    return _page(f"policykg graph: {view}", body, head)


def _followup_choice(opts: list[str], views: str, options: list[dict]) -> str:
    """The whole-store follow-up view is not drawn (every district's measures on the city plans' in one
    unreadable tangle): the page offers the view of each district and each plan instead."""
    from urllib.parse import quote

    esc = html.escape
    rows = backend().select("""PREFIX pkg: <https://policykg.org/ontology#>
        PREFIX eli: <http://data.europa.eu/eli/ontology#>
        SELECT DISTINCT ?doc ?district WHERE { ?f a pkg:FollowUp ; pkg:districtMeasure ?dm ; pkg:cityMeasure ?cm .
        ?dm eli:ensures_implementation_of ?cm .  # the follow-up view draws follow-ups proper, not cross-plan links
        ?f pkg:districtMeasure|pkg:cityMeasure ?m . ?m pkg:inDocument ?doc OPTIONAL { ?doc pkg:district ?district } }""")
    with_followups = {r["doc"] for r in rows} | {r["district"] for r in rows if r.get("district")}
    links = "".join(f'<li><a href="/graph?view=followup&amp;scope={esc(quote(r["x"], safe=""))}">{esc(r["label"])}</a></li>'
                    for r in options if r["kind"] == "district" and r["x"] in with_followups)
    plans = "".join(f'<li><a href="/graph?view=followup&amp;scope={esc(quote(r["x"], safe=""))}">{esc(r["label"])}</a></li>'
                    for r in options if r["kind"] == "document" and r["x"] in with_followups)
    return f"""<form id="controls" method="get" action="/graph">view <select name="view">{views}</select>
 scope <select name="scope" style="max-width:40em">{''.join(opts)}</select> <button type="submit">show</button></form>
<div id="refused"><p>The follow-up view of the whole store is not drawn: every district's measures and the city measures they
follow up make one tangle nobody can read. Choose a district (its plans' measures and the city measures they follow up):</p>
<ul id="districts">{links or '<li class="muted">no district has a document in the store</li>'}</ul>
<p>or a document (its measures and their follow-ups):</p><ul id="plans">{plans}</ul>
<p class="muted">The whole view is still available as data: <a href="/export?format=cytoscape&amp;view=followup">Cytoscape.js JSON</a>,
<a href="/export?format=graphml&amp;view=followup">GraphML</a>, <a href="/export?format=gexf&amp;view=followup">GEXF</a>.</p></div>"""


GRAPH_NODE_LIMIT = 2500  # beyond this a browser layout is slow and unreadable: choose a scope or use Gephi
TYPE_COLOURS = {"Agency": "#1f77b4", "GenericRole": "#9ecae1", "Measure": "#2ca02c", "Document": "#ff7f0e",
                "ExternalAct": "#d62728", "Article": "#9467bd", "District": "#8c564b"}

_GRAPH_JS = """
const TYPE_COLOURS = %s;
const PALETTE = ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3", "#ff7f00", "#a65628"];
const query = "view=" + encodeURIComponent(view) + (scope ? "&scope=" + encodeURIComponent(scope) : "");
for (const [id, fmt] of [["exp-graphml", "graphml"], ["exp-gexf", "gexf"], ["exp-cy", "cytoscape"], ["exp-dot", "dot"]])
  document.getElementById(id).href = "/export?format=" + fmt + "&" + query;
const status = document.getElementById("status");
fetch("/export?format=cytoscape&" + query).then(r => {
  if (!r.ok) return r.json().then(e => { throw new Error(e.message); });
  return r.json();
}).then(doc => {
  const els = doc.elements, n = els.nodes.length;
  if (n > LIMIT) {
    status.textContent = n + " nodes: too many to draw here — choose a scope, or export the view to Gephi or Cytoscape.";
    window.policykgGraphReady = true;
    return;
  }
  const districts = [...new Set(els.nodes.map(x => x.data.district).filter(d => d && d !== "city"))].sort();
  const districtColour = Object.fromEntries(districts.map((d, i) => [d, PALETTE[i %% PALETTE.length]]));
  for (const x of els.nodes) {
    const d = x.data;
    d.colour = view === "followup" ? (districtColour[d.district] || "#777") : (TYPE_COLOURS[d.type] || "#999");
  }
  const viewEdges = els.edges.length;
  // documents as hubs rather than compound boxes: a force layout draws those badly
  for (const x of els.nodes) if (x.data.parent) {
    els.edges.push({ data: { id: "in-" + x.data.id, source: x.data.id, target: x.data.parent, relation: "in-document", grouping: true } });
    delete x.data.parent;
  }
  for (const x of els.edges) {
    const d = x.data;
    d.elabel = d.role || (d.score !== undefined ? Number(d.score).toFixed(2) : d.relation) || "";
  }
  const legend = view === "followup" ? [["city", "#777"], ...districts.map(d => [d, districtColour[d]])]
    : [...new Set(els.nodes.map(x => x.data.type))].sort().map(t => [t, TYPE_COLOURS[t] || "#999"]);
  document.getElementById("legend").innerHTML = legend.map(([k, c]) =>
    `<span><i style="background:${c}"></i>${esc(k)}</span>`).join("");
  window.cy = cytoscape({
    container: document.getElementById("graph"),
    elements: els,
    wheelSensitivity: 0.3,
    style: [
      { selector: "node", style: { "background-color": "data(colour)", "label": "data(label)", "font-size": 8,
          "text-wrap": "ellipsis", "text-max-width": 120, "width": 14, "height": 14 } },
      { selector: "node[type = 'Document'], node[type = 'ExternalAct']", style: { "width": 26, "height": 26, "font-size": 10 } },
      { selector: "edge", style: { "width": 1, "line-color": "#bbb", "target-arrow-color": "#bbb",
          "target-arrow-shape": "triangle", "curve-style": "bezier", "label": "data(elabel)", "font-size": 6,
          "color": "#666" } },
      { selector: "edge[?grouping]", style: { "line-style": "dashed", "line-color": "#f3c89c", "target-arrow-shape": "none",
          "label": "" } },
      { selector: "node:selected", style: { "border-width": 3, "border-color": "#000" } },
      { selector: "node.scope", style: { "border-width": 6, "border-color": "#000", "width": 36, "height": 36,
          "font-size": 13, "font-weight": "bold", "z-index": 10 } },
    ],
    layout: n > 300 ? { name: "concentric", animate: false, minNodeSpacing: 4 }
      : { name: "cose", animate: false, randomize: true, nodeRepulsion: () => 8000, idealEdgeLength: () => 60, componentSpacing: 60, fit: true, padding: 20 },
  });
  cy.on("tap", "node", e => { window.location.href = localUrl(e.target.data("iri")); });
  // the scope's own node (a document, an agency), outlined and in the middle of the view
  const me = scope ? cy.nodes().filter(x => x.data("iri") === scope) : cy.collection();
  status.textContent = n + " nodes, " + viewEdges + " edges · click a node to open it" +
    (me.length ? " · the scope is outlined" : scope ? " · the scope itself is not a node of this view" : "");
  if (me.length) {  // its body in the middle (cy.center would centre its box with the label)
    me.addClass("scope");
    const p = me.position(), z = cy.zoom();
    cy.pan({ x: cy.width() / 2 - p.x * z, y: cy.height() / 2 - p.y * z });
  }
  window.policykgGraphReady = true;
}).catch(e => { status.textContent = "could not load the view: " + e.message; window.policykgGraphReady = true; });
""" % json.dumps(TYPE_COLOURS)


# ---------------------------------------------------------------------- /audit-view
@bp.get("/audit-view")
def audit_view():
    from urllib.parse import urlencode

    plan = request.args.get("plan")
    src = "/audit?" + urlencode({"format": "json", **({"plan": plan} if plan else {})})
    base = current_app.config["BASE"]
    body = f"""<h1>Follow-up audit</h1>
<p class="muted">Rows: districts; columns: sections of the city plan; a cell is the number of the section's city
measures that the district's plan follows up, of all of them (colour: the share); a hatched row marked cross-plan
is a district plan that answers another (earlier) city plan, compared with this one: what it already covers. Click
a cell for the measures, their follow-ups and the gaps. Data: <a href="{html.escape(src)}">{html.escape(src)}</a> (documented in docs/audit.md).</p>
<div id="status" class="muted">loading…</div><div id="matrix"></div><div id="detail"></div>
<script nonce="{nonce()}">
{_common_js(base)}
{_AUDIT_JS.replace("@SRC@", script_json(src))}
</script>"""
    head = """<style>table.m{border-collapse:collapse;font-size:.85em}table.m th,table.m td{border:1px solid #ddd;padding:.3em .4em}
table.m th.sec{writing-mode:vertical-rl;vertical-align:bottom;max-height:12em;font-weight:normal}
table.m td.cell{text-align:center;cursor:pointer;min-width:2.6em}table.m td.cell.on{outline:3px solid #000}
td.none{color:#999;font-style:italic}#detail{margin-top:1.5em;max-width:70em}
#detail li{margin:.4em 0}.gap{color:#a00}.ok{color:#070}.na{color:#777}.crossplan{color:#35a}.score{color:#555;font-size:.85em}
tr.cross th{font-style:italic}tr.cross td.cell{background-image:repeating-linear-gradient(45deg,transparent 0 6px,rgba(0,0,0,.06) 6px 8px)}
.verdict{display:inline-block;margin-left:.4em;padding:0 .4em;border-radius:.5em;font-size:.85em;color:#222}
.verdict.accepted{background:#d5f0d5}.verdict.rejected{background:#f9c0c0}.rv button{font-size:.75em;margin-left:.3em}
form.review-form{margin:.3em 0;padding:.4em;background:#f4f4f4;color:#222;font-size:.85em}.after{font-weight:normal;font-size:.8em}</style>"""
    return _page("policykg audit", body, head)


# raw: its regular expressions are JavaScript's (\D)
_AUDIT_JS = r"""
function colour(share) {  // white (0) to green (1)
  const r = Math.round(255 - 211 * share), g = Math.round(255 - 95 * share), b = Math.round(255 - 211 * share);
  return `rgb(${r},${g},${b})`;
}
let report = null;
// the rows: districts answering the city plan, then (apart, marked cross-plan) district plans answering another
// city plan compared with this one
function withEntries(rep) { rep.entries = rep.districts.concat(rep.crossPlan || []); return rep; }
fetch(@SRC@).then(r => { if (!r.ok) return r.json().then(e => { throw new Error(e.message); }); return r.json(); }).then(rep => {
  report = withEntries(rep);
  const byPlan = {};
  for (const d of rep.entries) (byPlan[d.cityPlan] = byPlan[d.cityPlan] || []).push(d);
  let out = "";
  for (const cp of rep.cityPlans) {
    const rows = byPlan[cp.plan] || [];
    const sections = [];
    for (const d of rows) for (const s of d.sections) if (!sections.some(x => x.section === s.section)) sections.push(s);
    out += `<h2><a href="${esc(localUrl(cp.plan))}">${esc(cp.title)}</a> <span class="muted">${esc(cp.number || "")}</span></h2>`;
    out += `<table class="m"><thead><tr><th>district</th><th>all</th>` +
      sections.map(s => `<th class="sec" title="${esc(s.heading)}">${esc(s.heading)}</th>`).join("") + `</tr></thead><tbody>`;
    rows.forEach(d => {
      const idx = rep.entries.indexOf(d), cross = d.relation === "cross-plan";
      out += `<tr data-district="${esc(d.district)}"${cross ? ` class="cross" title="covered by a plan answering another city plan"` : ""}>` +
        `<th>${esc(d.district)}${cross ? ` <span class="muted">(cross-plan)</span>` : ""}</th>` +
        `<td class="cell" style="background:${colour(d.followed / d.total)}" data-i="${idx}" data-section="">${d.followed}/${d.total}</td>` +
        sections.map(s => {
          const c = d.sections.find(x => x.section === s.section);
          if (!c) return `<td class="none">—</td>`;
          return `<td class="cell" style="background:${colour(c.followed / c.total)}" data-i="${idx}" data-section="${esc(s.section)}"` +
            ` data-heading="${esc(s.heading)}" title="${esc(d.district)} · ${esc(s.heading)}">${c.followed}/${c.total}</td>`;
        }).join("") + `</tr>`;
    });
    out += `</tbody></table>`;
  }
  const other = rep.districtsWithOtherPlans.map(d => `<li>${esc(d.district)}: ` + d.plans.map(p =>
    `<a href="${esc(localUrl(p.plan))}">${esc(p.title)}</a>` + (p.basisNotInStore ? ` (answers ${esc(p.basisNotInStore)}, not in the store)` : "")).join("; ") +
    ((d.comparedWith || []).length ? ` — compared with the current city plan: its cross-plan row above` : "") + `</li>`).join("");
  out += `<h3>Districts whose plan answers another city plan</h3><ul>${other || "<li class='muted'>none</li>"}</ul>`;
  out += `<h3>Districts with no plan in the store</h3><p>${rep.districtsWithoutPlan.map(d => esc(d.district)).join("、") || "none"}</p>`;
  document.getElementById("matrix").innerHTML = out;
  document.getElementById("status").textContent = `method ${rep.method}, threshold ${rep.threshold}`;
  document.querySelectorAll("td.cell").forEach(td => td.addEventListener("click", () => show(td)));
  window.policykgAuditReady = true;
}).catch(e => { document.getElementById("status").textContent = "could not load the audit: " + e.message; window.policykgAuditReady = true; });

function inSection(path, section) { return !section || path === section || path.startsWith(section + "__"); }
function show(td) {
  document.querySelectorAll("td.cell.on").forEach(x => x.classList.remove("on"));
  td.classList.add("on");
  current = td;
  const d = report.entries[Number(td.dataset.i)], section = td.dataset.section, cross = d.relation === "cross-plan";
  const sectionPath = section ? section.slice(d.cityPlan.length + 1) : "";
  const items = [];
  const city = [], byIri = {};
  const entry = (iri, path, text) => byIri[iri] || (byIri[iri] = city[city.push({iri, path, text, links: []}) - 1]);
  for (const l of d.links) if (inSection(l.cityPath, sectionPath)) entry(l.cityMeasure, l.cityPath, l.cityText).links.push(l);
  for (const g of d.gaps) if (inSection(g.cityPath, sectionPath)) entry(g.cityMeasure, g.cityPath, g.cityText).gap = g;
  for (const g of (d.notApplicable || [])) if (inSection(g.cityPath, sectionPath)) entry(g.cityMeasure, g.cityPath, g.cityText).na = g;
  const num = p => p.split("__").map(x => x.replace(/\D+/g, "").padStart(4, "0")).join(".");
  city.sort((a, b) => num(a.path) < num(b.path) ? -1 : 1);
  const rejected = x => !!(x && x.review && x.review.verdict === "rejected");
  for (const c of city) {
    let html = `<li data-path="${esc(c.path)}" data-iri="${esc(c.iri)}" class="${c.gap ? "gap" : c.na ? "na" : "ok"}"><a href="${esc(localUrl(c.iri))}">${esc(c.path)}</a> ${esc(c.text)}<ul>`;
    if (c.na) {
      html += `<li class="na">not applicable here: names ` + c.na.placesNamed.map(p => `${esc(p.name || p.place)} (lies in ${esc(p.districts.join("、"))})` + (p.inHeading ? " — in its section heading" : "")).join("; ") +
        verdictHtml(c.na.review) + `</li>`;
    }
    for (const l of c.links) html += `<li class="ok link" data-dm="${esc(l.districtMeasure)}">${cross ? "covered (cross-plan) by" : "followed by"} <a href="${esc(localUrl(l.districtMeasure))}">${esc(l.districtPath)}</a> ${esc(l.districtText)}` +
      ` <span class="score">score ${l.score.toFixed(3)}; shared: ${esc(l.evidence.slice(0, 6).join("、"))}</span>` +
      verdictHtml(l.review) + (cross ? "" : reviewButtons(d, c.iri, l.districtMeasure)) + `</li>`;
    if (c.gap) {
      html += `<li class="gap gapline">${cross ? "not covered" : "gap"} (${esc(c.gap.gapReason || "no district measure")})` + (c.gap.closestDistrictMeasure ?
        ` — closest: <a href="${esc(localUrl(c.gap.closestDistrictMeasure))}">${esc(c.gap.closestDistrictText)}</a> <span class="score">score ${c.gap.closestScore}</span>` : "") +
        verdictHtml(c.gap.review) + (cross ? "" : reviewButtons(d, c.iri, null)) + `</li>`;
      for (const x of (c.gap.coveredCrossPlan || []))
        html += `<li class="crossplan">covered by a plan answering another city plan: <a href="${esc(localUrl(x.districtMeasure))}">${esc(x.districtPath)}</a> ${esc(x.districtText)} <span class="score">score ${x.score.toFixed(3)}</span></li>`;
    }
    items.push(html + `</ul></li>`);
  }
  const followed = city.filter(c => c.links.length).length, na = city.filter(c => c.na).length;
  const after = city.filter(c => c.links.some(l => !rejected(l)) || rejected(c.gap) || rejected(c.na)).length;
  const reviewed = city.some(c => c.links.some(l => l.review) || (c.gap && c.gap.review) || (c.na && c.na.review));
  document.getElementById("detail").innerHTML = `<h2>${esc(d.district)} · ${esc(td.dataset.heading || "all sections")}: ` +
    `${followed} of ${city.length} ${cross ? "covered by a plan answering another city plan" : "followed up"}` + (na ? `, ${na} not applicable here` : "") +
    (reviewed ? ` <span class="after">(after review: ${after})</span>` : "") + `</h2>` +
    (cross ? "" : `<p class="muted">Accept or reject a follow-up or a gap: the verdict is kept with your name in graph/reviews (needs the server's update token).</p>`) +
    `<ol id="measures">${items.join("")}</ol>`;
}

// ---------------------------------------------------------------- reviews (POST /audit/review)
let current = null;
function verdictHtml(rev) {
  if (!rev) return "";
  return ` <span class="verdict ${esc(rev.verdict)}">${esc(rev.verdict)} by ${esc(rev.reviewer)}, ${esc(rev.created)}` +
    (rev.reason ? `: ${esc(rev.reason)}` : "") + `</span>`;
}
function reviewButtons(d, cityMeasure, districtMeasure) {
  const data = `data-district="${esc(d.code)}" data-cm="${esc(cityMeasure)}"` + (districtMeasure ? ` data-dm="${esc(districtMeasure)}"` : "");
  return ` <span class="rv"><button type="button" class="rv-btn" data-verdict="accepted" ${data}>Accept</button>` +
    `<button type="button" class="rv-btn" data-verdict="rejected" ${data}>Reject</button></span>`;
}
function reviewForm(btn) {
  const old = document.querySelector("form.review-form");
  if (old) old.remove();
  const form = document.createElement("form");
  form.className = "review-form";
  form.innerHTML = `<b>${esc(btn.dataset.verdict === "rejected" ? "Reject" : "Accept")} this ${btn.dataset.dm ? "follow-up" : "gap"}</b> ` +
    `<label>update token <input type="password" name="token" autocomplete="off" required></label> ` +
    `<label>reviewer <input type="text" name="reviewer" maxlength="200" required></label> ` +
    `<label>reason <input type="text" name="reason" maxlength="2000" size="40"></label> ` +
    `<button type="submit">Send</button> <button type="button" class="cancel">Cancel</button> <span class="rv-msg"></span>`;
  form.token.value = sessionStorage.getItem("policykgUpdateToken") || "";
  form.reviewer.value = sessionStorage.getItem("policykgReviewer") || "";
  form.querySelector(".cancel").addEventListener("click", () => form.remove());
  form.addEventListener("submit", ev => { ev.preventDefault(); sendReview(form, btn); });
  btn.closest("li").appendChild(form);
  (form.token.value ? (form.reviewer.value ? form.reason : form.reviewer) : form.token).focus();
}
function sendReview(form, btn) {
  const msg = form.querySelector(".rv-msg");
  const token = form.token.value.trim(), reviewer = form.reviewer.value.trim();
  sessionStorage.setItem("policykgUpdateToken", token);  // for this tab only: gone when it is closed
  sessionStorage.setItem("policykgReviewer", reviewer);
  const body = {district: btn.dataset.district, cityMeasure: btn.dataset.cm, verdict: btn.dataset.verdict,
                reviewer, reason: form.reason.value.trim() || null};
  if (btn.dataset.dm) body.districtMeasure = btn.dataset.dm;
  msg.textContent = "sending…";
  fetch("/audit/review", {method: "POST", headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
                          body: JSON.stringify(body)})
    .then(r => r.json().then(j => { if (!r.ok) throw new Error(j.message || r.statusText); return j; }))
    .then(saved => {
      const li = btn.closest("li");
      li.querySelectorAll(":scope > .verdict").forEach(x => x.remove());
      li.querySelector(".rv").insertAdjacentHTML("beforebegin", verdictHtml(saved.review));
      form.remove();
      document.getElementById("status").textContent = `saved: ${saved.review.verdict} by ${saved.review.reviewer}`;
      return fetch(@SRC@).then(r => r.json()).then(rep => { report = withEntries(rep); if (current) show(current); });
    })
    .catch(e => {
      if (/token/.test(e.message)) sessionStorage.removeItem("policykgUpdateToken");
      msg.textContent = "not saved: " + e.message;
    })
    .finally(() => { window.policykgReviewDone = true; });
}
document.getElementById("detail").addEventListener("click", ev => {
  const btn = ev.target.closest("button.rv-btn");
  if (btn) reviewForm(btn);
});
"""


# ---------------------------------------------------------------------- /document
PKG = "https://policykg.org/ontology#"


@bp.get("/document")
def document_view():
    from .safety import Refused, iri as iri_term

    iri = request.args.get("iri", "")
    try:
        t = iri_term(iri, "iri")
    except Refused as exc:
        return error(exc.kind, str(exc), 400)
    b = backend()
    meta = b.select(f"""PREFIX pkg: <{PKG}> PREFIX dct: <http://purl.org/dc/terms/> PREFIX eli: <http://data.europa.eu/eli/ontology#>
        SELECT ?title ?type ?date ?number WHERE {{ {t} a pkg:Document ; dct:title ?title .
        OPTIONAL {{ {t} pkg:documentType ?type }} OPTIONAL {{ {t} eli:date_document ?date }}
        OPTIONAL {{ {t} eli:id_local ?number }} }} LIMIT 1""")
    if not meta:
        return error("not-found", f"no document {iri!r} in the store; documents are listed by the named query 'documents'", 404)
    provisions = b.select(f"""PREFIX pkg: <{PKG}>
        SELECT ?p ?path ?num ?heading ?text ?measure WHERE {{ ?p pkg:inDocument {t} ; pkg:path ?path .
        OPTIONAL {{ ?p pkg:number ?num }} OPTIONAL {{ ?p pkg:heading ?heading }} OPTIONAL {{ ?p pkg:text ?text }}
        BIND(EXISTS {{ ?p a pkg:Measure }} AS ?measure) }}""")
    resp = b.select(f"""PREFIX pkg: <{PKG}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?p ?unit ?label ?role ?method WHERE {{ ?p pkg:inDocument {t} ; pkg:hasResponsibility ?r .
        ?r pkg:responsibleUnit ?unit ; pkg:role ?role ; pkg:method ?method . OPTIONAL {{ ?unit skos:prefLabel ?label }} }}
        ORDER BY ?p ?role ?label""")
    deontic = b.select(f"""PREFIX pkg: <{PKG}> PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        SELECT ?p ?s ?modality ?cue ?clause (GROUP_CONCAT(DISTINCT ?bl; separator="、") AS ?bearers) WHERE {{
        ?p pkg:inDocument {t} . ?s pkg:statedIn ?p ; pkg:modality ?modality ; pkg:keyword ?cue ; pkg:clause ?clause .
        OPTIONAL {{ ?s pkg:bearer/skos:prefLabel ?bl }} }} GROUP BY ?p ?s ?modality ?cue ?clause ORDER BY ?p ?s""")
    targets = b.select(f"""PREFIX pkg: <{PKG}>
        SELECT ?p ?t ?clause WHERE {{ ?p pkg:inDocument {t} . ?t a pkg:Target ; pkg:statedIn ?p ; pkg:clause ?clause }}
        ORDER BY ?p ?t""")
    return _page(meta[0]["title"], _document_html(iri, meta[0], provisions, resp, deontic, targets),
                 """<style>.prov{display:grid;grid-template-columns:minmax(20em,3fr) minmax(14em,2fr);gap:1em;
border-top:1px solid #eee;padding:.3em 0}.prov .t{white-space:pre-wrap}.prov h3,.prov h4{margin:.2em 0}
.ann span{display:inline-block;margin:.1em .2em;padding:.05em .4em;border-radius:.6em;font-size:.8em}
.role{background:#dbe9f6}.obligation{background:#fde0c5}.prohibition{background:#f9c0c0}.permission{background:#d5f0d5}
.encouragement{background:#e8dcf3}.right{background:#c9ecf0}.exemption{background:#e6e6e6}.cap{background:#f3e3b8}.target{background:#fff3b0}.measure{background:#2ca02c;color:#fff}
.tree a{color:inherit;text-decoration:none}.path{color:#999;font-size:.75em}</style>""")


def _depth(path: str) -> int:
    return path.count("__")


def _order_key(path: str):
    import re

    return [(re.sub(r"\d+", "", part), int(m.group()) if (m := re.search(r"\d+", part)) else 0) for part in path.split("__")]


def _document_html(iri, meta, provisions, resp, deontic, targets) -> str:
    esc = html.escape
    by = {}
    for kind, rows in (("resp", resp), ("deontic", deontic), ("target", targets)):
        for r in rows:
            by.setdefault(r["p"], {}).setdefault(kind, []).append(r)
    paths = {r["path"] for r in provisions}
    rows = []
    counts = {"measures": 0, "responsibilities": len(resp), "deontic statements": len(deontic), "targets": len(targets)}
    for r in sorted(provisions, key=lambda r: _order_key(r["path"])):
        has_children = any(p.startswith(r["path"] + "__") for p in paths)
        depth, measure = _depth(r["path"]), r.get("measure") == "true"
        counts["measures"] += measure
        ann = by.get(r["p"], {})
        chips = ['<span class="measure">measure</span>'] if measure else []
        chips += [f'<span class="role" title="responsible unit ({esc(x.get("method") or "")})">{esc(x["role"])}: <a href="{esc(_local(x["unit"]))}">{esc(x.get("label") or x["unit"])}</a></span>'
                  for x in ann.get("resp", [])]
        chips += [f'<span class="{esc(x["modality"])}" title="{esc(x["clause"])}">{esc(x["modality"])} 「{esc(x.get("cue") or "")}」'
                  f'{": " + esc(x["bearers"]) if x.get("bearers") else ""}</span>' for x in ann.get("deontic", [])]
        chips += [f'<span class="target" title="quantified target">{esc(x["clause"])}</span>' for x in ann.get("target", [])]
        head = " ".join(x for x in (esc(r.get("num") or ""), esc(r.get("heading") or "")) if x)
        text = "" if has_children and r.get("heading") else esc(r.get("text") or "")
        tag = "h3" if depth == 0 and has_children else "h4" if has_children else "div"
        rows.append(f'<div class="prov" data-path="{esc(r["path"])}" style="padding-left:{depth * 1.5}em">'
                    f'<div><{tag} class="tree"><a href="{esc(_local(r["p"]))}">{head}</a> <span class="path">{esc(r["path"])}</span></{tag}>'
                    f'<div class="t">{text}</div></div><div class="ann">{"".join(chips)}</div></div>')
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    graph = f"/graph?view=responsibility&scope={esc(iri)}"
    return (f'<h1>{esc(meta["title"])}</h1><p class="muted">{esc(meta.get("number") or "")} {esc(meta.get("date") or "")} · '
            f'<a href="{esc(_local(iri))}">all properties</a> · <a href="{graph}">responsibility graph</a> · '
            f'<a href="/graph?view=legal&scope={esc(iri)}">legal links</a></p><p id="summary">{summary}</p>'
            f'<div id="structure">{"".join(rows)}</div>')
