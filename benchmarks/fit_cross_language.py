"""Fit assistant/languages.v2.json: the language direction, the offset across languages and the hubness.

    python benchmarks/fit_cross_language.py --data ../shared/benchmarks/xquad-r --offset 0.13 --hubness-weight 1

The direction is the mean of (Arabic vector - English vector) over XQuAD-R's parallel paragraphs
of the fit articles (those whose index is 0 or 1 modulo 4: benchmarks/mixed_languages.py reports on
the others), encoded by the bundled model as the store encodes paragraphs. It also prints the median
of how much higher a fit question scores against its paragraph in its own language than against the
same paragraph in the other, for scale. The hubness (assistant/cross_language.py): per question
language, the mean of the fit questions' unit vectors, and the mean cosine to it of the fit records in
the other language (paragraphs and their sentences, as the store holds them). The offset and the
hubness weight are chosen through the whole pipeline by ``benchmarks/mixed_languages.py`` on the fit
questions, and given here.
XQuAD-R (CC BY-SA 4.0) is read from ``--data``, never copied; the file holds only means (384 numbers each).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import load_settings  # noqa: E402
from assistant.cross_language import CALIBRATION_FILE  # noqa: E402
from assistant.embedding import embedding_model_id, load_embed_model  # noqa: E402
from assistant.segmentation import segment, sentences_of  # noqa: E402
from assistant.settings import EmbeddingPrecision  # noqa: E402


def fit_articles(data: Path) -> list[tuple[dict, dict]]:
    """(Arabic article, English article) pairs of the fit half."""
    ar = json.loads((data / "ar.json").read_text(encoding="utf-8"))["data"]
    en = json.loads((data / "en.json").read_text(encoding="utf-8"))["data"]
    return [pair for index, pair in enumerate(zip(ar, en)) if index % 4 in (0, 1)]


def unit(rows: list[list[float]]) -> np.ndarray:
    matrix = np.asarray(rows, dtype=np.float64)
    return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the xquad-r folder (ar.json, en.json)")
    parser.add_argument("--offset", type=float, required=True, help="chosen by benchmarks/mixed_languages.py")
    parser.add_argument("--hubness-weight", type=float, required=True, help="chosen by benchmarks/mixed_languages.py")
    parser.add_argument("--out", type=Path, default=CALIBRATION_FILE)
    args = parser.parse_args()
    settings = load_settings()
    model = load_embed_model(settings)
    paragraphs: dict[str, list[str]] = {"ar": [], "en": []}
    questions: dict[str, list[str]] = {"ar": [], "en": []}
    owner: list[int] = []
    for article_ar, article_en in fit_articles(args.data):
        for paragraph_ar, paragraph_en in zip(article_ar["paragraphs"], article_en["paragraphs"]):
            paragraphs["ar"].append(paragraph_ar["context"])
            paragraphs["en"].append(paragraph_en["context"])
            english = {qa["id"]: qa["question"] for qa in paragraph_en["qas"]}
            for qa in paragraph_ar["qas"]:
                if qa["id"] in english:
                    questions["ar"].append(qa["question"])
                    questions["en"].append(english[qa["id"]])
                    owner.append(len(paragraphs["ar"]) - 1)
    vectors = {lang: unit(model.get_text_embedding_batch(texts)) for lang, texts in paragraphs.items()}
    asked = {lang: unit([model.get_query_embedding(q) for q in texts]) for lang, texts in questions.items()}
    direction = (vectors["ar"] - vectors["en"]).mean(axis=0)
    centroids = {lang: rows.mean(axis=0) for lang, rows in asked.items()}
    records = {lang: np.vstack([vectors[lang], unit(model.get_text_embedding_batch(
        [s.text for text in texts for s in sentences_of(segment(text))]))]) for lang, texts in paragraphs.items()}
    hubness_mean = {lang: float((records[other] @ centroids[lang]).mean()) for lang, other in (("ar", "en"), ("en", "ar"))}
    gaps = np.concatenate([np.sum(asked[lang] * (vectors[lang][owner] - vectors[other][owner]), axis=1)
                           for lang, other in (("ar", "en"), ("en", "ar"))])
    print(f"{len(owner)} fit questions over {len(paragraphs['ar'])} parallel paragraphs: own language scores "
          f"{np.median(gaps):.3f} higher (median); |direction| {np.linalg.norm(direction):.3f}; offset {args.offset}")
    models = [embedding_model_id(settings),
              embedding_model_id(load_settings(embedding_precision=EmbeddingPrecision.INT8))]
    rounded = lambda vector: [round(float(x), 6) for x in vector]  # noqa: E731
    print(f"hubness: mean record cosine to the other language's mean question {hubness_mean}")
    args.out.write_text(json.dumps({"embedding_models": models, "offset": args.offset, "direction": rounded(direction),
                                    "hubness": {"weight": args.hubness_weight,
                                                "mean": {lang: round(v, 6) for lang, v in hubness_mean.items()},
                                                "centroids": {lang: rounded(v) for lang, v in centroids.items()}}},
                                   indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
