"""A many-page PDF with real, extractable text (written with matplotlib's PDF backend)."""

from __future__ import annotations

from pathlib import Path

# The one fact a question asks about, on page FACT_PAGE.
FACT = "The amber lighthouse is guarded by a retired sailor named Idris Falkenrath."
FACT_PAGE = 37
GOODS = ["grain", "timber", "copper wire", "olive oil", "salt", "wool", "glass", "paper", "tea", "coffee"]


def page_lines(page: int) -> list[str]:
    goods = GOODS[page % len(GOODS)]
    lines = [
        f"Section {page}. The harbour office of district {page} keeps a ledger of the ships that call there.",
        f"Inspector number {page} checks the cargo manifests every morning before the tide turns.",
        f"The district {page} warehouse mostly stores {goods}, counted twice a week by two clerks.",
        f"Ferries from pier {page} leave at dawn and return before the evening bell.",
        f"The quay of district {page} was repaved after the storm of the previous winter.",
        f"Fishermen of district {page} sell their catch at the covered market near gate {page}.",
        f"A small school beside the harbour of district {page} teaches navigation to forty pupils.",
        f"The customs house of district {page} collects a fee on every barrel of {goods}.",
        f"Night watchmen in district {page} walk the length of the breakwater three times a night.",
        f"The tide tables for district {page} are printed on the first day of each month.",
    ]
    if page == FACT_PAGE:
        lines.insert(3, FACT)
    return lines


def write_pdf(path: Path, pages: int = 50) -> Path:
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    with PdfPages(path) as pdf:
        for page in range(1, pages + 1):
            figure = Figure(figsize=(8.27, 11.69))  # A4
            figure.text(0.08, 0.95, "\n\n".join(page_lines(page)), va="top", fontsize=9, wrap=True)
            pdf.savefig(figure)
    return path
