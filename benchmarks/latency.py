"""Warm `ask` latency in-process over the gold questions (extractive default). Prints numbers.

    python benchmarks/latency.py [--rounds 3] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from assistant import build_assistant, load_settings
from assistant.settings import PROJECT_ROOT


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path)
    args = parser.parse_args()

    questions = [json.loads(line)["question"] for line in (PROJECT_ROOT / "corpus" / "gold_qa.jsonl").open(encoding="utf-8")]
    started = time.perf_counter()
    assistant = build_assistant(load_settings(data_dir=args.data_dir)).warm_up()
    print(f"warm-up (model + index): {time.perf_counter() - started:.2f} s")
    assistant.ask(questions[0])
    timings = []
    for _ in range(args.rounds):
        for question in questions:
            t0 = time.perf_counter()
            assistant.ask(question)
            timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    pct = lambda p: timings[min(len(timings) - 1, int(p / 100 * len(timings)))]  # noqa: E731
    print(f"warm ask over {len(timings)} calls: median {statistics.median(timings):.1f} ms, "
          f"p95 {pct(95):.1f} ms, p99 {pct(99):.1f} ms, max {timings[-1]:.1f} ms")


if __name__ == "__main__":
    main()
