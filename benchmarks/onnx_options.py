"""onnxruntime session options for the encoder: passage throughput and query latency, per option.

    python benchmarks/onnx_options.py [--data ../shared/benchmarks/arcd/arcd-train.json]
                                      [--sentences 400] [--rounds 3] [--model-dir .data/models]

Each configuration gets its own ``InferenceSession`` over the same ONNX export; the configurations
run in turns, round after round (so that a change of load hits them alike), and each reports the
median over rounds of: sentences/s encoding ``--sentences`` sentences of ARCD-train's paragraphs
(what ingest does) and the p50 of encoding one short question (what a query does). The load
average is printed: on a shared machine the ratios between configurations mean more than the
absolute numbers. Our default (assistant/embedding.py) is the first row.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant import load_settings  # noqa: E402
from assistant.embedding import E5_PASSAGE_PREFIX, E5_QUERY_PREFIX, load_embed_model  # noqa: E402
from assistant.segmentation import segment, sentences_of  # noqa: E402
from assistant.settings import PROJECT_ROOT  # noqa: E402

QUESTIONS = ["متى تأسست الجامعة؟", "What does the Counter ISIS Finance Group focus on?", "من هو رئيس سنغافورة؟"]


def configurations(cores: int) -> dict[str, dict]:
    """name -> session settings; the first is what assistant/embedding.py uses."""
    ours = {"threads": max(1, min(4, cores)), "spinning": False, "level": "all", "arena": True}
    return {
        "ours: threads=cores, no spinning, all optimisations, arena": ours,
        "threads=1": ours | {"threads": 1},
        "spinning": ours | {"spinning": True},
        "basic optimisations only": ours | {"level": "basic"},
        "no memory arena": ours | {"arena": False},
    }


def session(folder: Path, config: dict):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = config["threads"]
    options.inter_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if config["spinning"] else "0")
    options.graph_optimization_level = {"basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
                                        "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL}[config["level"]]
    options.enable_cpu_mem_arena = config["arena"]
    options.log_severity_level = 3
    return ort.InferenceSession(str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"])


def arcd_sentences(path: Path, limit: int) -> list[str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    out: list[str] = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            out += [s.text for s in sentences_of(segment(paragraph["context"]))]
            if len(out) >= limit:
                return out[:limit]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT.parent / "shared/benchmarks/arcd/arcd-train.json")
    parser.add_argument("--sentences", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model-dir", type=Path, default=PROJECT_ROOT / ".data" / "models")
    args = parser.parse_args()

    model = load_embed_model(load_settings(model_dir=args.model_dir))
    folder = Path(model.model_name)
    texts = [E5_PASSAGE_PREFIX + s for s in arcd_sentences(args.data, args.sentences)]
    queries = [E5_QUERY_PREFIX + q for q in QUESTIONS]
    configs = configurations(os.cpu_count() or 1)
    sessions = {name: session(folder, config) for name, config in configs.items()}
    throughput: dict[str, list[float]] = {name: [] for name in configs}
    latency: dict[str, list[float]] = {name: [] for name in configs}
    load_before = os.getloadavg()
    for _ in range(args.rounds):
        for name, ort_session in sessions.items():
            model._session = ort_session  # noqa: SLF001 - the same encode path, another session
            t0 = time.perf_counter()
            model.encode(texts)
            throughput[name].append(len(texts) / (time.perf_counter() - t0))
            for _ in range(5):
                for query in queries:
                    t1 = time.perf_counter()
                    model.encode([query])
                    latency[name].append(1000 * (time.perf_counter() - t1))
    print(f"{len(texts)} ARCD sentences, {args.rounds} rounds, load average {load_before[0]:.1f} -> {os.getloadavg()[0]:.1f}")
    print("| configuration | sentences/s (median of rounds) | query p50 ms |")
    print("|---|---|---|")
    for name in configs:
        print(f"| {name} | {statistics.median(throughput[name]):.1f} | {statistics.median(latency[name]):.1f} |")


if __name__ == "__main__":
    main()
