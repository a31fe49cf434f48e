"""The HTTP side: a Flask application serving the store over the SPARQL 1.1 Protocol, safely.

:func:`create_app` takes a config dict (keys below) and registers seven blueprints: :mod:`.sparql` (the
protocol endpoint, also at /query and /update, and its service description), :mod:`.pages` (YASGUI at
/sparql-editor, the named queries, entity pages, exports, health), :mod:`.views` (the graph, audit and document
pages and the audit report), :mod:`.dataout` (the dump, VoID, the Graph Store Protocol's read side) and
:mod:`.browse` (the document list at /, agency pages, labels for people), :mod:`.search` (/search) and
:mod:`.diffpage` (/diff); :mod:`.tables` renders the named queries as HTML tables (``format=html``), and
``policykg serve`` wraps the application in :mod:`.accesslog` (Common Log Format). Queries run in worker processes with a hard time limit (:mod:`.execution`); what would make the
server fetch from elsewhere is refused before execution (:mod:`.safety`). Every error is the same JSON body:
``{"error": kind, "message": …}``.

=================  ==========================================================  ===========
config key         meaning                                                     default
=================  ==========================================================  ===========
STORE              store directory                                             settings
BASE               base IRI of minted resources (entity pages live under its   settings
                   path, e.g. /id/…)
TIMEOUT            seconds a query may run before it is stopped                30
MAX_ROWS           rows (or triples) returned at most; more is cut and said    10000
MAX_QUERY_BYTES    largest query or update accepted                            100000
MAX_BYTES          largest answer (estimated as it is built); more is cut      50000000
                   and said, like the row cap
MAX_MEMORY_MB      address space a query worker may add once the store is     2048
                   open (RLIMIT_AS); a query past it stops that worker (503)
WORKERS            query worker processes                                      2
CLIENT_SHARE       workers one client (remote address) may hold at once        WORKERS - 1
UPDATE_TOKEN       when set, SPARQL Update is accepted with                    None
                   ``Authorization: Bearer <token>`` (one read-write worker)
CORS               Access-Control-Allow-Origin: * on reads                     True
ENDPOINT           a remote SPARQL endpoint to serve instead of the store      None
UPDATE_ENDPOINT    its update endpoint                                         None
REMOTE_USER        user for the remote store's HTTP Basic/Digest challenge     None
REMOTE_PASSWORD    its password                                                None
REMOTE_TIMEOUT     seconds a request to the remote store may take              300
REMOTE_MAX_ROWS    the remote store's own row cap (answers that reach it are   10000
                   fetched again page by page)
DATA_CACHE         folder of the cached dump (/dump.nq.gz), one file per       per store,
                   store generation                                            in temp dir
DATA_LICENSE       the data's licence IRI, stated in the VoID description      CC0 1.0
                   (/void)
SEARCH_INDEX       the search index file (/search, server/search.py)           STORE/search.sqlite
=================  ==========================================================  ===========
"""
from __future__ import annotations

from flask import Flask, g, jsonify, request

from policykg.errors import PolicyKGError, QueryError

DEFAULTS = {"TIMEOUT": 30.0, "MAX_ROWS": 10000, "MAX_QUERY_BYTES": 100_000, "MAX_BYTES": 50_000_000,
            "MAX_MEMORY_MB": 2048, "CLIENT_SHARE": None, "WORKERS": 2, "UPDATE_TOKEN": None,
            "CORS": True, "ENDPOINT": None, "UPDATE_ENDPOINT": None, "DATA_CACHE": None, "DATA_LICENSE": None,
            "REMOTE_USER": None, "REMOTE_PASSWORD": None, "REMOTE_TIMEOUT": 300, "REMOTE_MAX_ROWS": 10000}


#: Endpoints whose response depends on the Accept header (the entity route sets Vary itself: not when a suffix
#: such as ``.ttl`` forces the format). /export and the audit choose their format by a parameter only.
NEGOTIATED = {"sparql.sparql", "sparql.query_endpoint", "sparql.update_endpoint", "pages.run_named",
              "pages.list_queries"}


def error(kind: str, message: str, status: int):
    return jsonify({"error": kind, "message": message}), status


