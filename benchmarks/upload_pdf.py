"""Time storing a 50-page PDF, as the UI's upload does (``ui.app.upload_documents``), and ask about it.

    python benchmarks/upload_pdf.py [--pages 50]

Prints the PDF's size, the time to write it, the time to store it (with the progress the UI would
show) and whether the next question is answered from it. The machine load is printed beside the
timing: on a shared machine it moves the numbers a lot.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from assistant import build_assistant, load_settings  # noqa: E402
from pdf_sample import write_pdf  # noqa: E402
from ui.app import upload_documents  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pages", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        started = time.perf_counter()
        pdf = write_pdf(folder / "harbour_districts.pdf", pages=args.pages)
        print(f"{args.pages}-page PDF, {pdf.stat().st_size:,} bytes, written in {time.perf_counter() - started:.1f} s")
        settings = load_settings(data_dir=folder / "data", model_dir=ROOT / ".data" / "models")
        assistant = build_assistant(settings).warm_up()
        steps: list[tuple[float, str]] = []
        started = time.perf_counter()
        status, _, _ = upload_documents(assistant, [str(pdf)],
                                        lambda value, desc=None: steps.append((time.perf_counter() - started, desc)))
        elapsed = time.perf_counter() - started
        for at, desc in steps:
            print(f"  {at:6.1f} s  {desc}")
        print(f"stored in {elapsed:.1f} s (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores): "
              f"{'Stored' in status}")
        answer = assistant.ask("Who guards the amber lighthouse?")
        print(f"next question answered from it: {'Idris Falkenrath' in answer.text} "
              f"({answer.citations[0].document_id if answer.citations else 'no citation'})")


if __name__ == "__main__":
    main()
