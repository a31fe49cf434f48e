"""policykg: a knowledge graph of government policies.

The package is one import namespace for the repository's folders:
``policykg.loaders`` (write side), ``policykg.queries`` (named SPARQL),
``policykg.ontology``, ``policykg.shapes`` and ``policykg.server``.
Shared pieces live here: settings, errors, IRIs, the store and the CLI.

For notebooks and scripts: ``kg = policykg.open(store)`` (:mod:`policykg.api`; docs/notebook.md).
"""

__version__ = "0.1.0"

from policykg.api import KG, open  # noqa: E402,F401  (the Python API)
