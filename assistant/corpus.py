"""Documents: the corpus manifest, plain files a user ingests, and aligned translations."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .normalize import Script, detect_script
from .segmentation import Paragraph, segment

MANIFEST = "manifest.json"
MAX_DOCUMENT_BYTES = 5_000_000
SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf")


class CorpusError(ValueError):
    """A document or manifest that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    title: str = ""
    language: str = "ar"
    source: str = ""
    # Where ingest reads it again (the sources ledger): the file, or the corpus folder and the
    # manifest entry's id.
    origin: str = field(default="", compare=False)
    entry: str = field(default="", compare=False)
    # sentence id -> English rendering, when the corpus carries one.
    translations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def checksum(self) -> str:
        payload = self.text + json.dumps(self.translations, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def paragraphs(self) -> tuple[Paragraph, ...]:
        return segment(self.text)


def load_corpus(corpus_dir: Path) -> list[Document]:
    """The documents listed in ``corpus_dir/manifest.json``."""
    manifest_path = corpus_dir / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise CorpusError(f"cannot read corpus manifest {manifest_path}: {error}") from None
    return [_document_from_manifest(corpus_dir, entry) for entry in manifest["documents"]]


def load_file(path: Path) -> Document:
    """A user's plain-text or Markdown file as a document; its id comes from the file name."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise CorpusError(f"{path}: unsupported file type (use {', '.join(SUPPORTED_SUFFIXES)})")
    text = _read_pdf(path) if path.suffix.lower() == ".pdf" else _read_text(path)
    script = detect_script(text)
    return Document(
        id=document_id_for(path),
        text=text,
        title=path.stem,
        language="en" if script is Script.LATIN else "ar",
        source=str(path.resolve()),
        origin=str(path.resolve()),
    )


def document_id_for(path: Path) -> str:
    slug = re.sub(r"[^\w]+", "-", path.stem, flags=re.UNICODE).strip("-").lower()
    return slug or "document"


def _document_from_manifest(corpus_dir: Path, entry: dict) -> Document:
    text = _read_text(corpus_dir / entry["path"])
    translation = entry.get("translations", {}).get("en")
    translations = _read_translation(corpus_dir / translation["path"]) if translation else {}
    return Document(
        id=entry["id"],
        text=text,
        title=entry.get("title", ""),
        language=entry.get("language", "ar"),
        source=entry.get("source", ""),
        origin=str(corpus_dir.resolve()),
        entry=entry["id"],
        translations=translations,
    )


def _read_translation(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    records = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                record = json.loads(line)
                records[record["id"]] = record["en"]
            except (json.JSONDecodeError, KeyError, TypeError):
                raise CorpusError(f"{path}:{number}: expected {{\"id\": ..., \"en\": ...}}") from None
    return records


def _read_pdf(path: Path) -> str:
    """One paragraph per page: PDF line breaks are layout, not structure."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    _check_size(path)
    try:
        pages = [page.extract_text() or "" for page in PdfReader(path).pages]
    except (PyPdfError, ValueError, KeyError) as error:
        raise CorpusError(f"{path}: cannot read this PDF ({error})") from None
    text = "\n".join(" ".join(page.split()) for page in pages if page.strip())
    if not text:
        raise CorpusError(f"{path}: the PDF has no extractable text (a scan needs OCR first)")
    return text + "\n"


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise CorpusError(f"cannot read {path}: {error.strerror}") from None
    if size > MAX_DOCUMENT_BYTES:
        raise CorpusError(f"{path}: {size} bytes is over the {MAX_DOCUMENT_BYTES}-byte limit")


def _read_text(path: Path) -> str:
    _check_size(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CorpusError(f"cannot read {path}: {error.strerror}") from None
    if b"\x00" in raw:
        raise CorpusError(f"{path}: looks like a binary file, not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CorpusError(f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    if not text.strip():
        raise CorpusError(f"{path}: the file is empty")
    return text
