"""The one HTTP layer every live source uses: timeouts, a rate limit, retries, a User-Agent.

Retries live here and nowhere else (one layer only), and only for answers that say "try again
later": 429 and 5xx, honouring ``Retry-After``. Everything else fails at once with an error that
names the URL, because retrying a 404 or a timeout just multiplies the load on a service that
already said no. The SEC is the special case: it throttles with **403 and an HTML page**, and a
client that keeps knocking stays blocked (blocks lift after about ten minutes). So a client
built with ``throttle_403=True`` treats a 403 as "blocked": it raises :class:`Throttled` and
refuses every further request for ``cooldown_s`` without touching the network, so the caller
stops, reports what it got, and the next run picks up the rest.

The cool-down belongs to the *host*, not to one client object: every throttle-aware client in
the process shares it (:class:`HostCooldowns`). A backfill that made a fresh client per
quarter used to ask the SEC again at once after a 403, which keeps a block alive.

The body is streamed with a wall-clock bound (``total_timeout_s``): ``requests``' read timeout is
per socket read, so a server that dribbles a byte a second would otherwise hold the run forever.
A body shorter than its ``Content-Length`` is an error, not a silently truncated index file.
"""

from __future__ import annotations

import email.utils
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import requests

# "name contact@example.com" — the SEC asks for a way to reach the operator.
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


class SourceSkipped(RuntimeError):
    """A source cannot run in this configuration; the run goes on without it and says why."""


