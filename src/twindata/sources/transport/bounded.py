"""One bounded GET, shared by the live clients (``twindata.sources.transport.http``) and the release loader
(``twindata.read.loader``): the body streamed to the caller, bounded in bytes (announced and decoded) and in time
(a whole-answer deadline that a dripping server cannot stretch), and redirects only within the same origin. Knows
nothing of retries, settings or what the answer means.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from urllib.parse import urljoin, urlsplit

import requests

from twindata.contract.errors import SourceError

MAX_REDIRECTS = 5


def bounded_get(session: requests.Session, url: str, what: str, *, timeout: float, deadline: float, max_bytes: int,
                write: Callable[[bytes], object]) -> requests.Response:
    """One GET whose decoded body goes to ``write`` chunk by chunk: redirects followed only within the same origin
    (scheme, host, port), at most ``max_bytes`` (an announced larger body is refused before it is read; a gzip bomb
    inflates no further), and the whole answer by ``deadline`` (``time.monotonic()``; a server that drips its answer
    byte by byte is cut off: ``ChunkedEncodingError``). ``what`` names the source in the messages."""
    for _ in range(MAX_REDIRECTS + 1):
        response = session.get(url, timeout=timeout, allow_redirects=False, stream=True)
        if response.is_redirect:
            target = urljoin(url, response.headers.get("Location", ""))
            response.close()
            if _origin(target) != _origin(url):
                raise SourceError(f"{what}: redirected to another host ({_origin(target)}); not followed ({url})")
            url = target
            continue
        announced = response.headers.get("Content-Length", "")
        if announced.isdigit() and int(announced) > max_bytes:
            response.close()
            raise SourceError(f"{what}: the answer announces {int(announced):,} bytes, more than {max_bytes >> 20} MiB; "
                              f"not read ({url})")
        size = 0
        chunks = [response.content] if response.raw is None else response.iter_content(1 << 16)  # a replay: read
        watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _cut, (response,))
        watchdog.daemon = True
        watchdog.start()  # a read blocked on a dripping server is woken by cutting its connection
        try:
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    response.close()
                    raise SourceError(f"{what}: the answer is larger than {max_bytes >> 20} MiB once decoded; not "
                                      f"read ({url})")
                write(chunk)
        except (requests.RequestException, OSError, AttributeError, ValueError):
            if time.monotonic() < deadline:
                raise  # a broken answer; past the deadline, the cut connection is the deadline's doing
        finally:
            watchdog.cancel()
        if time.monotonic() >= deadline:
            raise requests.exceptions.ChunkedEncodingError(f"the answer took longer than its deadline ({url})")
        return response
    raise SourceError(f"{what}: more than {MAX_REDIRECTS} redirects ({url})")


def _cut(response: requests.Response) -> None:
    """Shut the connection of an answer that outlived its deadline, so that the read blocked on it returns."""
    sock = getattr(getattr(response.raw, "connection", None), "sock", None)
    if sock is None:  # urllib3 2 lets go of the connection's socket once the headers are read: the body's file holds it
        fp = getattr(getattr(response.raw, "_fp", None), "fp", None)
        sock = getattr(getattr(fp, "raw", None), "_sock", None)
    try:
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port
