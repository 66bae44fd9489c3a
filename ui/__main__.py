"""``python -m ui [--port N]``: load the model and the index once, then serve the chat UI.

It listens on 127.0.0.1 only; the port comes from ``--port``, else ``ASSISTANT_UI_PORT``, else 7860.
The assistant's own settings come from ``ASSISTANT_*`` environment variables (``load_settings``).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys

HOST = "127.0.0.1"
DEFAULT_PORT = 7860
PORT_ENV = "ASSISTANT_UI_PORT"


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range (1-65535): {port}")
    return port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ui", description="Serve the chat UI on 127.0.0.1 (the model and the index load once, at start).")
    parser.add_argument("--port", type=_port, default=None,
                        help=f"port to listen on (default: ${PORT_ENV} or {DEFAULT_PORT})")
    args = parser.parse_args(argv)
    port = args.port
    if port is None:
        raw = os.environ.get(PORT_ENV, "").strip()
        try:
            port = _port(raw) if raw else DEFAULT_PORT
        except argparse.ArgumentTypeError as error:
            parser.error(f"{PORT_ENV}: {error}")

    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    from assistant import CorpusError, StoreError, build_assistant, load_settings

    from .app import serve

    try:
        settings = load_settings()
        print("Loading the model and the index (once)…", file=sys.stderr, flush=True)
        assistant = build_assistant(settings).warm_up()
    except (ValueError, StoreError, CorpusError) as error:  # bad settings, store or corpus
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"Serving the chat UI on http://{HOST}:{port}", file=sys.stderr, flush=True)
    # A service manager stops a server with SIGTERM: stop as on Ctrl-C (gradio closes the server, and
    # the exit removes the app's export folder); by default the process just died and left it behind.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    serve(assistant, host=HOST, port=port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
