"""Language-model servers for tests, all on 127.0.0.1: a real llama.cpp server subprocess and a
scripted OpenAI-compatible stub (stdlib http.server in a thread) for injecting faults.

The stub answers `POST /v1/chat/completions` and `POST /v1/embeddings` from one queue of `Reply`
objects (one per request, so the client's retries consume the queue); with the queue empty it
answers "ok" (chat) or fake vectors (embeddings). Every request is recorded with its arrival time
and headers, so tests can check retries, the waits between them and the key that was sent.
"""

from __future__ import annotations

import hashlib
import json
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol, TypeVar


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Closable(Protocol):
    def close(self) -> None: ...


C = TypeVar("C", bound=_Closable)
OPENED: list[_Closable] = []  # closed after each test by conftest's `_close_opened_clients`


def closed_after_test(client: C) -> C:
    """Register a client (generator, embedder) to be closed when the test ends: an open HTTP
    pool is a ResourceWarning (an error in this suite) whenever the collector finds it."""
    OPENED.append(client)
    return client


def wait_for_http(url: str, *, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> bool:
    """Poll `url` until it answers 200, the process dies, or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    return False


def tail(path: Path, chars: int = 2000) -> str:
    """The end of a server's log, for a failure message."""
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def stop_process(proc: subprocess.Popen[bytes], *, grace: float = 10.0) -> None:
    """SIGTERM, wait `grace` seconds, then SIGKILL. Only ever the process we started."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=grace)


# ----------------------------------------------------------------------------- the stub


@dataclass
class Reply:
    """One scripted response. `pieces` are streamed as SSE deltas when the client streams.

    For `/v1/embeddings`, a status below 400 returns `fake_vector(text, dimension)` for each
    input, in reversed order with the right `index` (clients must sort by index); `per_token`
    returns a list of vectors per input instead, as a server without pooling does.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    error: dict[str, Any] | None = None  # JSON error body for status >= 400
    pieces: tuple[str, ...] = ("ok",)
    delay: float = 0.0  # seconds before anything is sent
    piece_delay: float = 0.01  # seconds between streamed pieces (a slow model: press Ctrl-C)
    cut_after: int | None = None  # stream this many pieces, then drop the connection
    finish_reason: str | None = "stop"  # None: end the stream cleanly but never finish
    dimension: int = 8  # width of embedding vectors
    per_token: bool = False  # embeddings: a 2-D list (one vector per token) for each input


def ok(*pieces: str) -> Reply:
    return Reply(pieces=pieces or ("ok",))


def fail(status: int, message: str, *, code: str | None = None,
         headers: dict[str, str] | None = None) -> Reply:
    body = {"error": {"message": message, "type": "stub_error", "code": code}}
    return Reply(status=status, error=body, headers=headers or {})


def fake_vector(text: str, dimension: int = 8) -> list[float]:
    """The stub's embedding of `text`: deterministic, derived from a hash, deliberately not of
    unit length and never zero."""
    return [b - 127.5 for b in hashlib.shake_256(text.encode()).digest(dimension)]


CHAT_PATH = "/v1/chat/completions"
EMBEDDINGS_PATH = "/v1/embeddings"


@dataclass
class Seen:
    at: float  # time.monotonic() on arrival
    path: str
    body: dict[str, Any]
    headers: dict[str, str]  # names lower-cased


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a deliberately slow reply must not block stop()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or hang up are the point of these tests, not a failure.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class StubServer:
    """A scripted OpenAI-compatible server. `url` ends in /v1, ready for `base_url`."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _QuietServer(("127.0.0.1", 0), _make_handler(self))
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> StubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def script(self, *replies: Reply) -> None:
        """Replace the queue: the next requests get these replies, in order."""
        with self._lock:
            self.replies = list(replies)
            self.seen = []

    def next_reply(self, seen: Seen) -> Reply:
        with self._lock:
            self.seen.append(seen)
            return self.replies.pop(0) if self.replies else ok()

    def chat_requests(self) -> list[Seen]:
        return [s for s in self.seen if s.path == CHAT_PATH]

    def embedding_requests(self) -> list[Seen]:
        return [s for s in self.seen if s.path == EMBEDDINGS_PATH]

    def sleep(self, seconds: float) -> None:
        self._stopping.wait(seconds)


def _make_handler(stub: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list", "data": [
                    {"id": "stub-model", "object": "model", "created": 0, "owned_by": "stub"}]})
            else:
                self._json(404, {"error": {"message": "no such route", "code": None}})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            body = json.loads(raw or b"{}")
            seen = Seen(time.monotonic(), self.path, body,
                        {k.lower(): v for k, v in self.headers.items()})
            if self.path not in (CHAT_PATH, EMBEDDINGS_PATH):
                self._json(404, {"error": {"message": "no such route", "code": None}})
                return
            reply = stub.next_reply(seen)
            if reply.delay:
                stub.sleep(reply.delay)
            if reply.status >= 400:
                self._json(reply.status, reply.error or {}, reply.headers)
            elif self.path == EMBEDDINGS_PATH:
                self._embeddings(reply, body)
            elif body.get("stream"):
                self._sse(reply, str(body.get("model", "")))
            else:
                message = {"role": "assistant", "content": "".join(reply.pieces)}
                self._json(200, {"id": "stub", "object": "chat.completion", "created": 0,
                                 "model": body.get("model", ""), "choices": [
                                     {"index": 0, "message": message,
                                      "finish_reason": reply.finish_reason}]})

        def _embeddings(self, reply: Reply, body: dict[str, Any]) -> None:
            inputs = body.get("input", [])
            if not isinstance(inputs, list) or (inputs and isinstance(inputs[0], int)):
                inputs = [inputs]  # one string, or one list of token ids
            texts = [item if isinstance(item, str) else json.dumps(item) for item in inputs]
            data: list[dict[str, Any]] = []
            for index, text in enumerate(texts):
                embedding: list[Any] = fake_vector(text, reply.dimension)
                if reply.per_token:
                    embedding = [fake_vector(f"{text}#{n}", reply.dimension) for n in range(2)]
                data.append({"object": "embedding", "index": index, "embedding": embedding})
            data.reverse()  # clients must order by `index`, not by position
            self._json(reply.status, {"object": "list", "data": data,
                                      "model": body.get("model", ""),
                                      "usage": {"prompt_tokens": len(texts),
                                                "total_tokens": len(texts)}}, reply.headers)

        def _json(self, status: int, payload: dict[str, Any],
                  headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _sse(self, reply: Reply, model: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()

            def event(delta: dict[str, str], finish: str | None) -> None:
                chunk = {"id": "stub", "object": "chat.completion.chunk", "created": 0,
                         "model": model, "choices": [
                             {"index": 0, "delta": delta, "finish_reason": finish}]}
                self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())

            for number, piece in enumerate(reply.pieces):
                if reply.cut_after is not None and number >= reply.cut_after:
                    # Drop the connection mid-body: no final chunk, no [DONE].
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                event({"content": piece} if number else {"role": "assistant", "content": piece},
                      None)
                stub.sleep(reply.piece_delay)
            if reply.finish_reason is not None:
                event({}, reply.finish_reason)
            self._chunk(b"data: [DONE]\n\n")
            self._chunk(b"")  # the terminating zero-length chunk

    return Handler


# ----------------------------------------------------------------------- llama.cpp server


class LlamaServer:
    """`python -m llama_cpp.server` on a free port, started and stopped by the test session."""

    def __init__(self, model: Path, log_path: Path, *, n_ctx: int = 2048,
                 alias: str = "local") -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.alias = alias
        self.log_path = log_path
        self.command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
                        "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx),
                        "--model_alias", alias]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, ready_within: float = 90.0) -> None:
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        if wait_for_http(f"{self.url}/models", timeout=ready_within, proc=self.proc):
            return
        if self.proc.poll() is not None:
            raise RuntimeError(f"llama.cpp server exited with {self.proc.returncode}:\n"
                               f"{self.log_tail()}")
        self.stop()
        raise RuntimeError(f"llama.cpp server not ready within {ready_within:g}s:\n"
                           f"{self.log_tail()}")

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds; only the process started here."""
        if self.proc is not None:
            stop_process(self.proc, grace=grace)

    def log_tail(self, chars: int = 2000) -> str:
        return tail(self.log_path, chars)
