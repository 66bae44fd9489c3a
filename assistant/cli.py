"""The command line: a thin wrapper over the Python API (``assistant --help``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .corpus import SUPPORTED_SUFFIXES
from .evaluation import add_arguments as add_eval_arguments
from .settings import AnswerBackend, RetrievalMode

EXIT_USAGE = 2
EXIT_FAILED = 1
# A command that writes waits this long for other processes to close the embedded store (an
# `assistant ask` takes a few seconds); a server (`python -m ui`) is named in the refusal after it.
WRITE_WAIT_SECONDS = 20.0
PROGRESS_MIN_RECORDS = 2000  # smaller documents are stored in a few seconds: no bar


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if not hasattr(args, "run"):
        _parser().print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except KeyboardInterrupt:
        return 130
    except (ValueError, RuntimeError, OSError) as error:
        # Every error the assistant raises on purpose is one of these, with a readable message.
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Cited answers about the corpus, in Arabic or English.")
    parser.add_argument("--data-dir", type=Path, help="where the index and the model live (ASSISTANT_DATA_DIR)")
    parser.add_argument("--namespace", help="collection prefix in the store (ASSISTANT_NAMESPACE)")
    parser.add_argument("--chroma-url", help="use this Chroma server instead of the embedded store (ASSISTANT_CHROMA_URL)")
    parser.add_argument("--embedding-model", help="sentence-transformers path or name (default: bundled e5-small)")
    commands = parser.add_subparsers(title="commands")

    ask = commands.add_parser("ask", help="answer a question")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON (see README for the schema)")
    _add_answer_arguments(ask)
    ask.set_defaults(run=_ask)

    chat = commands.add_parser("chat", help="a conversation: follow-up questions use the history (/help inside)")
    chat.add_argument("--json", action="store_true", help="read questions from stdin, print one JSON answer per line")
    _add_answer_arguments(chat)
    chat.set_defaults(run=_chat)

    ingest = commands.add_parser("ingest", help=f"add or update documents ({', '.join(SUPPORTED_SUFFIXES)}; "
                                                "folders recursively)")
    ingest.add_argument("paths", nargs="*", type=Path)
    ingest.add_argument("--rebuild", action="store_true",
                        help="drop the index first and rebuild it from the corpus and the files ingested before")
    ingest.set_defaults(run=_ingest)

    build = commands.add_parser("build", help="build the model and the index now (otherwise done on first use)")
    build.set_defaults(run=_build)

    docs = commands.add_parser("docs", help="list the stored documents")
    docs.set_defaults(run=_docs)

    remove = commands.add_parser("remove", help="remove a document by id (also the records of an ingest that did not finish)")
    remove.add_argument("document_id")
    remove.set_defaults(run=_remove)

    evaluate = commands.add_parser("eval", help="score the gold Q&A set; exit 3 when a --min/--max threshold is missed")
    add_eval_arguments(evaluate)
    evaluate.set_defaults(run=_eval)
    return parser


def _add_answer_arguments(parser: argparse.ArgumentParser) -> None:
    """How `ask` and `chat` answer: the ranking and the answer backend."""
    parser.add_argument("--top-k", type=int, help="at most this many cited sentences (a list, or a line introducing items, up to three times as many)")
    parser.add_argument("--mode", type=RetrievalMode, choices=[mode.value for mode in RetrievalMode], help="retrieval mode")
    parser.add_argument("--backend", choices=[b.value for b in AnswerBackend],
                        help="who writes the answer (default extractive; ASSISTANT_ANSWER_BACKEND)")
    parser.add_argument("--base-url", help="LLM server, e.g. http://127.0.0.1:8080/v1 (ASSISTANT_LLM_BASE_URL)")
    parser.add_argument("--llm-model", help="model name on the server, or a .gguf path for llamacpp (ASSISTANT_LLM_MODEL)")
    parser.add_argument("--llm-timeout", type=float, help="seconds to wait for the LLM (ASSISTANT_LLM_TIMEOUT)")


def _assistant(args: argparse.Namespace) -> Any:
    from .app import build_assistant
    from .settings import load_settings

    # The answer-backend flags exist on `ask` and `chat` only.
    flags = {"answer_backend": "backend", "llm_base_url": "base_url", "llm_model": "llm_model", "llm_timeout": "llm_timeout"}
    llm = {name: getattr(args, flag, None) for name, flag in flags.items()}
    settings = load_settings(data_dir=args.data_dir, namespace=args.namespace, embedding_model=args.embedding_model,
                             chroma_url=args.chroma_url, **llm)
    return build_assistant(settings)


def _ask(args: argparse.Namespace) -> int:
    answer = _assistant(args).ask(args.question, top_k=args.top_k, mode=args.mode)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    if answer.note:
        print(f"\n({answer.note})")
    if answer.related:
        print("\nRelated sentences, not an answer:")
    for citation in answer.citations or answer.related:
        label = f"[{citation.n}]" if answer.citations else "-"
        print(f"\n{label} {citation.document_id} {citation.sentence_id} (paragraph {citation.paragraph_id}, "
              f"probability {citation.score:.2f})\n    {citation.quote}")
        if citation.translation and answer.language == "en":
            print(f"    = {citation.translation}")
    return 0


def _build(args: argparse.Namespace) -> int:
    assistant = _assistant(args).warm_up()
    documents = assistant.documents()
    print(f"ready: {len(documents)} documents, {sum(d.sentences for d in documents)} sentences "
          f"in {assistant.settings.store_dir}")
    return 0


def _ingest(args: argparse.Namespace) -> int:
    if not args.paths and not args.rebuild:
        print("error: name the files or folders to ingest (or use --rebuild)", file=sys.stderr)
        return EXIT_USAGE
    assistant = _assistant(args)
    with assistant.writing("ingest", wait=WRITE_WAIT_SECONDS):
        return _ingest_with(assistant, args)


def _ingest_with(assistant: Any, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    if args.rebuild:
        assistant.rebuild(on_stored=lambda result: print(f"re-ingested: {result.document_id} ({result.source})",
                                                         flush=True))
    bars: list[Any] = []  # made at the first stored document: a refused ingest prints its error alone

    def stored(result: Any) -> None:
        if not bars:
            bars.append(tqdm(desc="ingesting", unit="doc", file=sys.stderr))
        bars[0].update()
        note = f"; {result.note}" if result.note else ""
        bars[0].write(f"{'ingested' if result.changed else 'unchanged'}: {result.document_id} ({result.source}{note})",
                      file=sys.stdout)

    try:
        assistant.ingest(*args.paths, on_stored=stored, on_progress=_record_progress())
    finally:
        for bar in bars:
            bar.close()
    return 0


def _record_progress() -> Any:
    """A progress bar of records written, for documents big enough to take a while."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def progress(document_id: str, done: int, total: int) -> None:
        if total < PROGRESS_MIN_RECORDS:
            return
        bar = bars.get(document_id)
        if bar is None:
            bar = bars[document_id] = tqdm(desc=f"storing {document_id}", total=total, unit="record", file=sys.stderr,
                                           leave=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return progress


def _docs(args: argparse.Namespace) -> int:
    import datetime

    assistant = _assistant(args)
    for info in assistant.documents():
        when = datetime.datetime.fromtimestamp(info.ingested_at).isoformat(timespec="seconds")
        print(f"{info.id}\t{info.sentences} sentences\t{info.paragraphs} paragraphs\t{when}\t{info.title}")
    for version in assistant.incomplete():
        print(f"{version.document_id}\tINCOMPLETE: {version.records} records of an ingest that did not finish "
              f"(`assistant remove {version.document_id}` deletes them)")
    return 0


def _remove(args: argparse.Namespace) -> int:
    assistant = _assistant(args)
    with assistant.writing(f"remove {args.document_id!r}", wait=WRITE_WAIT_SECONDS):
        removed = assistant.remove(args.document_id)
    if removed:
        print(f"removed: {args.document_id}")
        return 0
    print(f"error: no document with id {args.document_id!r}", file=sys.stderr)
    return EXIT_FAILED


def _chat(args: argparse.Namespace) -> int:
    from .chat_cli import run

    return run(_assistant(args), args)


def _eval(args: argparse.Namespace) -> int:
    from .evaluation import run_cli

    return run_cli(_assistant(args), args)
