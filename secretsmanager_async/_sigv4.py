"""AWS Signature Version 4, as a pure function of (request, credentials, region, service, time).

No I/O and no clock: the caller passes ``now``. :func:`sign` returns a new request; the input is
never changed. The signing key is derived once per (secret key, date, region, service) and kept
in a :class:`SigningKeyCache`.

This runs once per attempt of every call, so the common case (our own POST to ``/`` with a handful
of headers and no query) avoids regexes and URL parsing: each distinct URL is parsed once and its
host, canonical path and canonical query are remembered.

Rules followed (the AWS SigV4 specification, as botocore applies it to non-S3 services):

* the path is normalized (dot segments removed, repeated slashes collapsed) and then URI-encoded
  again; ``HttpRequest.url`` is the URL as sent, so an already escaped ``%20`` becomes ``%2520``,
  which is what AWS computes on its side for every service but S3;
* query parameters are decoded, RFC 3986-encoded, and sorted by key then value;
* header names are lower-cased; values are trimmed with inner whitespace runs collapsed; headers
  repeated under names differing only in case are joined with ``,``;
* hop-by-hop and proxy-rewritten headers (``User-Agent``, ``Connection``, ...) are not signed, as
  botocore does not, so a proxy changing them cannot break the signature;
* ``Host`` comes from the request's ``Host`` header if it has one, otherwise from the URL (lower
  case, default port omitted) and is then added to the returned request, so what is sent is what
  was signed;
* ``X-Amz-Security-Token`` is signed when the credentials carry a session token.
  ``X-Amz-Content-SHA256`` is not sent: Secrets Manager does not need it, and botocore omits it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

from ._credentials.base import Credentials
from ._protocol import HttpRequest

__all__ = [
    "ALGORITHM",
    "SigningKeyCache",
    "canonical_request",
    "derive_signing_key",
    "format_amz_date",
    "sign",
    "string_to_sign",
]

ALGORITHM = "AWS4-HMAC-SHA256"
_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
_UTC = dt.timezone.utc
_DEFAULT_PORTS = {"http": "80", "https": "443"}

# Never signed (botocore's SIGNED_HEADERS_BLACKLIST): proxies and HTTP stacks may add, drop or
# rewrite these in flight.
_UNSIGNED_HEADERS = frozenset(
    {
        "baggage",
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "traceparent",
        "tracestate",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    }
)
# Set by the signer itself: an incoming value (say, from a previous signing) is dropped.
_SIGNER_HEADERS = frozenset({"authorization", "x-amz-date", "x-amz-security-token"})


class SigningKeyCache:
    """Derived signing keys, keyed by (secret key, date, region, service).

    A key changes only when the date (UTC day) or the credentials change, so one derivation per
    day serves every call. Bounded: the oldest entry goes when ``maxsize`` is reached. The repr
    shows only counts, never key material.
    """

    __slots__ = ("_entries", "_maxsize", "derivations")

    def __init__(self, maxsize: int = 16) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._maxsize = maxsize
        self._entries: dict[tuple[str, str, str, str], bytes] = {}
        #: how many keys were derived (cache misses); for tests and metrics
        self.derivations = 0

    def get(self, secret_access_key: str, date: str, region: str, service: str) -> bytes:
        """Return the signing key for ``date`` (``YYYYMMDD``), deriving it on first use."""
        cache_key = (secret_access_key, date, region, service)
        try:
            return self._entries[cache_key]
        except KeyError:
            pass
        key = derive_signing_key(secret_access_key, date, region, service)
        self.derivations += 1
        entries = self._entries
        if len(entries) >= self._maxsize:
            # dicts keep insertion order: drop the oldest. pop(..., None) tolerates a
            # concurrent eviction from another thread.
            entries.pop(next(iter(entries), cache_key), None)
        entries[cache_key] = key
        return key

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"SigningKeyCache(size={len(self._entries)}, derivations={self.derivations})"


# Used when the caller passes no cache; per-process, like the URL cache.
_DEFAULT_KEY_CACHE = SigningKeyCache()


def derive_signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """Derive the SigV4 signing key (the HMAC chain over date, region, service)."""
    k = hmac.digest(("AWS4" + secret_access_key).encode(), date.encode(), "sha256")
    k = hmac.digest(k, region.encode(), "sha256")
    k = hmac.digest(k, service.encode(), "sha256")
    return hmac.digest(k, b"aws4_request", "sha256")


def format_amz_date(now: dt.datetime) -> str:
    """``now`` as the ``X-Amz-Date`` value (``YYYYMMDDTHHMMSSZ``, UTC). ``now`` must be aware."""
    return _format_amz_date(now)


# The signing stage passes one datetime for a whole second: format it once.
@functools.lru_cache(maxsize=4)
def _format_amz_date(now: dt.datetime) -> str:
    tz = now.tzinfo
    if tz is not _UTC:
        if tz is None:
            # a naive time is ambiguous (local or UTC?) and would sign a skewed request
            raise ValueError("now must be timezone-aware")
        now = now.astimezone(_UTC)
    return "%04d%02d%02dT%02d%02d%02dZ" % (  # noqa: UP031 - measured faster than f-string/strftime
        now.year,
        now.month,
        now.day,
        now.hour,
        now.minute,
        now.second,
    )


class _UrlParts(NamedTuple):
    host: str
    canonical_uri: str
    canonical_query: str


@functools.lru_cache(maxsize=128)
def _parse_url(url: str) -> _UrlParts:
    """Host header value, canonical URI and canonical query of ``url`` (cached per URL)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError("request url must be absolute")
    return _UrlParts(
        host=_host_from_netloc(parts.scheme.lower(), parts.netloc),
        canonical_uri=_canonical_uri(parts.path),
        canonical_query=_canonical_query(parts.query),
    )


