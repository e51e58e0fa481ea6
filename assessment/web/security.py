"""The web app's defences: CSRF tokens, cookie settings, request size and rate limits, headers, passwords.

CSRF is a double-submit token: every visitor gets a random ``zegama_csrf`` cookie (HttpOnly,
SameSite=Strict) and every form carries the same value in a hidden field; a POST whose field
does not match is refused. Another site can neither read the cookie nor send it along.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

CSRF_COOKIE = "zegama_csrf"
SESSION_COOKIE = "zegama_session"
CSRF_FIELD = "csrf"

#: Every page: nothing from elsewhere (no CDN, fonts or scripts), no Referer (a runner's link is
#: in the URL), framed only by this site (the result page frames the report).
HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "frame-src 'self'; frame-ancestors 'self'; form-action 'self'; base-uri 'none'",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "cache-control": "no-store",
}

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A runner's link or a session: 256 bits from ``secrets``, URL-safe."""
    return secrets.token_urlsafe(32)


def same(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


@dataclass(frozen=True)
class CookiePolicy:
    """``secure``: send cookies over HTTPS only (set it behind a TLS proxy: ``--secure-cookies``)."""

    secure: bool = False

    def kwargs(self, samesite: str = "lax") -> dict:
        return {"httponly": True, "samesite": samesite, "secure": self.secure, "path": "/"}


class RateLimiter:
    """At most ``limit`` events per ``window`` seconds for each key (a client and a bucket).

    In memory, per process: a sliding window of event times, with no clock in the key."""

    def __init__(self, limits: dict[str, tuple[int, float]], clock=time.monotonic):
        self.limits = limits
        self.clock = clock
        self._events: dict[tuple[str, str], deque] = {}
        self._lock = threading.Lock()

    def allow(self, bucket: str, client: str) -> bool:
        if bucket not in self.limits:
            return True
        limit, window = self.limits[bucket]
        t = self.clock()
        with self._lock:
            if len(self._events) > 10_000:  # forget idle clients rather than grow without bound
                self._events = {k: v for k, v in self._events.items() if v and v[-1] > t - window}
            q = self._events.setdefault((bucket, client), deque())
            while q and q[0] <= t - window:
                q.popleft()
            if len(q) >= limit:
                return False
            q.append(t)
            return True


class BodyLimit:
    """ASGI middleware: a request body over the limit for its path is refused with 413, by its
    Content-Length before anything is read, or while it is read (a chunked body); the app gets
    the body only once it is known to fit (the limits are small enough to hold it in memory)."""

    def __init__(self, app, limits: list[tuple[str, int]], default: int, on_too_large):
        self.app = app
        self.limits = limits
        self.default = default
        self.on_too_large = on_too_large

    def limit_for(self, path: str) -> int:
        for prefix, size in self.limits:
            if path.startswith(prefix):
                return size
        return self.default

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        limit = self.limit_for(scope.get("path", ""))
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = True
                if too_big:
                    return await self.on_too_large(scope, limit)(scope, receive, send)
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            seen += len(body)
            if seen > limit:
                return await self.on_too_large(scope, limit)(scope, receive, send)
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
