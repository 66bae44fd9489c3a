"""Documents: the corpus manifest, plain files a user ingests, and aligned translations."""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import json
import logging
import logging.handlers
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .normalize import answer_language, text_language
from .segmentation import HEADING, Paragraph, segment

MANIFEST = "manifest.json"
MAX_DOCUMENT_BYTES = 5_000_000
# A damaged PDF can make pypdf warn once per object: its error message names the first few.
PDF_WARNINGS_TOLD = 3
SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf")


class CorpusError(ValueError):
    """A document or manifest that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class Document:
    id: str
    text: str
    title: str = ""
    language: str = ""  # "ar" or "en"; when not given, from the text's script (Python API callers omit it)
    source: str = ""
    # Where ingest reads it again (the sources ledger): the file, or the corpus folder and the
    # manifest entry's id.
    origin: str = field(default="", compare=False)
    entry: str = field(default="", compare=False)
    # How the file was decoded, when not UTF-8 (e.g. "UTF-16", "Windows-1256").
    encoding: str = field(default="UTF-8", compare=False)
    # sentence id -> English rendering, when the corpus carries one.
    translations: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise CorpusError(f"a document needs an id (got {self.id!r})")
        if not isinstance(self.text, str) or not self.text.strip():
            raise CorpusError(f"{self.id}: the document has no text")
        if not self.language:  # frozen: set once, here; by the majority of its letters (an FAQ 62% English
            # was labelled Arabic when anything short of 80% English was)
            object.__setattr__(self, "language", answer_language(self.text).value)

    @property
    def checksum(self) -> str:
        # The language is part of the version: it labels every stored record, so a document
        # ingested again with another label (the script detection above, or a corrected manifest)
        # replaces the old records instead of being skipped as unchanged.
        payload = self.language + "\n" + self.text + json.dumps(self.translations, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    def paragraphs(self) -> tuple[Paragraph, ...]:
        return segment(self.text)

    def language_of(self, text: str) -> str:
        """The language of a piece of this document: its own script's when one has 80% of its letters,
        else the document's. A document half in each language is labelled by its majority, and its
        other sentences were taken for matches across languages ("no English rendering" notes on
        English sentences)."""
        return text_language(text) or self.language


def load_corpus(corpus_dir: Path) -> list[Document]:
    """The documents listed in ``corpus_dir/manifest.json``."""
    manifest_path = corpus_dir / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise CorpusError(f"cannot read corpus manifest {manifest_path}: {error}") from None
    return [_document_from_manifest(corpus_dir, entry) for entry in manifest["documents"]]


def load_file(path: Path) -> Document:
    """A user's plain-text, Markdown or PDF file as a document; its id comes from the file name, its
    title from the file's own (a Markdown file's first "# " heading, a PDF's metadata, a plain text's
    title line), else the name."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise CorpusError(f"{path}: unsupported file type (use {', '.join(SUPPORTED_SUFFIXES)})")
    if suffix == ".pdf":
        text, title = _read_pdf(path)
        encoding = "UTF-8"
    else:
        text, encoding = _read_text_as(path)
        title = markdown_title(text) if suffix == ".md" else title_line(text)
    return Document(
        id=document_id_for(path),
        text=text,
        title=title or path.stem,
        source=str(path.resolve()),
        origin=str(path.resolve()),
        encoding=encoding,
    )


def document_id_for(path: Path) -> str:
    slug = re.sub(r"[^\w]+", "-", path.stem, flags=re.UNICODE).strip("-").lower()
    return slug or "document"


# A Markdown level-one heading: "# Title" (closing #s allowed), or a line underlined with "=".
_ATX_TITLE = re.compile(r"^ {0,3}#[ \t]+(?P<title>.+?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}=+[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(?:```|~~~)")
MAX_TITLE_CHARS = 200


def markdown_title(text: str) -> str:
    """The first level-one heading of a Markdown text outside code blocks, its emphasis marks
    removed; "" when it has none (a file that starts with "## Background" names no title)."""
    lines, fenced = text.splitlines(), False
    for number, line in enumerate(lines):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        heading = _ATX_TITLE.match(line)
        if heading:
            return _clean_title(heading["title"])
        if line.strip() and number + 1 < len(lines) and _SETEXT_UNDERLINE.match(lines[number + 1]):
            return _clean_title(line)
    return ""


# A title line is read from the text's head: segmenting a 300-page book twice to name it would cost seconds.
TITLE_LINE_HEAD_CHARS = 4000


def title_line(text: str) -> str:
    """A plain text's first paragraph when segmentation reads it as a heading: the title line above a
    news story ("زلزال وادي النخيل"), which retrieval already takes for the document's title; "" when
    the text opens with a sentence, a byline or a list."""
    paragraphs = segment(text[:TITLE_LINE_HEAD_CHARS])  # a cut at the end leaves the first one's role as it is
    if len(paragraphs) < 2 or paragraphs[0].role != HEADING:  # a title is above something
        return ""
    return _clean_title(paragraphs[0].text.lstrip("#"))


# What office suites write as a PDF's title when its author gave none: "Microsoft Word - report.docx".
_PRODUCER_PREFIX = re.compile(r"^Microsoft (?:Word|PowerPoint|Excel) - ", re.IGNORECASE)
_OFFICE_SUFFIX = re.compile(r"\.(?:docx?|pptx?|xlsx?|odt|rtf)$", re.IGNORECASE)


def pdf_title(title: str) -> str:
    """A PDF's metadata title as a reader would name it ("" for none, or for "Untitled")."""
    title = _OFFICE_SUFFIX.sub("", _PRODUCER_PREFIX.sub("", _clean_title(title)))
    return "" if title.casefold() in {"untitled", "untitled document"} else title