def create_app(config: dict | None = None) -> Flask:
    from policykg.settings import Settings

    app = Flask(__name__, static_folder="static", static_url_path="/static")
    settings = Settings.from_env()
    app.config.update(STORE=str(settings.store), BASE=settings.base, **DEFAULTS)
    if config:
        app.config.update(config)
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_QUERY_BYTES"]) + 10_000
    app.json.ensure_ascii = False

    from . import browse, dataout, diffpage, pages, search, sparql, views
    from .backend import make_backend

    app.extensions["policykg.backend"] = make_backend(app.config)
    app.register_blueprint(sparql.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(views.bp)
    app.register_blueprint(dataout.bp)
    app.register_blueprint(browse.bp)
    app.register_blueprint(diffpage.bp)  # /diff: two editions compared
    app.register_blueprint(search.bp)  # /search, and the search box on every HTML page
    pages.register_entity_route(app)

    @app.errorhandler(PolicyKGError)
    def domain_error(exc: PolicyKGError):
        return jsonify(exc.as_dict()), 400 if isinstance(exc, QueryError) else 500

    for code in (400, 401, 403, 404, 405, 406, 413, 415, 500, 501, 503):
        app.register_error_handler(code, lambda exc, code=code: error(
            getattr(exc, "name", "error").lower().replace(" ", "-"), getattr(exc, "description", str(exc)), code))

    @app.before_request
    def csp_nonce():
        import secrets

        g.csp_nonce = secrets.token_urlsafe(18)

    @app.after_request
    def headers(resp):
        resp.headers["X-Content-Type-Options"] = "nosniff"
        if request.endpoint in NEGOTIATED and "Accept" not in resp.vary:
            resp.vary.add("Accept")  # the body depends on the Accept header: caches must key on it
        if resp.mimetype == "text/html":
            # scripts: our files, and inline scripts carrying this response's nonce; nothing else runs
            resp.headers["Content-Security-Policy"] = (
                f"default-src 'self'; script-src 'self' 'nonce-{getattr(g, 'csp_nonce', 'none')}'; "
                "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
        return resp

    @app.after_request
    def cors(resp):
        if app.config["CORS"] and request.method in ("GET", "POST", "OPTIONS", "HEAD"):
            try:
                form = g.get("protocol_form")  # the SPARQL endpoint's own reading of the body, if it read one
                is_update = request.mimetype == "application/sparql-update" or "update" in (
                    form if form is not None else request.form)
            except Exception:  # an over-long body: the form cannot be read, and this is an error response anyway
                is_update = False
            if not is_update and request.endpoint != "views.audit_review":  # writes are for this origin only
                resp.headers["Access-Control-Allow-Origin"] = "*"
                resp.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept"
                resp.headers["Access-Control-Expose-Headers"] = "X-PolicyKG-Truncated, X-PolicyKG-Row-Limit, X-PolicyKG-Byte-Limit"
        return resp

    return app


def serve(app: Flask, on_listening=None, **options) -> None:
    """Run the application under waitress, with waitress's own refusals (a request line or headers too large:
    431; a body too large; a malformed request) as the same JSON error body as everything else.
    ``on_listening()`` is called once the port is bound, before requests are served; a port that cannot be bound
    (in use, not permitted, an unknown host) is a :class:`PolicyKGError` saying so."""
    import errno
    import json

    from waitress import create_server
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    class JsonErrorTask(ErrorTask):
        def execute(self):
            e = self.request.error
            message = f"{e.reason}: {e.body}" if e.body else e.reason
            if e.code == 431:
                message += f" (the request line and headers may have {self.channel.server.adj.max_request_header_size:,} " \
                           "bytes at most: send a long query with POST)"
            body = json.dumps({"error": e.reason.lower().replace(" ", "-"), "message": message}).encode("utf-8")
            self.status = f"{e.code} {e.reason}"
            self.response_headers.extend([("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff")])
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(body)

    class JsonErrorChannel(HTTPChannel):
        error_task_class = JsonErrorTask

    where = f"{options.get('host', '0.0.0.0')}:{options.get('port', 8080)}"
    try:
        server = create_server(app, **options)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PolicyKGError(f"port {options.get('port')} is in use on {options.get('host')} (another server? "
                                "stop it, or choose another with --port)", kind="usage")
        if exc.errno == errno.EACCES:
            raise PolicyKGError(f"may not listen on {where} (ports below 1024 need privileges): choose another "
                                "--port", kind="usage")
        raise PolicyKGError(f"cannot listen on {where}: {exc.strerror or exc}", kind="usage")
    server.channel_class = JsonErrorChannel
    if on_listening:
        on_listening()
    _warm(app)
    server.run()


def _warm(app: Flask) -> None:
    """Read the document list of ``/`` (and who is in force today) in the background as the server starts, so the
    first visitor does not wait for it (server/browse.py: once per store generation)."""
    import threading

    def run() -> None:
        try:
            with app.app_context():
                from .browse import warm

                warm()
        except Exception as exc:  # the page will read it itself, and say what went wrong
            app.logger.warning("the document list could not be read in advance: %s", exc)

    threading.Thread(target=run, name="policykg-warm", daemon=True).start()
