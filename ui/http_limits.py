"""A maximum request size at the HTTP layer of the Gradio app (an ASGI middleware).

Gradio 6.31 has ``max_file_size`` for uploads, but no limit on other request bodies: a 400 MB
``/ask`` call was read, parsed and its question kept in the session's state. Here a body over the
limit is refused with 413 before the app reads it: at once when ``Content-Length`` says so, else
as soon as the chunks received pass the limit. Uploads (``/upload``) get their own limit: as many
files as one upload may hold, each at the upload size limit (``ui.app.launch_options``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from assistant.corpus import MAX_DOCUMENT_BYTES

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# A question is at most 2000 characters; a chat turn also carries the conversation so far (the
# Chatbot's HTML, a few kB an answer), so 1 MB is hundreds of turns.
MAX_REQUEST_BYTES = 1_000_000
# The multipart envelope around each uploaded file (its headers and boundary: well under this).
ENVELOPE_BYTES = 100_000


def upload_request_bytes(files: int, file_bytes: int) -> int:
    """An upload request's limit: ``files`` files of ``file_bytes`` each, in their envelopes."""
    return files * (file_bytes + ENVELOPE_BYTES)


# One uploaded document at the document limit.
MAX_UPLOAD_BYTES = upload_request_bytes(1, MAX_DOCUMENT_BYTES)
# A refused body is read and dropped up to this much (memory stays flat: chunk by chunk), so that
# a client that sends it all before reading the answer gets the 413 rather than a reset connection.
DRAIN_BYTES = 64_000_000


class _TooLarge(HTTPException):
    """Raised from ``receive``: FastAPI re-raises an HTTPException met while reading a body, and
    Starlette answers it with its status."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request is larger than the {limit}-byte limit")


class RequestSizeLimit:
    """Refuse request bodies over ``max_bytes`` (``max_upload_bytes`` on upload paths) with 413."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], max_bytes: int = MAX_REQUEST_BYTES,
                 max_upload_bytes: int = MAX_UPLOAD_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_upload_bytes if scope.get("path", "").rstrip("/").endswith("/upload") else self.max_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _drain(receive)
            await _refuse(send, limit)
            return
        received = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:
            if not started:
                await _drain(receive)
                await _refuse(send, limit)


async def _drain(receive: Receive) -> None:
    budget = DRAIN_BYTES
    while budget > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        budget -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps({"error": f"the request is larger than the {limit}-byte limit"}).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
