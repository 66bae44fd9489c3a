"""Fit the projection that late interaction stores token states through (assistant/late_interaction.py).

    python benchmarks/fit_token_projection.py [--arcd ../shared/benchmarks/arcd/arcd-train.json]

The sentences of ARCD-train's paragraphs on the ``fit`` half (open_qa.half_of, the half the retrieval
weights are fitted on) are encoded as the store encodes them; their token states (384 values per
token, unit length) give the principal directions, and the first ``--dims`` of them are written to
``assistant/token_projection.v1.npy`` (float16). Projected to 128 dimensions (then int8), MaxSim
loses nothing measurable: XQuAD-R held-out R@1 .753 / .647 at 384 against .756 / .649 at 128, gold
hit@1 .873 / .894 (docs/benchmarks.md, "Late interaction"); stored states take a third of the space.
ARCD-train is read from ../shared/benchmarks by path, never copied into the repository.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from open_qa import half_of, load_squad  # noqa: E402

from assistant import load_settings  # noqa: E402
from assistant.embedding import load_embed_model  # noqa: E402
from assistant.late_interaction import PROJECTION_FILE  # noqa: E402
from assistant.segmentation import sentences_of  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arcd", type=Path, default=ROOT.parent / "shared" / "benchmarks" / "arcd" / "arcd-train.json")
    parser.add_argument("--dims", type=int, default=128)
    parser.add_argument("--model-dir", type=Path, default=ROOT / ".data" / "models")
    args = parser.parse_args()
    documents, _ = load_squad(args.arcd, "arcd")
    texts = [s.text for d in documents if half_of(d.id) == "fit" for s in sentences_of(d.paragraphs())]
    encoder = load_embed_model(load_settings(model_dir=args.model_dir))
    _, states = encoder.encode_with_states(texts, encoder.text_instruction)
    tokens = np.concatenate(states)
    # Uncentred: MaxSim compares directions from the origin, which the mean would shift.
    _, _, directions = np.linalg.svd(tokens, full_matrices=False)
    projection = directions[: args.dims].T.astype(np.float16)
    np.save(PROJECTION_FILE, projection)
    kept = float(np.square(tokens @ projection.astype(np.float32)).sum() / np.square(tokens).sum())
    print(f"{len(texts)} sentences, {len(tokens)} tokens: {args.dims} of {tokens.shape[1]} dimensions keep "
          f"{kept:.3f} of the energy; wrote {PROJECTION_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
