"""The corpus as shipped: manifest, verbatim article, aligned English rendering, user files."""

from __future__ import annotations

import json

import pytest

from assistant.corpus import CorpusError, Document, load_corpus, load_file, markdown_title, pdf_title, title_line
from assistant.segmentation import sentences_of
from assistant.settings import PROJECT_ROOT

CORPUS = PROJECT_ROOT / "corpus"
SEED = PROJECT_ROOT.parent / "shared" / "seed" / "coalition_communique.ar.txt"


def test_the_article_is_a_verbatim_copy_of_the_seed():
    ours = (CORPUS / "coalition_communique.ar.txt").read_bytes()
    if SEED.exists():  # the seed lives beside the checkout, where CI has it too
        assert ours == SEED.read_bytes()
    assert ours.decode("utf-8").startswith("الكويت - سعد العجيبان:")


def test_manifest_describes_the_document_and_marks_the_translation_as_ours():
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    entry = manifest["documents"][0]
    assert {"id", "path", "title", "language", "source"} <= set(entry)
    assert "own translation" in entry["translations"]["en"]["translator"]


def test_every_sentence_has_exactly_one_english_rendering():
    (document,) = load_corpus(CORPUS)
    ids = [s.id for s in sentences_of(document.paragraphs())]
    records = [json.loads(line) for line in (CORPUS / "coalition_communique.en.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert [r["id"] for r in records] == ids, "the rendering must follow the segmentation, in order, one per sentence"
    assert all(r["en"].strip() for r in records)
    assert set(document.translations) == set(ids)


def test_the_rendering_spells_names_and_numbers_as_english_sources_do():
    (document,) = load_corpus(CORPUS)
    english = " ".join(document.translations.values())
    for fact in ["Rex Tillerson", "Afrin", "Tampa", "INTERPOL", "Counter ISIS Finance Group", "CIFG",
                 "Foreign Terrorist Fighters Working Group", "FTFWG", "Global Counterterrorism Forum",
                 "2254", "30%", "Libya, Afghanistan and the Philippines"]:
        assert fact in english, fact


def test_user_files_become_documents(tmp_path):
    path = tmp_path / "My Notes (v2).md"
    path.write_text("# Heading\nSome English text.\n", encoding="utf-8")
    document = load_file(path)
    assert document.id == "my-notes-v2" and document.language == "en" and document.translations == {}
    assert document.title == "Heading"


def test_a_file_is_titled_by_its_own_title_else_by_its_name(tmp_path):
    (tmp_path / "aswan_dam.md").write_text("# The *Aswan* High Dam #\n\nIt spans the Nile.\n", encoding="utf-8")
    (tmp_path / "library.md").write_text("## التاريخ\n\nافتتحت المكتبة عام 2002.\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("# Not a heading in plain text\n", encoding="utf-8")
    (tmp_path / "zilzal.txt").write_text("زلزال وادي النخيل\n\nضرب زلزال بقوة 6.2 درجات منطقة وادي النخيل.\n",
                                         encoding="utf-8")
    (tmp_path / "memo.txt").write_text("The plant opens in May.\n\nIt cost 4 million.\n", encoding="utf-8")
    names = ("aswan_dam.md", "library.md", "notes.txt", "zilzal.txt", "memo.txt")
    assert [load_file(tmp_path / name).title for name in names] == [
        "The Aswan High Dam", "library", "notes", "زلزال وادي النخيل", "memo"]


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Harbour Lights Festival 2025\n\nThe festival opens on 4 July.", "Harbour Lights Festival 2025"),
        ("الكويت - سعد العجيبان:\n\nأكد الوزير أن ...", ""),  # a byline names no title
        ("The plant opens in May.\n\nIt cost 4 million.", ""),  # a sentence
        ("- tickets\n- maps\n\nBoth at the desk.", ""),  # a list
        ("A title alone", ""),  # one paragraph: the text itself
        ("Annual report\n\n" + "A sentence of the report. " * 400 + "\n\nThe end.", "Annual report"),
    ],
)
def test_a_plain_texts_title_line(text, title):
    assert title_line(text) == title


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("# مكتبة الإسكندرية\n\nنص.", "مكتبة الإسكندرية"),
        ("[![badge](x.svg)](x)\n\n# Project `name`\n", "Project name"),  # the first one-level heading
        ("Report title\n============\n\nBody.", "Report title"),  # underlined
        ("```\n# a comment in code\n```\n# Real title", "Real title"),
        ("#hashtag is not a heading\n\n## Only a section", ""),
        ("# " + "long " * 100, ("long " * 40).strip()),
    ],
)
def test_markdown_title(text, title):
    assert markdown_title(text) == title


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("binary.txt", b"abc\x00def", "binary"),
        ("latin1.txt", "café".encode("latin-1"), "not UTF-8"),
        ("empty.txt", b"  \n", "empty"),
        ("image.png", b"\x89PNG", "unsupported file type"),
    ],
)
def test_unusable_files_are_refused_with_a_reason(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message):
        load_file(path)