class HttpError(RuntimeError):
    """A request failed for good; the message names the URL and what happened."""

    def __init__(self, message: str, *, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class Throttled(HttpError):
    """The server is throttling us (SEC 403 page, or 429/5xx retries exhausted): back off."""


class HttpTimeout(HttpError):
    """No connection, or no complete answer, within the configured bound."""


class TruncatedBody(HttpError):
    """The body ended before its announced ``Content-Length``."""


def require_contact_user_agent(user_agent: str, *, service: str) -> str:
    """Return ``user_agent`` if it carries an e-mail-like contact, else raise ``ValueError``."""
    if not _EMAIL_RE.search(user_agent or ""):
        raise ValueError(
            f"{service} User-Agent {user_agent!r} must contain a contact e-mail address, "
            'e.g. "Acme Research ops@acme.example" (SEC fair-access policy)'
        )
    return user_agent


def check_sec_manners(user_agent: str, *, service: str, max_requests_per_s: float) -> None:
    """Refuse a User-Agent without a contact e-mail and a rate the SEC does not allow."""
    require_contact_user_agent(user_agent, service=service)
    if max_requests_per_s >= 10:
        raise ValueError(f"max_requests_per_s={max_requests_per_s}: the SEC allows < 10/s")


def sec_client(
    user_agent: str,
    *,
    service: str,
    max_requests_per_s: float,
    timeout_s: float,
    cooldown_s: float = 600.0,
) -> HttpClient:
    """The SEC's manners in one place, for every client of sec.gov and data.sec.gov: a
    User-Agent with a contact e-mail, fewer than 10 requests/s (people were blocked at 9.7),
    and a 403 treated as the throttle page it is (stop, cool down, never retry at once).

    The caller decides what an empty User-Agent means (a source skipped).
    """
    check_sec_manners(user_agent, service=service, max_requests_per_s=max_requests_per_s)
    return HttpClient(
        user_agent=user_agent,
        connect_timeout_s=min(10.0, timeout_s),
        read_timeout_s=timeout_s,
        max_requests_per_s=max_requests_per_s,
        throttle_403=True,
        cooldown_s=cooldown_s,
    )


class RateLimiter:
    """At most ``max_per_s`` request starts in any one-second window, spaced evenly.

    Even spacing keeps every window under the limit, which a token bucket with a burst would
    not. The slot is 5 % longer than ``1/max_per_s``: with exact spacing, ``max_per_s + 1``
    requests fit in a closed one-second window, and network jitter decides which side of the
    line the server counts them on. Thread-safe.
    """

    def __init__(
        self,
        max_per_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_per_s <= 0:
            raise ValueError(f"max_requests_per_s must be > 0, got {max_per_s}")
        self.interval = 1.05 / max_per_s
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            self._sleep(start - now)


class HostCooldowns:
    """Per host: until when no request may go out, and why (the 403 that started it).

    Process-wide (``COOLDOWNS``) so a throttled host stays untouched whatever client asks
    next; thread-safe. Time is ``time.monotonic``.
    """

    def __init__(self) -> None:
        self._until: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def host(url: str) -> str:
        return urllib.parse.urlsplit(url).netloc.lower()

    def block(self, url: str, seconds: float, reason: str) -> None:
        with self._lock:
            until = time.monotonic() + seconds
            current = self._until.get(self.host(url))
            if current is None or current[0] < until:
                self._until[self.host(url)] = (until, reason)

    def remaining(self, url: str) -> tuple[float, str]:
        """Seconds left of the host's cool-down (0 when none) and its reason."""
        with self._lock:
            until, reason = self._until.get(self.host(url), (0.0, ""))
        return max(0.0, until - time.monotonic()), reason

    def clear(self) -> None:
        with self._lock:
            self._until.clear()


COOLDOWNS = HostCooldowns()


@dataclass(frozen=True)
class Response:
    """What a caller needs from an answer: the bytes, where they came from, the status."""

    url: str
    status: int
    content: bytes
    headers: Mapping[str, str]


def _retry_after_s(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpClient:
    """GET with (connect, read) timeouts, a rate limit, bounded retries and a User-Agent."""

    def __init__(
        self,
        *,
        user_agent: str,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 30.0,
        total_timeout_s: float | None = None,
        max_requests_per_s: float = 5.0,
        max_attempts: int = 3,
        backoff_s: float = 1.0,
        max_backoff_s: float = 60.0,
        throttle_403: bool = False,
        cooldown_s: float = 600.0,
        extra_headers: Mapping[str, str] | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        cooldowns: HostCooldowns | None = None,
    ) -> None:
        if not user_agent:
            raise ValueError("HttpClient needs a User-Agent")
        self.user_agent = user_agent
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.total_timeout_s = total_timeout_s or (connect_timeout_s + read_timeout_s) * 2
        self.max_attempts = max(1, max_attempts)
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.throttle_403 = throttle_403
        self.cooldown_s = cooldown_s
        self.limiter = RateLimiter(max_requests_per_s, sleep=sleep)
        self._sleep = sleep
        self.cooldowns = COOLDOWNS if cooldowns is None else cooldowns
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.session.headers["Accept-Encoding"] = "gzip, deflate"
        for key, value in (extra_headers or {}).items():
            self.session.headers[key] = value
        self.requests_sent = 0

    def close(self) -> None:
        self.session.close()

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        ok_statuses: tuple[int, ...] = (200,),
    ) -> Response:
        """GET ``url``; return the response when its status is in ``ok_statuses``.

        Raises :class:`Throttled`, :class:`HttpTimeout`, :class:`TruncatedBody` or
        :class:`HttpError` (any other status, after retries for 429/5xx).
        """
        left, reason = self.cooldowns.remaining(url) if self.throttle_403 else (0.0, "")
        if left > 0:
            raise Throttled(
                f"not requesting {url}: backing off for another {left:.0f} s after {reason}",
                url=url,
                status=403,
            )
        for attempt in range(1, self.max_attempts + 1):
            response = self._get_once(url, params)
            status = response.status
            if status in ok_statuses:
                return response
            if status == 403 and self.throttle_403:
                self.cooldowns.block(url, self.cooldown_s, f"HTTP 403 from {url}")
                snippet = _text_snippet(response.content)
                raise Throttled(
                    f"HTTP 403 from {url}: the server is throttling this client "
                    f"({snippet!r}); backing off for {self.cooldown_s:.0f} s, no retry "
                    "(SEC blocks lift after about 10 minutes)",
                    url=url,
                    status=403,
                )
            if status == 429 or 500 <= status < 600:
                if attempt == self.max_attempts:
                    cls = Throttled if status == 429 else HttpError
                    raise cls(
                        f"HTTP {status} from {url} after {attempt} attempt(s); giving up",
                        url=url,
                        status=status,
                    )
                wait = _retry_after_s(response.headers.get("Retry-After"))
                if wait is None:
                    wait = self.backoff_s * 2 ** (attempt - 1)
                self._sleep(min(wait, self.max_backoff_s))
                continue
            raise HttpError(
                f"HTTP {status} from {url}: {_text_snippet(response.content)!r}",
                url=url,
                status=status,
            )
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _get_once(self, url: str, params: Mapping[str, str] | None) -> Response:
        self.limiter.wait()
        self.requests_sent += 1
        started = time.monotonic()
        try:
            with self.session.get(url, params=params, timeout=self.timeout, stream=True) as r:
                chunks = []
                for chunk in r.iter_content(chunk_size=65536):
                    chunks.append(chunk)
                    if time.monotonic() - started > self.total_timeout_s:
                        raise HttpTimeout(
                            f"GET {r.url}: body not complete within {self.total_timeout_s:.1f} s",
                            url=r.url,
                            status=r.status_code,
                        )
                content = b"".join(chunks)
                declared = r.headers.get("Content-Length")
                encoded = r.headers.get("Content-Encoding", "identity") != "identity"
                if declared and declared.isdigit() and not encoded and len(content) < int(declared):
                    raise TruncatedBody(
                        f"GET {r.url}: body truncated, got {len(content)} of {declared} bytes",
                        url=r.url,
                        status=r.status_code,
                    )
                return Response(r.url, r.status_code, content, dict(r.headers))
        except requests.exceptions.ConnectTimeout as exc:
            raise HttpTimeout(
                f"GET {url}: no connection within {self.timeout[0]:.1f} s", url=url
            ) from exc
        except (requests.exceptions.ReadTimeout, requests.exceptions.Timeout) as exc:
            raise HttpTimeout(
                f"GET {url}: no answer within the read timeout of {self.timeout[1]:.1f} s",
                url=url,
            ) from exc
        except requests.exceptions.ChunkedEncodingError as exc:
            raise TruncatedBody(
                f"GET {url}: connection closed before the body was complete ({exc})", url=url
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            if "IncompleteRead" in str(exc):
                raise TruncatedBody(f"GET {url}: body truncated ({exc})", url=url) from exc
            raise HttpError(f"GET {url}: connection failed ({exc})", url=url) from exc


def _text_snippet(content: bytes, limit: int = 120) -> str:
    text = content[:2000].decode("utf-8", errors="replace")
    text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(text.split())[:limit]