def _clean_title(title: str) -> str:
    title = " ".join(re.sub(r"[*_`]+", "", title).split())
    return title[:MAX_TITLE_CHARS].rstrip()


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


def _read_pdf(path: Path) -> tuple[str, str]:
    """The pages' lines, a blank line between pages: a PDF's text is hard-wrapped, and segmentation
    joins the lines of each paragraph while a heading's line stays its own (joined into one line per
    page, "Part 3 of the report The survey found ..." made the heading part of a sentence). Also its
    title, from the metadata ("" when it has none)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    _check_size(path)
    with _pypdf_warnings() as warnings:
        try:
            reader = PdfReader(path)
            pages = [page.extract_text() or "" for page in reader.pages]
            title = pdf_title(str((reader.metadata or {}).get("/Title") or ""))
        except (PyPdfError, ValueError, KeyError) as error:
            told = list(dict.fromkeys(record.getMessage() for record in warnings))[:PDF_WARNINGS_TOLD]
            causes = "; ".join(dict.fromkeys([*told, str(error)]))
            raise CorpusError(f"{path}: cannot read this PDF ({causes})") from None
    text = "\n\n".join(_page_lines(page) for page in pages if page.strip())
    if not text:
        raise CorpusError(f"{path}: the PDF has no extractable text (a scan needs OCR first)")
    return text + "\n", title


@contextlib.contextmanager
def _pypdf_warnings() -> Iterator[list[logging.LogRecord]]:
    """pypdf's warnings while reading, kept instead of printed: without a handler of its own, a
    damaged file printed "EOF marker not found" above our error message; that cause now goes into
    the message, and the warnings of a file that reads are not shown (pypdf recovers from them)."""
    handler = logging.handlers.BufferingHandler(capacity=1000)  # flushing at capacity drops the ones before
    handler.setLevel(logging.WARNING)
    logger = logging.getLogger("pypdf")
    logger.addHandler(handler)
    propagate, logger.propagate = logger.propagate, False
    try:
        yield handler.buffer
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _page_lines(page: str) -> str:
    return "\n".join(" ".join(line.split()) for line in page.splitlines() if line.strip())


def _check_size(path: Path) -> None:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise CorpusError(f"cannot read {path}: {error.strerror}") from None
    if size > MAX_DOCUMENT_BYTES:
        raise CorpusError(f"{path}: {size} bytes is over the {MAX_DOCUMENT_BYTES}-byte limit")


def _read_text(path: Path) -> str:
    return _read_text_as(path)[0]


def _read_text_as(path: Path) -> tuple[str, str]:
    """The file's text and the encoding it was read with (UTF-8; UTF-16 or Windows-1256 when the
    bytes leave no doubt)."""
    _check_size(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise CorpusError(f"cannot read {path}: {error.strerror}") from None
    text, encoding = _decode(raw, path)
    if not text.strip():
        raise CorpusError(f"{path}: the file is empty")
    return text, encoding


_UTF16_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _decode(raw: bytes, path: Path) -> tuple[str, str]:
    for bom, codec in _UTF16_BOMS:
        if raw.startswith(bom):
            return _strict(raw[len(bom):], codec, "UTF-16", path), "UTF-16"
    if b"\x00" in raw:
        codec = _utf16_without_bom(raw)
        if codec is None:
            raise CorpusError(f"{path}: looks like a binary file, not text")
        return _strict(raw, codec, "UTF-16", path), "UTF-16"
    try:
        return raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as error:
        where = f"{error.reason} at byte {error.start}"
    code_page = _arabic_code_page(raw)
    if code_page == "Windows-1256":
        return raw.decode("cp1256"), code_page
    likely = f"it looks like Arabic in {code_page}" if code_page else "if it is in another encoding"
    example = "WINDOWS-1256" if code_page else "WINDOWS-1252"
    raise CorpusError(f"{path}: not UTF-8 text ({where}); {likely}: convert it first, "
                      f"e.g. `iconv -f {example} -t UTF-8`") from None


def _strict(raw: bytes, codec: str, name: str, path: Path) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as error:
        raise CorpusError(f"{path}: looks like {name} text but is not ({error.reason} at byte {error.start})") from None


def _utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16 without a byte-order mark: the NUL bytes (the high byte of ASCII characters) all fall
    on one side. A binary file has them on both."""
    if len(raw) % 2:
        return None
    even, odd = raw[0::2].count(0), raw[1::2].count(0)
    if odd and not even and odd * 4 >= len(raw) // 2:
        return "utf-16-le"
    if even and not odd and even * 4 >= len(raw) // 2:
        return "utf-16-be"
    return None


def _arabic_code_page(raw: bytes) -> str:
    """Which Arabic code page the bytes read as Arabic in (nine in ten non-ASCII characters Arabic
    letters): "Windows-1256", "ISO-8859-6", both names when either would do, or ""."""
    names = [name for name, codec in (("Windows-1256", "cp1256"), ("ISO-8859-6", "iso8859_6"))
             if _reads_as_arabic(raw, codec)]
    return " or ".join(names)


def _reads_as_arabic(raw: bytes, codec: str) -> bool:
    """Nine in ten non-ASCII characters are Arabic, and they are a fifth of the letters at least
    (French in Windows-1252 has a few accented letters, which ISO-8859-6 reads as Arabic ones)."""
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError:
        return False
    non_ascii = sum(1 for ch in text if ord(ch) > 0x7F)
    arabic = sum(1 for ch in text if "\u0600" <= ch <= "\u06ff")
    letters = sum(1 for ch in text if ch.isalpha())
    return bool(non_ascii) and arabic * 10 >= non_ascii * 9 and arabic * 5 >= letters