def test_pdf_files_are_read_page_by_page(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    path = tmp_path / "briefing.pdf"
    with PdfPages(path) as pdf:
        for text in ["The coalition met in Kuwait.", "Second page about finance."]:
            figure = Figure()
            figure.text(0.1, 0.5, text)
            pdf.savefig(figure)
    document = load_file(path)
    assert [p.text for p in document.paragraphs()] == ["The coalition met in Kuwait.", "Second page about finance."]
    assert document.language == "en" and document.title == "briefing"  # matplotlib writes no title


def test_a_pdf_is_titled_by_its_metadata(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    path = tmp_path / "scan_0042.pdf"
    with PdfPages(path, metadata={"Title": "Annual  report\n2025"}) as pdf:
        figure = Figure()
        figure.text(0.1, 0.5, "The harbour reopened in May.")
        pdf.savefig(figure)
    assert load_file(path).title == "Annual report 2025"


@pytest.mark.parametrize(("metadata", "title"), [
    ("Microsoft Word - Harbour report 2025.docx", "Harbour report 2025"),
    ("تقرير الميناء", "تقرير الميناء"),
    ("Untitled", ""),
    ("", ""),
])
def test_what_office_suites_write_as_a_pdfs_title_is_left_out(metadata, title):
    assert pdf_title(metadata) == title


def test_a_pdf_keeps_its_headings_apart_and_its_sentences_whole(tmp_path):
    """A PDF's extracted lines are wrapped at the page's width, with no blank line anywhere: joined into
    one line per page, each heading became the start of the sentence after it."""
    import sys
    import textwrap

    sys.path.insert(0, str(PROJECT_ROOT / "benchmarks"))
    from pdf_structure import heading, write_report

    paragraphs = [
        "The harbour office keeps a ledger of every ship that calls at the port, with its cargo, its crew and "
        "the berth it was given. Inspectors check the manifests each morning before the tide turns, and a "
        "clerk copies them into the ledger by noon.",
        "Ferries from the northern pier leave at dawn and return before the evening bell. In winter the last "
        "ferry leaves an hour earlier, because the channel freezes at its edges and the pilots need daylight.",
    ]
    document = load_file(write_report(paragraphs, tmp_path / "report.pdf"))
    assert max(len(line) for line in textwrap.wrap(paragraphs[0], 95)) < len(paragraphs[0])  # it is wrapped
    texts = [[" ".join(s.text.split()) for s in p.sentences] for p in document.paragraphs()]
    assert texts == [[heading(1)], [s.strip() + "." for s in paragraphs[0].split(".")[:-1]],
                     [heading(2)], [s.strip() + "." for s in paragraphs[1].split(".")[:-1]]]


def test_a_pdf_without_text_is_refused(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\nnot really a pdf")
    with pytest.raises(CorpusError, match="PDF"):
        load_file(path)


def test_a_damaged_pdf_says_why_in_its_error_and_prints_nothing_else(tmp_path, capfd):
    """pypdf logs the cause ("EOF marker not found") as a warning of its own, which was printed
    above our error message; now it is the message's, and stderr holds nothing else."""
    path = tmp_path / "cut_off.pdf"
    path.write_bytes(b"%PDF-1.4\ngarbage")
    with pytest.raises(CorpusError, match="EOF marker not found"):
        load_file(path)
    assert capfd.readouterr().err == ""


ARTICLE_HEAD = "الكويت - سعد العجيبان: أكد وزراء خارجية التحالف الدولي ضد داعش.\nThe coalition met in Kuwait.\n"


@pytest.mark.parametrize(
    ("encoded", "encoding"),
    [(ARTICLE_HEAD.encode("cp1256"), "Windows-1256"),
     (ARTICLE_HEAD.encode("utf-16"), "UTF-16"),  # with a byte-order mark
     (ARTICLE_HEAD.encode("utf-16-le"), "UTF-16"),
     (ARTICLE_HEAD.encode("utf-16-be"), "UTF-16"),
     ("Plain English notes, nothing else.\n".encode("utf-16-le"), "UTF-16")],
)
def test_arabic_code_pages_and_utf16_are_read_when_unambiguous(tmp_path, encoded, encoding):
    path = tmp_path / "note.txt"
    path.write_bytes(encoded)
    document = load_file(path)
    assert document.encoding == encoding
    assert document.text in (ARTICLE_HEAD, "Plain English notes, nothing else.\n")


def test_other_encodings_are_refused_naming_the_likely_one(tmp_path):
    iso = tmp_path / "iso.txt"
    iso.write_bytes("مرحبا بكم في الواحة\n".encode("iso8859_6"))  # bytes Windows-1256 would read otherwise
    with pytest.raises(CorpusError, match=r"not UTF-8 text .*looks like Arabic in .*ISO-8859-6.*iconv -f"):
        load_file(iso)
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Café crème à la française.\n".encode("cp1252"))
    with pytest.raises(CorpusError, match=r"not UTF-8 text \(invalid continuation byte at byte 3\); if it is in"):
        load_file(latin)


def test_a_dangling_link_named_directly_says_so(tmp_path):
    from assistant.app import _load_documents

    link = tmp_path / "notes.txt"
    link.symlink_to(tmp_path / "moved-away.txt")
    with pytest.raises(CorpusError, match=r"notes.txt: a link to .*moved-away.txt, which does not exist"):
        _load_documents((link,))


@pytest.mark.slow
def test_ingest_says_how_a_file_was_read(fresh_settings, tmp_path):
    from assistant import build_assistant

    path = tmp_path / "ملاحظة.txt"
    path.write_bytes("تقع محطة الضخ في الواحة الشرقية.\n".encode("cp1256"))
    (result,) = build_assistant(fresh_settings).ingest(path)
    assert result.note == "read as Windows-1256, not UTF-8"


def test_a_document_made_in_python_gets_the_language_of_its_script():
    assert Document(id="en", text="The solar plant in Tabuk produced 300 megawatts.").language == "en"
    assert Document(id="ar", text="أنتجت محطة تبوك للطاقة الشمسية 300 ميغاواط.").language == "ar"
    assert Document(id="given", text="Mixed نص", language="ar").language == "ar"
    # Of both scripts, the majority of its letters: an FAQ two thirds English is an English document.
    faq = "How do I apply? Fill in the form on the portal. كيف أقدم الطلب؟ عبر البوابة."
    assert Document(id="faq", text=faq).language == "en"
    assert Document(id="faq-ar", text="كيف أقدم طلب العمل عن بعد؟ عبر بوابة الموظفين. Portal.").language == "ar"


def test_the_language_is_part_of_a_documents_version():
    text = "The solar plant in Tabuk produced 300 megawatts."
    assert Document(id="d", text=text).checksum != Document(id="d", text=text, language="ar").checksum
    assert Document(id="d", text=text).checksum == Document(id="d", text=text, language="en").checksum


@pytest.mark.slow
def test_a_document_ingested_again_with_another_language_is_relabelled(fresh_settings):
    from assistant import build_assistant

    assistant = build_assistant(fresh_settings)
    text = "The solar plant in Tabuk produced 300 megawatts."
    assistant.ingest_documents([Document(id="plant", text=text, language="ar")])  # a store from before detection
    assistant.ingest_documents([Document(id="plant", text=text)])
    (node,) = assistant._current_index().sentences([("plant", "p1.s1")]).values()  # noqa: SLF001 - the stored label
    assert node.metadata["lang"] == "en"
    assert [info.checksum for info in assistant.documents() if info.id == "plant"] == [Document(id="plant", text=text).checksum]


@pytest.mark.parametrize("fields, message", [
    ({"id": "", "text": "The oasis has 3 wells."}, "a document needs an id"),
    ({"id": "  ", "text": "The oasis has 3 wells."}, "a document needs an id"),
    ({"id": "wells", "text": " \n "}, "wells: the document has no text"),
])
def test_a_document_without_an_id_or_text_is_refused(fields, message):
    with pytest.raises(CorpusError, match=message):
        Document(**fields)
