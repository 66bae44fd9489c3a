"""Where sentence and paragraph vectors come from, measured on XQuAD-R (issue 17, "encode less").

    python benchmarks/late_chunking.py [--data ../shared/benchmarks/xquad-r] [--model-dir .data/models]

Ingest encodes every sentence and every paragraph (two passes over each token). Two ways to pass
each token once, against what ingest does:

* **isolated** (what ingest does): each sentence encoded alone; each paragraph encoded whole;
* **late chunking**: each paragraph encoded once, and each sentence's vector the mean of the token
  states of its own tokens (the encoder's second output, assistant/embedding.py); the paragraph
  vector is the pooled output of the same pass;
* **paragraph = mean of its sentences**: sentences encoded alone, a paragraph's vector the mean of
  its sentences' vectors weighted by their tokens (no paragraph pass);
* **top N layers over the sentences' states**: sentences encoded alone; a paragraph's vector is the
  last N of the encoder's 12 layers run once more over its sentences' states before those layers,
  concatenated (so only the top of the network sees the whole paragraph: N/12 of a paragraph pass).
  The encoder's layers are not in the ONNX export, so this way runs the provisioned BertModel in torch.

Dense similarity only, over the 1,191 sentences of the 240 Arabic paragraphs: recall@1 of the gold
sentence with the sentence's own similarity, and with half of it its paragraph's (the two-stage
retriever's passage share), on all questions and on the held-out (odd) half; paragraph@1 of the
paragraph vectors. The full pipeline's numbers for the chosen way are in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from xquad_r import load_xquad  # noqa: E402

from assistant import load_settings  # noqa: E402
from assistant.embedding import (  # noqa: E402
    E5_PASSAGE_PREFIX,
    E5_QUERY_PREFIX,
    length_batches,
    load_embed_model,
)
from assistant.provision import provision_e5  # noqa: E402
from assistant.settings import PROJECT_ROOT  # noqa: E402


def late_chunked(model, paragraphs: list[str], spans: list[list[tuple[int, int]]]) -> tuple[np.ndarray, np.ndarray]:
    """Paragraph vectors and, in order, the vectors of every span (sentence) of every paragraph,
    pooled over the span's tokens in one pass over its paragraph (truncated at the model's window)."""
    texts = [E5_PASSAGE_PREFIX + p for p in paragraphs]
    encodings = model._tokenizer.encode_batch(texts)  # noqa: SLF001 - the model's own tokenizer
    lengths = [len(e.ids) for e in encodings]
    paragraph_vectors = np.zeros((len(texts), 384), dtype=np.float32)
    span_vectors = [np.zeros((len(s), 384), dtype=np.float32) for s in spans]
    for batch in length_batches(lengths):
        width = lengths[batch[-1]]
        ids = np.full((len(batch), width), model._pad_id, dtype=np.int64)  # noqa: SLF001
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, index in enumerate(batch):
            ids[row, : lengths[index]] = encodings[index].ids
            mask[row, : lengths[index]] = 1
        pooled, states = model._session.run(None, {"input_ids": ids, "attention_mask": mask})  # noqa: SLF001
        for row, index in enumerate(batch):
            paragraph_vectors[index] = pooled[row]
            offsets = np.asarray(encodings[index].offsets).reshape(-1, 2) - len(E5_PASSAGE_PREFIX)
            special = np.asarray(encodings[index].special_tokens_mask, dtype=bool)
            for k, (start, end) in enumerate(spans[index]):
                inside = (offsets[:, 0] < end) & (offsets[:, 1] > start) & ~special
                if inside.any():
                    span_vectors[index][k] = states[row, : lengths[index]][inside].mean(axis=0)
    sentences = np.concatenate(span_vectors)
    sentences /= np.maximum(np.linalg.norm(sentences, axis=1, keepdims=True), 1e-9)
    return paragraph_vectors, sentences


def top_layers(model_dir: Path, sentences: list[str], owners: np.ndarray, layers: tuple[int, ...]
               ) -> dict[int, tuple[np.ndarray, float]]:
    """For each N in ``layers``: every paragraph's vector from the encoder's last N layers run over the
    concatenated states its sentences (``sentences``, prefixed, in order; ``owners`` their paragraph)
    had before those layers, mean-pooled and normalised; and the seconds those N layers took."""
    import torch
    from tokenizers import Tokenizer
    from transformers import BertModel

    folder = provision_e5(model_dir)
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    bert = BertModel.from_pretrained(folder).eval()
    depth = len(bert.encoder.layer)
    hidden: list[tuple[torch.Tensor, ...]] = []
    with torch.no_grad():
        for text in sentences:
            ids = torch.tensor([tokenizer.encode(text).ids[:512]])
            hidden.append(bert(input_ids=ids, output_hidden_states=True).hidden_states)
    result = {}
    for n in layers:
        vectors = np.zeros((int(owners.max()) + 1, bert.config.hidden_size), dtype=np.float32)
        t0 = time.perf_counter()
        with torch.no_grad():
            for paragraph in range(len(vectors)):
                x = torch.cat([hidden[i][depth - n][0] for i in np.flatnonzero(owners == paragraph)])[:512][None]
                for layer in bert.encoder.layer[depth - n:]:
                    out = layer(x)
                    x = out[0] if isinstance(out, tuple) else out
                vectors[paragraph] = torch.nn.functional.normalize(x[0].mean(0), dim=-1).numpy()
        result[n] = (vectors, time.perf_counter() - t0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT.parent / "shared/benchmarks/xquad-r")
    parser.add_argument("--model-dir", type=Path, default=PROJECT_ROOT / ".data" / "models")
    args = parser.parse_args()
    model = load_embed_model(load_settings(model_dir=args.model_dir))
    documents, questions, _ = load_xquad(args.data)
    keys, owners, tokens, paragraphs, spans, sentences = [], [], [], [], [], []
    for document in documents:
        for paragraph in document.paragraphs():
            paragraphs.append(paragraph.text)
            spans.append([(s.start - paragraph.start, s.end - paragraph.start) for s in paragraph.sentences])
            for sentence in paragraph.sentences:
                keys.append((document.id, sentence.id))
                owners.append(len(paragraphs) - 1)
                sentences.append(E5_PASSAGE_PREFIX + sentence.text)
                tokens.append(len(model._tokenizer.encode(sentences[-1]).ids))  # noqa: SLF001
    owners_array = np.array(owners)
    seconds = {}
    t0 = time.perf_counter()
    isolated = model.encode(sentences)
    seconds["sentences"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    paragraph_vectors = model.encode([E5_PASSAGE_PREFIX + p for p in paragraphs])
    seconds["paragraphs"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    late_paragraphs, late = late_chunked(model, paragraphs, spans)
    seconds["late"] = time.perf_counter() - t0
    mean = np.zeros_like(paragraph_vectors)
    np.add.at(mean, owners_array, isolated * np.array(tokens, dtype=np.float32)[:, None])
    mean /= np.linalg.norm(mean, axis=1, keepdims=True)
    ways = {"isolated (ingest today)": (isolated, paragraph_vectors, seconds["sentences"] + seconds["paragraphs"]),
            "late chunking": (late, late_paragraphs, seconds["late"]),
            "paragraph = mean of its sentences": (isolated, mean, seconds["sentences"])}
    for n, (vectors, spent) in top_layers(args.model_dir, sentences, owners_array, (1, 2, 4)).items():
        ways[f"top {n} layers over the sentences' states"] = (isolated, vectors, seconds["sentences"] + spent)
    odd = np.array([q.index % 2 == 1 for q in questions])
    print(f"{len(keys)} sentences, {len(paragraphs)} paragraphs, load average {os.getloadavg()[0]:.1f}")
    print("| way | encoding s | lang | paragraph@1 | R@1 own | R@1 own+passage | R@1 own+passage, odd half |")
    print("|---|---|---|---|---|---|---|")
    for lang in ("ar", "en"):
        query_vectors = model.encode([E5_QUERY_PREFIX + getattr(q, lang) for q in questions])
        gold = np.array([keys.index(q.gold) for q in questions])
        for name, (sentence_vectors, passage_vectors, spent) in ways.items():
            own = query_vectors @ sentence_vectors.T
            passage = query_vectors @ passage_vectors.T
            paragraph_at_1 = (passage.argmax(1) == owners_array[gold]).mean()
            alone = own.argmax(1) == gold
            fused = (0.5 * own + 0.5 * passage[:, owners_array]).argmax(1) == gold
            print(f"| {name} | {spent:.1f} | {lang} | {paragraph_at_1:.3f} | {alone.mean():.3f} | {fused.mean():.3f} "
                  f"| {fused[odd].mean():.3f} |")


if __name__ == "__main__":
    main()
