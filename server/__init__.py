"""The HTTP side: a Flask application serving the store over the SPARQL 1.1 Protocol.

This first version answers queries (GET ``query=``, POST form-encoded, POST
``application/sparql-query``) with content negotiation for SELECT/ASK results
(JSON, XML, CSV, TSV) and CONSTRUCT/DESCRIBE graphs (Turtle, N-Triples,
RDF/XML, JSON-LD), lists the named queries at ``/queries`` and reports health at
``/healthz``. Updates are not accepted. Every error has the same JSON body:
``{"error": kind, "message": …}``.
"""
from __future__ import annotations

import threading

from flask import Flask, Response, jsonify, request

from policykg.errors import PolicyKGError, QueryError

_RESULT_TYPES = {
    "application/sparql-results+json": "JSON",
    "application/json": "JSON",
    "application/sparql-results+xml": "XML",
    "application/xml": "XML",
    "text/csv": "CSV",
    "text/tab-separated-values": "TSV",
}
_GRAPH_TYPES = {
    "text/turtle": "TURTLE",
    "application/n-triples": "N_TRIPLES",
    "application/rdf+xml": "RDF_XML",
    "application/ld+json": "JSON_LD",
}


def create_app(test_config: dict | None = None) -> Flask:
    from policykg.settings import Settings

    app = Flask(__name__)
    settings = Settings.from_env()
    app.config.update(STORE=str(settings.store), BASE=settings.base, MAX_CONTENT_LENGTH=1 << 20)
    if test_config:
        app.config.update(test_config)

    lock = threading.Lock()

    def get_store():
        """One read-only store handle for the application, opened on first use."""
        from policykg.store import Store

        with lock:
            if "policykg.store" not in app.extensions:
                app.extensions["policykg.store"] = Store(app.config["STORE"], read_only=True)
        return app.extensions["policykg.store"]

    @app.errorhandler(PolicyKGError)
    def domain_error(exc: PolicyKGError):
        status = 400 if isinstance(exc, QueryError) else 500
        return jsonify(exc.as_dict()), status

    @app.errorhandler(404)
    @app.errorhandler(405)
    @app.errorhandler(406)
    @app.errorhandler(413)
    @app.errorhandler(415)
    def http_error(exc):
        return jsonify({"error": exc.name.lower().replace(" ", "-"), "message": exc.description}), exc.code

    @app.get("/healthz")
    def healthz():
        store = get_store()
        return jsonify({"status": "ok", "triples": len(store)})

    @app.get("/queries")
    def queries():
        from policykg import queries as lib

        return jsonify([
            {"name": q.name, "title": q.title, "description": q.description, "params": q.params, "columns": q.columns}
            for q in lib.library()
        ])

    @app.route("/sparql", methods=["GET", "POST"])
    def sparql():
        import pyoxigraph as ox

        if request.method == "GET":
            text = request.args.get("query")
        elif request.mimetype == "application/x-www-form-urlencoded":
            if "update" in request.form:
                return jsonify({"error": "forbidden", "message": "this endpoint is read-only: SPARQL Update is refused"}), 403
            text = request.form.get("query")
        elif request.mimetype == "application/sparql-query":
            text = request.get_data(as_text=True)
        elif request.mimetype == "application/sparql-update":
            return jsonify({"error": "forbidden", "message": "this endpoint is read-only: SPARQL Update is refused"}), 403
        else:
            return jsonify({"error": "unsupported-media-type",
                            "message": f"POST a query as application/x-www-form-urlencoded or application/sparql-query, not {request.mimetype or 'nothing'}"}), 415
        if not text:
            return jsonify({"error": "bad-request", "message": "missing the query parameter"}), 400
        result = get_store().query(text, source="query")
        if isinstance(result, ox.QueryTriples):
            mime = request.accept_mimetypes.best_match(list(_GRAPH_TYPES), default="text/turtle")
            if request.accept_mimetypes and not request.accept_mimetypes.best_match(list(_GRAPH_TYPES)) and "*/*" not in str(request.accept_mimetypes):
                return jsonify({"error": "not-acceptable", "message": f"CONSTRUCT results are available as {', '.join(_GRAPH_TYPES)}"}), 406
            data = result.serialize(format=getattr(ox.RdfFormat, _GRAPH_TYPES[mime]))
            return Response(data, mimetype=mime)
        mime = request.accept_mimetypes.best_match(list(_RESULT_TYPES), default="application/sparql-results+json")
        if request.accept_mimetypes and not request.accept_mimetypes.best_match(list(_RESULT_TYPES)) and "*/*" not in str(request.accept_mimetypes):
            return jsonify({"error": "not-acceptable", "message": f"results are available as {', '.join(_RESULT_TYPES)}"}), 406
        data = result.serialize(format=getattr(ox.QueryResultsFormat, _RESULT_TYPES[mime]))
        return Response(data, mimetype=mime)

    return app
