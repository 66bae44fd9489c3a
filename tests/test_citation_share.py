"""The citation-share fit (benchmarks/citation_share.py) recovers a known conditional logit."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from assistant.evidence import FEATURES, candidate_shares
from assistant.settings import PROJECT_ROOT


@pytest.fixture(scope="module")
def citation_share():
    sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))  # it imports open_qa beside it
    spec = importlib.util.spec_from_file_location("citation_share", PROJECT_ROOT / "benchmarks" / "citation_share.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_fit_recovers_the_weights_that_chose_the_gold_sentences(citation_share):
    rng = np.random.default_rng(7)
    truth = np.zeros(len(FEATURES))
    truth[FEATURES.index("cover_sentence")], truth[FEATURES.index("late")] = 3.0, -2.0
    rows = []
    for _ in range(600):
        features = rng.normal(size=(10, len(FEATURES)))
        gold = rng.choice(10, p=candidate_shares(features, truth))
        rows.append({"features": features.tolist(), "gold": [i == gold for i in range(10)]})
    coef = citation_share.fit(rows)
    assert coef[FEATURES.index("cover_sentence")] == pytest.approx(3.0, abs=0.6)
    assert coef[FEATURES.index("late")] == pytest.approx(-2.0, abs=0.6)
    others = [c for i, c in enumerate(coef) if FEATURES[i] not in ("cover_sentence", "late")]
    assert max(abs(c) for c in others) < 0.5
    fitted = citation_share.report(rows, coef, citation_share.load_models()[next(iter(citation_share.load_models()))])
    assert fitted["top_is_gold"]["share"] > 0.5 and fitted["calibration_error"] < 0.05


def test_a_feature_the_shares_do_not_read_keeps_a_zero_coefficient(citation_share):
    """The second encoder's similarity (``use``) chooses the gold sentences here, and still gets 0: the
    shares leave it to retrieval (citation_share.NOT_SHARED)."""
    rng = np.random.default_rng(11)
    truth = np.zeros(len(FEATURES))
    truth[FEATURES.index("use")], truth[FEATURES.index("cover_sentence")] = 3.0, 1.0
    rows = []
    for _ in range(300):
        features = rng.normal(size=(10, len(FEATURES)))
        features[:, FEATURES.index("cross_lingual")] = 1.0  # every candidate across languages: ``use`` counts
        gold = rng.choice(10, p=candidate_shares(features, truth))
        rows.append({"features": features.tolist(), "gold": [i == gold for i in range(10)]})
    coef = citation_share.fit(rows)
    assert citation_share.NOT_SHARED == ("use",)
    assert coef[FEATURES.index("use")] == 0.0
    assert coef[FEATURES.index("cover_sentence")] > 0.2  # still fitted (less surely, without what chose)
