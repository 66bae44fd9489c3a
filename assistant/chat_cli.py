"""``assistant chat``: a conversation on the command line (a thin loop over ``Conversation``).

Interactive: type questions; follow-ups use the history. Commands: ``/sources [N]`` (the sources of
answer N, the latest by default), ``/clear`` (a new conversation), ``/export FILE`` (.md or .json),
``/help``, ``/quit``. With ``--json``, every line read from stdin is a question (or a command) and
every answer is printed as one JSON object on one line, for programs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .conversation import Conversation
    from .types import Answer

EXPORT_SUFFIXES = (".md", ".json")
HELP = ("Ask a question in Arabic or English; follow-ups use the conversation so far.\n"
        "  /sources [N]   the sources of answer N (default: the latest)\n"
        "  /clear         start a new conversation\n"
        "  /export FILE   save the conversation (FILE.md: Markdown, FILE.json: JSON)\n"
        "  /quit          leave (or Ctrl-D)")


def run(assistant: Any, args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    from .conversation import Conversation

    stdin, stdout = stdin or sys.stdin, stdout or sys.stdout
    conversation = Conversation(assistant.warm_up(), top_k=args.top_k, mode=args.mode)
    interactive = not args.json and stdin.isatty()
    if interactive:
        print(HELP, file=stdout)
    while True:
        line = _read(stdin, stdout, interactive)
        if line is None:
            return 0
        if not line.strip():
            continue
        try:
            if line.startswith("/"):
                if _command(conversation, line.strip(), args.json, stdout) == "quit":
                    return 0
            else:
                _show(conversation.ask(line), args.json, stdout)
        except (ValueError, RuntimeError, OSError) as error:  # the assistant's own, readable errors
            _error(str(error), args.json, stdout)
        stdout.flush()


def _read(stdin: TextIO, stdout: TextIO, interactive: bool) -> str | None:
    if interactive:
        try:
            return input("\n? ")
        except EOFError:
            return None
    line = stdin.readline()
    return None if line == "" else line.rstrip("\n")


def _command(conversation: Conversation, line: str, as_json: bool, stdout: TextIO) -> str:
    name, _, argument = line.partition(" ")
    argument = argument.strip()
    if name in ("/quit", "/exit"):
        return "quit"
    if name == "/clear":
        conversation.clear()
        _done({"command": "clear"}, "(a new conversation)", as_json, stdout)
    elif name == "/sources":
        answer = _answer_number(conversation, argument)
        if as_json:
            print(json.dumps({"command": "sources", "turn": conversation.answers.index(answer) + 1,
                              "citations": [c.to_dict() for c in answer.citations],
                              "related": [c.to_dict() for c in answer.related]}, ensure_ascii=False), file=stdout)
        else:
            print(_sources_text(answer), file=stdout)
    elif name == "/export":
        if not argument:
            raise ValueError("name the file to export to: /export FILE.md or /export FILE.json")
        path = Path(argument).expanduser()
        if path.suffix.lower() not in EXPORT_SUFFIXES:
            raise ValueError(f"{path}: export to a .md or a .json file")
        if path.exists():
            raise ValueError(f"{path} already exists: export to a new file")
        text = conversation.to_json() if path.suffix.lower() == ".json" else conversation.to_markdown()
        with path.open("x", encoding="utf-8") as file:  # never over a file the user has
            file.write(text)
        _done({"command": "export", "path": str(path), "turns": len(conversation.turns)},
              f"(saved {len(conversation.turns)} turns to {path})", as_json, stdout)
    elif name == "/help":
        _done({"command": "help", "help": HELP}, HELP, as_json, stdout)
    else:
        raise ValueError(f"unknown command {name}; /help lists them")
    return name


def _answer_number(conversation: Conversation, argument: str) -> Answer:
    answers = conversation.answers
    if not answers:
        raise ValueError("no answer yet: ask a question first")
    if not argument:
        return answers[-1]
    if not argument.isdigit() or not 1 <= int(argument) <= len(answers):
        raise ValueError(f"/sources takes an answer number from 1 to {len(answers)}")
    return answers[int(argument) - 1]


def _show(answer: Answer, as_json: bool, stdout: TextIO) -> None:
    if as_json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False), file=stdout)
        return
    leaned = f"  (follow-up to question {answer.leaned_on})" if answer.leaned_on else ""
    print(f"\n{answer.text}{leaned}", file=stdout)
    if answer.note:
        print(f"({answer.note})", file=stdout)
    if answer.citations:
        ids = ", ".join(f"[{c.n}] {c.document_id} {c.sentence_id}" for c in answer.citations)
        print(f"sources: {ids}   (/sources for the quotes)", file=stdout)


def _sources_text(answer: Answer) -> str:
    """The answer's sources with their quotes; after an abstention, the related sentences (a user
    checking for themselves got "no sources" where ``ask`` had shown them)."""
    if not answer.citations and not answer.related:
        return "(no sources: the documents do not say)"
    lines = [] if answer.citations else ["(the documents do not say; related sentences, not an answer:)"]
    for c in answer.citations or answer.related:
        marker = f"[{c.n}] " if answer.citations else "- "
        lines.append(f"{marker}{c.document_id} {c.sentence_id} (paragraph {c.paragraph_id}, probability {c.score:.2f})\n"
                     f"    {c.quote}")
        if c.translation and answer.language == "en":
            lines.append(f"    = {c.translation}")
    return "\n".join(lines)


def _done(payload: dict[str, Any], text: str, as_json: bool, stdout: TextIO) -> None:
    print(json.dumps(payload, ensure_ascii=False) if as_json else text, file=stdout)


def _error(message: str, as_json: bool, stdout: TextIO) -> None:
    if as_json:
        print(json.dumps({"error": message}, ensure_ascii=False), file=stdout)
    else:
        print(f"error: {message}", file=sys.stderr)
