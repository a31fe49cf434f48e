"""policykg: a knowledge graph of government policies.

The package is one import namespace for the repository's folders:
``policykg.loaders`` (write side), ``policykg.queries`` (named SPARQL),
``policykg.ontology``, ``policykg.shapes`` and ``policykg.server``.
Shared pieces live here: settings, errors, IRIs, the store and the CLI.
"""

__version__ = "0.1.0"
