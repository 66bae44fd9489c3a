"""How a PDF's text comes back through ``load_file``: its sentences and headings against its source's.

    python benchmarks/pdf_structure.py [--data ../shared/benchmarks/xquad-r/en.json] [--paragraphs 60] [--show]

XQuAD-R's English paragraphs, each under a heading line ("Part 7 of the report"), wrapped at 95
columns (no blank lines between, as a PDF's extracted text has none) and written three to a page
with matplotlib's PDF backend, are read back by ``assistant.corpus.load_file`` (pypdf) and cut by
our segmenter. Expected: the headings as paragraphs of their own, and the sentences our segmenter
cuts from each paragraph's source text. Printed: sentences found / expected / right (whitespace
aside), and how many headings stand alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.corpus import load_file  # noqa: E402
from assistant.segmentation import segment  # noqa: E402


def write_report(paragraphs: list[str], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    with PdfPages(path) as pdf:
        for first in range(0, len(paragraphs), 3):
            lines = []
            for n, paragraph in enumerate(paragraphs[first:first + 3], start=first + 1):
                lines += [heading(n), *textwrap.wrap(paragraph, 95)]
            figure = Figure(figsize=(8.27, 11.69))
            figure.text(0.05, 0.97, "\n".join(lines), va="top", fontsize=7)
            pdf.savefig(figure)
    return path


def heading(n: int) -> str:
    return f"Part {n} of the report"


def sentences(paragraphs) -> list[str]:
    return [" ".join(s.text.split()) for p in paragraphs for s in p.sentences]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "benchmarks" / "xquad-r" / "en.json")
    parser.add_argument("--paragraphs", type=int, default=60)
    parser.add_argument("--show", action="store_true", help="print the sentences that differ")
    args = parser.parse_args()
    data = json.loads(args.data.read_text(encoding="utf-8"))["data"]
    contexts = [p["context"] for article in data for p in article["paragraphs"]][: args.paragraphs]
    expected = [s for n, context in enumerate(contexts, start=1) for s in [heading(n), *sentences(segment(context))]]
    with tempfile.TemporaryDirectory() as folder:
        document = load_file(write_report(contexts, Path(folder) / "report.pdf"))
    found = sentences(document.paragraphs())
    alone = sum(p.text == heading(n) for p in document.paragraphs() for n in range(1, len(contexts) + 1))
    print(f"sentences: {len(found)} found, {len(expected)} expected, {len(set(found) & set(expected))} right; "
          f"headings standing alone: {alone} of {len(contexts)}")
    if args.show:
        print("missing:", [s for s in expected if s not in set(found)])
        print("extra:", [s for s in found if s not in set(expected)])


if __name__ == "__main__":
    main()