def _host_from_netloc(scheme: str, netloc: str) -> str:
    hostport = netloc.rpartition("@")[2]  # drop any userinfo
    if hostport.startswith("["):  # IPv6 literal: the port follows "]"
        host, _, rest = hostport.partition("]")
        host += "]"
        port = rest[1:] if rest.startswith(":") else ""
    else:
        host, _, port = hostport.partition(":")
    host = host.lower()
    if not host.isascii():
        # the wire carries the IDNA form, so that is what the server signs
        host = host.encode("idna").decode("ascii")
    if port and port != _DEFAULT_PORTS.get(scheme):
        return f"{host}:{port}"
    return host


def _canonical_uri(path: str) -> str:
    if path in ("", "/"):
        return "/"
    # RFC 3986 dot-segment removal, plus AWS's collapsing of empty segments ("//")
    out: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
        else:
            out.append(segment)
    normalized = "/" + "/".join(out)
    if out and path.endswith("/"):
        normalized += "/"
    return quote(normalized, safe="/~")


def _canonical_query(query: str) -> str:
    if not query:
        return ""
    pairs: list[tuple[str, str]] = []
    for item in query.split("&"):
        if not item:
            continue
        key, _, value = item.partition("=")
        # decode first so that "%7E" and "~" (or "%e1" and "%E1") sign the same
        pairs.append((quote(unquote(key), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    pairs.sort()
    return "&".join(f"{k}={v}" for k, v in pairs)


# Header name -> its lower-case form, or one of two markers: headers the signer replaces
# (_SKIP) and headers sent unsigned (_UNSIGNED). Our requests reuse a handful of names,
# so classifying each name once saves work on every attempt.
_SKIP = "\x00skip"
_UNSIGNED = "\x00unsigned"
_HEADER_KINDS: dict[str, str] = {}


def _header_kind(name: str) -> str:
    lname = name.lower()
    kind = _SKIP if lname in _SIGNER_HEADERS else _UNSIGNED if lname in _UNSIGNED_HEADERS else lname
    if len(_HEADER_KINDS) < 256:  # bounded: header names are few, but callers may vary them
        _HEADER_KINDS[name] = kind
    return kind


def _prepare(
    request: HttpRequest, amz_date: str, session_token: str | None
) -> tuple[dict[str, str], str, str]:
    """The headers to send, the canonical request and the signed-headers list."""
    url = _parse_url(request.url)
    send: dict[str, str] = {}
    canon: dict[str, str] = {}
    kinds = _HEADER_KINDS
    for name, value in request.headers.items():
        kind = kinds.get(name)
        if kind is None:
            kind = _header_kind(name)
        if kind is _SKIP:
            continue
        send[name] = value
        if kind is _UNSIGNED:
            continue
        value = " ".join(value.split())
        if kind in canon:
            canon[kind] = f"{canon[kind]},{value}"
        else:
            canon[kind] = value
    if "host" not in canon:
        canon["host"] = send["Host"] = url.host
    canon["x-amz-date"] = send["X-Amz-Date"] = amz_date
    if session_token is not None:
        canon["x-amz-security-token"] = send["X-Amz-Security-Token"] = session_token
    names = sorted(canon)
    signed_headers = ";".join(names)
    body = request.body
    payload_hash = hashlib.sha256(body).hexdigest() if body else _EMPTY_SHA256
    creq = "\n".join(
        (
            request.method.upper(),
            url.canonical_uri,
            url.canonical_query,
            "".join([f"{n}:{canon[n]}\n" for n in names]),
            signed_headers,
            payload_hash,
        )
    )
    return send, creq, signed_headers


def canonical_request(request: HttpRequest, credentials: Credentials, *, now: dt.datetime) -> str:
    """The canonical request that :func:`sign` would build for these arguments."""
    return _prepare(request, format_amz_date(now), credentials.session_token)[1]


def string_to_sign(canonical_request: str, *, now: dt.datetime, region: str, service: str) -> str:
    """The string to sign for ``canonical_request`` at ``now`` in ``region`` for ``service``."""
    amz_date = format_amz_date(now)
    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{amz_date[:8]}/{region}/{service}/aws4_request\n{digest}"


def sign(
    request: HttpRequest,
    credentials: Credentials,
    *,
    region: str,
    service: str,
    now: dt.datetime,
    key_cache: SigningKeyCache | None = None,
) -> HttpRequest:
    """Return a copy of ``request`` signed with SigV4 at time ``now``.

    Adds ``X-Amz-Date``, ``Authorization``, ``Host`` (unless present) and, for temporary
    credentials, ``X-Amz-Security-Token``. ``key_cache`` defaults to a per-process cache.
    """
    amz_date = format_amz_date(now)
    headers, creq, signed_headers = _prepare(request, amz_date, credentials.session_token)
    date = amz_date[:8]
    scope = f"{date}/{region}/{service}/aws4_request"
    sts = f"{ALGORITHM}\n{amz_date}\n{scope}\n" + hashlib.sha256(creq.encode()).hexdigest()
    if key_cache is None:
        key_cache = _DEFAULT_KEY_CACHE
    key = key_cache.get(credentials.secret_access_key, date, region, service)
    signature = hmac.digest(key, sts.encode(), "sha256").hex()
    headers["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return request.with_headers(headers)
