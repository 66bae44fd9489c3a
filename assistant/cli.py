"""The command line: a thin wrapper over the Python API (``assistant --help``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from .settings import RetrievalMode

EXIT_USAGE = 2
EXIT_FAILED = 1


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
    parser.add_argument("--embedding-model", help="sentence-transformers path or name (default: bundled e5-small)")
    commands = parser.add_subparsers(title="commands")

    ask = commands.add_parser("ask", help="answer a question")
    ask.add_argument("question")
    ask.add_argument("--top-k", type=int, help="at most this many cited sentences (lists get twice as many)")
    ask.add_argument("--mode", type=RetrievalMode, choices=list(RetrievalMode), help="retrieval mode")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON (see README for the schema)")
    ask.set_defaults(run=_ask)

    ingest = commands.add_parser("ingest", help="add or update documents (.txt, .md; folders recursively)")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.set_defaults(run=_ingest)

    build = commands.add_parser("build", help="build the model and the index now (otherwise done on first use)")
    build.set_defaults(run=_build)

    docs = commands.add_parser("docs", help="list the stored documents")
    docs.set_defaults(run=_docs)

    remove = commands.add_parser("remove", help="remove a document by id")
    remove.add_argument("document_id")
    remove.set_defaults(run=_remove)
    return parser


def _assistant(args: argparse.Namespace) -> Any:
    from .app import build_assistant
    from .settings import load_settings

    settings = load_settings(data_dir=args.data_dir, namespace=args.namespace, embedding_model=args.embedding_model)
    return build_assistant(settings)


def _ask(args: argparse.Namespace) -> int:
    answer = _assistant(args).ask(args.question, top_k=args.top_k, mode=args.mode)
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.text)
    if answer.note:
        print(f"\n({answer.note})")
    for citation in answer.citations:
        print(f"\n[{citation.n}] {citation.document_id} {citation.sentence_id} (paragraph {citation.paragraph_id}, "
              f"score {citation.score:.3f})\n    {citation.quote}")
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
    for result in _assistant(args).ingest(*args.paths):
        print(f"{'ingested' if result.changed else 'unchanged'}: {result.document_id} ({result.source})")
    return 0


def _docs(args: argparse.Namespace) -> int:
    import datetime

    for info in _assistant(args).documents():
        when = datetime.datetime.fromtimestamp(info.ingested_at).isoformat(timespec="seconds")
        print(f"{info.id}\t{info.sentences} sentences\t{info.paragraphs} paragraphs\t{when}\t{info.title}")
    return 0


def _remove(args: argparse.Namespace) -> int:
    if _assistant(args).remove(args.document_id):
        print(f"removed: {args.document_id}")
        return 0
    print(f"error: no document with id {args.document_id!r}", file=sys.stderr)
    return EXIT_FAILED
