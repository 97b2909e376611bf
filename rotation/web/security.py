"""Who is asking, and may they: sessions, roles, CSRF, origins, login rate limit, body limits.

- On loopback without accounts required (`single_user`), the clerk at this PC is the one user
  and holds every role; the Host header must then name the loopback (DNS rebinding).
- Otherwise every page and API call needs a session: a random id in an HttpOnly, SameSite=
  Strict cookie, kept server-side with the user and a CSRF token; idle sessions expire.
- State-changing requests: a browser's Origin (or Referer) must be this server; pages' forms
  and htmx calls must also carry the session's CSRF token (synchronizer token). The JSON API
  relies on the SameSite cookie and the origin check, so that other systems can call it.
- Failed logins are limited per address, and per name from one address (a stranger cannot
  lock a colleague out from elsewhere).
- A session follows its account: a reset password ends it, a changed role applies at once;
  sessions end after SESSION_IDLE_SECONDS idle and SESSION_MAX_SECONDS in all.
"""

from __future__ import annotations

import ipaddress
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from rotation.service.accounts import LOCAL_USER, Accounts, User

COOKIE = "rotation_session"
SESSION_IDLE_SECONDS = 8 * 3600
SESSION_MAX_SECONDS = 12 * 3600
LOGIN_WINDOW_SECONDS = 300
LOGIN_MAX_FAILURES = 5  # per name from one address
LOGIN_MAX_FAILURES_ADDRESS = 20  # per address, whatever the names
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def is_loopback(host: str) -> bool:
    """Whether a listening address is this machine only: a loopback IP address or localhost,
    never a name that merely starts like one (127.0.0.1.attacker.example resolves anywhere)."""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.removeprefix("[").removesuffix("]")).is_loopback
    except ValueError:
        return False


@dataclass
class Session:
    """A signed-in user's session."""

    user: User
    csrf: str
    #: The account's password hash at sign-in: a reset ends the session.
    stamp: str = ""
    seen: float = field(default_factory=time.monotonic)
    born: float = field(default_factory=time.monotonic)


class Sessions:
    """Server-side sessions, by their random id."""

    def __init__(self) -> None:
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, user: User, stamp: str = "") -> tuple[str, Session]:
        """A new session for a user who has just signed in."""
        sid = secrets.token_urlsafe(32)
        session = Session(user, secrets.token_urlsafe(32), stamp)
        with self._lock:
            self._expire()
            self._sessions[sid] = session
        return sid, session

    def get(self, sid: str | None) -> Session | None:
        """The live session of a cookie, touched."""
        if not sid:
            return None
        with self._lock:
            session = self._sessions.get(sid)
            if session is None:
                return None
            now = time.monotonic()
            if _expired(session, now):
                del self._sessions[sid]
                return None
            session.seen = now
            return session

    def drop(self, sid: str | None) -> None:
        """Sign out."""
        with self._lock:
            self._sessions.pop(sid or "", None)

    def _expire(self) -> None:
        now = time.monotonic()
        for sid in [s for s, v in self._sessions.items() if _expired(v, now)]:
            del self._sessions[sid]


def _expired(session: Session, now: float) -> bool:
    return now - session.seen > SESSION_IDLE_SECONDS or now - session.born > SESSION_MAX_SECONDS


class LoginLimiter:
    """In the window, at most LOGIN_MAX_FAILURES failed logins for one name from one address,
    and LOGIN_MAX_FAILURES_ADDRESS from one address in all. Not per name alone: anyone could
    then keep the 审批人 locked out by failing on purpose from another PC."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > LOGIN_WINDOW_SECONDS:
            times.popleft()
        return times

    def blocked(self, address: str, name: str) -> int:
        """Seconds to wait before another try (0: may try now)."""
        now = time.monotonic()
        with self._lock:
            waits = [
                int(LOGIN_WINDOW_SECONDS - (now - times[0])) + 1
                for key, most in (
                    (f"a:{address}", LOGIN_MAX_FAILURES_ADDRESS),
                    (f"n:{address}:{name}", LOGIN_MAX_FAILURES),
                )
                if len(times := self._recent(key, now)) >= most
            ]
        return max(waits, default=0)

    def failed(self, address: str, name: str) -> None:
        """Count a failed try."""
        now = time.monotonic()
        with self._lock:
            for key in (f"a:{address}", f"n:{address}:{name}"):
                self._recent(key, now).append(now)

    def succeeded(self, address: str, name: str) -> None:
        """A right password clears the name's count (not the address's)."""
        with self._lock:
            self._failures.pop(f"n:{address}:{name}", None)


@dataclass
class Guard:
    """The security state of one server."""

    single_user: bool
    #: Where sessions look their accounts up on every request (None: no accounts, tests).
    accounts: Accounts | None = None
    sessions: Sessions = field(default_factory=Sessions)
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    #: The CSRF token of the single-user mode's pages (one per server process).
    local_csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def user(self, cookies: dict[str, str]) -> User | None:
        """The user behind a request's cookies (the local user in single-user mode)."""
        if self.single_user:
            return LOCAL_USER
        sid = cookies.get(COOKIE)
        session = self.sessions.get(sid)
        if session is None:
            return None
        if self.accounts is None:
            return session.user
        current = self.accounts.current(session.user.name)
        if current is None or current[1] != session.stamp:
            self.sessions.drop(sid)  # the account was removed or its password reset
            return None
        return current[0]  # its roles as they are now

    def csrf_token(self, cookies: dict[str, str]) -> str:
        """The token a page's forms must send back."""
        if self.single_user:
            return self.local_csrf
        session = self.sessions.get(cookies.get(COOKIE))
        return session.csrf if session else ""

    def csrf_ok(self, cookies: dict[str, str], sent: str | None) -> bool:
        """Whether a form or htmx call carries the right token."""
        expected = self.csrf_token(cookies)
        return bool(expected) and bool(sent) and secrets.compare_digest(expected, str(sent))


def same_origin(headers: Any, scheme: str, host_header: str) -> bool:
    """Whether a browser's request comes from this server's own pages: Origin (or, without it,
    Referer) must name this host; a request with neither (another system, curl) passes."""
    source = headers.get("origin") or headers.get("referer")
    if not source:
        return True
    if source == "null":
        return False
    parts = urlsplit(source)
    return parts.netloc.lower() == host_header.lower() and parts.scheme in ("http", "https")


def host_allowed(host_header: str) -> bool:
    """In single-user mode only the loopback may be named (a rebinding page cannot)."""
    host = host_header.rsplit(":", 1)[0] if not host_header.endswith("]") else host_header
    if host_header.startswith("["):
        host = host_header.split("]")[0] + "]"
    return is_loopback(host.lower())
