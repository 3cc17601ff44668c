"""The SigV4 signer against the AWS SigV4 test suite, plus its cache, purity and secrecy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from secretsmanager_async._credentials.base import Credentials
from secretsmanager_async._protocol import CallContext, HttpRequest
from secretsmanager_async._sigv4 import (
    SigningKeyCache,
    canonical_request,
    derive_signing_key,
    format_amz_date,
    sign,
    string_to_sign,
)

SUITE = Path(__file__).parents[1] / "data" / "sigv4-testsuite"
NOW = dt.datetime(2015, 8, 30, 12, 36, 0, tzinfo=dt.timezone.utc)
REGION = "us-east-1"
SERVICE = "service"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
CREDS = Credentials(ACCESS_KEY, SECRET_KEY)

# Cases whose credentials differ from the suite default.
# - get-vanilla-with-session-token: its .creq shows the token signed, but its .req lacks the header;
#   the token comes from the credentials, which is how the suite's own runners (botocore) use it.
# - post-sts-header-before: the token header is in the .req and signed; credentials carry it too.
# - post-sts-header-after: the token is added after signing and left out of the signature. We
#   always sign the token (Secrets Manager accepts, and botocore does, the signed form), so this
#   case runs with token-less credentials: its .creq/.sts/.authz describe exactly that signature.
#   Only its .sreq (the token appended afterwards) is out of scope.
SESSION_TOKENS = {
    "get-vanilla-with-session-token": (
        "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"
    ),
    "post-sts-header-before": (
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfp"
        "SPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPky"
        "QDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBA"
        "z+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
    ),
}
# No case is inapplicable: every folder's .creq, .sts and .authz are checked. The .sreq files are
# not compared (they restate .authz as a header, and get-vanilla-with-session-token's .sreq
# carries a signature that matches none of its other files, a known flaw of the suite).


def _case_dirs() -> list[Path]:
    if not SUITE.is_dir():
        return []
    return sorted(p.parent for p in SUITE.rglob("*.req"))


def _parse_req(raw: str) -> tuple[str, str, dict[str, str], bytes]:
    """Parse a suite .req file into (method, path, headers, body)."""
    head, sep, body = raw.partition("\n\n")
    if not sep:
        head, body = raw.rstrip("\n"), ""
    request_line, *lines = head.split("\n")
    method, rest = request_line.split(" ", 1)
    path = rest.rsplit(" ", 1)[0]  # drop "HTTP/1.1"; the path itself may hold spaces
    fields: list[list[str]] = []
    for line in lines:
        if line[:1] in (" ", "\t") and fields:
            # obs-fold continuation: RFC 7230 says replace the fold with a space
            fields[-1][1] += " " + line.strip()
        else:
            name, _, value = line.partition(":")
            fields.append([name, value])
    headers: dict[str, str] = {}
    for name, value in fields:
        # repeated fields are sent as one comma-joined field (RFC 7230 section 3.2.2)
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    return method, path, headers, body.encode()


def _load_case(case: Path) -> tuple[HttpRequest, Credentials, dict[str, str]]:
    name = case.name
    raw = (case / f"{name}.req").read_bytes().decode("utf-8")
    method, path, headers, body = _parse_req(raw)
    host = next(v for k, v in headers.items() if k.lower() == "host")
    request = HttpRequest(
        method=method,
        url=f"https://{host}{path}",
        headers=headers,
        body=body,
        context=CallContext(operation="Test"),
    )
    creds = Credentials(ACCESS_KEY, SECRET_KEY, SESSION_TOKENS.get(name))
    expected = {
        ext: (case / f"{name}.{ext}").read_text(encoding="utf-8")
        for ext in ("creq", "sts", "authz")
    }
    return request, creds, expected


def _suite_params() -> list[object]:
    # the suite ships in tests/data: a missing copy fails the count test, never skips
    return [pytest.param(c, id=c.name) for c in _case_dirs()]


@pytest.mark.parametrize("case", _suite_params())
def test_suite_case(case: Path) -> None:
    """Canonical request, string to sign and Authorization match the suite exactly."""
    request, creds, expected = _load_case(case)
    creq = canonical_request(request, creds, now=NOW)
    assert creq == expected["creq"]
    assert string_to_sign(creq, now=NOW, region=REGION, service=SERVICE) == expected["sts"]
    signed = sign(request, creds, region=REGION, service=SERVICE, now=NOW)
    assert signed.headers["Authorization"] == expected["authz"]
    assert signed.headers["X-Amz-Date"] == "20150830T123600Z"


def test_suite_present_has_all_cases() -> None:
    """The suite in tests/data holds the 34 cases this file expects (guards an empty glob)."""
    assert len(_case_dirs()) == 34


def _request(headers: dict[str, str] | None = None, url: str | None = None) -> HttpRequest:
    return HttpRequest(
        method="POST",
        url=url or "https://secretsmanager.us-east-1.amazonaws.com/",
        headers=headers
        if headers is not None
        else {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "secretsmanager.GetSecretValue",
        },
        body=b'{"SecretId": "db"}',
        context=CallContext(operation="GetSecretValue"),
    )


def test_signing_key_derived_once_per_day() -> None:
    """The key is derived on the first call of each UTC day and reused within the day."""
    cache = SigningKeyCache()
    request = _request()
    for hour in range(24):
        now = dt.datetime(2024, 5, 1, hour, 59, 59, tzinfo=dt.timezone.utc)
        sign(request, CREDS, region="us-east-1", service="secretsmanager", now=now, key_cache=cache)
    assert cache.derivations == 1
    next_day = dt.datetime(2024, 5, 2, 0, 0, 0, tzinfo=dt.timezone.utc)
    sign(
        request, CREDS, region="us-east-1", service="secretsmanager", now=next_day, key_cache=cache
    )
    assert cache.derivations == 2


def test_signing_key_cache_separates_keys_and_regions() -> None:
    """A different secret key or region derives a different key."""
    cache = SigningKeyCache()
    a = cache.get(SECRET_KEY, "20240501", "us-east-1", "secretsmanager")
    b = cache.get("other-secret", "20240501", "us-east-1", "secretsmanager")
    c = cache.get(SECRET_KEY, "20240501", "eu-west-1", "secretsmanager")
    assert len({a, b, c}) == 3
    assert cache.derivations == 3
    assert a == derive_signing_key(SECRET_KEY, "20240501", "us-east-1", "secretsmanager")


def test_signing_key_cache_is_bounded() -> None:
    """The cache never grows past maxsize; the oldest entry goes first."""
    cache = SigningKeyCache(maxsize=2)
    for day in (1, 2, 3):
        cache.get(SECRET_KEY, f"2024050{day}", "us-east-1", "secretsmanager")
    assert len(cache) == 2
    cache.get(SECRET_KEY, "20240503", "us-east-1", "secretsmanager")
    assert cache.derivations == 3  # newest kept
    cache.get(SECRET_KEY, "20240501", "us-east-1", "secretsmanager")
    assert cache.derivations == 4  # oldest evicted


def test_empty_cache_is_used_not_replaced() -> None:
    """An empty cache passed in is filled (not swapped for the default because it is falsy)."""
    cache = SigningKeyCache()
    sign(_request(), CREDS, region="us-east-1", service="secretsmanager", now=NOW, key_cache=cache)
    assert cache.derivations == 1


def test_session_token_is_sent_and_signed() -> None:
    """Temporary credentials add X-Amz-Security-Token and include it in SignedHeaders."""
    creds = Credentials(ACCESS_KEY, SECRET_KEY, "the-session-token")
    signed = sign(_request(), creds, region="us-east-1", service="secretsmanager", now=NOW)
    assert signed.headers["X-Amz-Security-Token"] == "the-session-token"
    assert "x-amz-security-token" in signed.headers["Authorization"].split("SignedHeaders=")[1]
    unsigned = sign(_request(), CREDS, region="us-east-1", service="secretsmanager", now=NOW)
    assert "X-Amz-Security-Token" not in unsigned.headers


def test_secretsmanager_request_signature() -> None:
    """A Secrets Manager call signs the expected headers and no content-sha256 header."""
    signed = sign(_request(), CREDS, region="us-east-1", service="secretsmanager", now=NOW)
    authz = signed.headers["Authorization"]
    assert authz.startswith(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/secretsmanager/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="
    )
    assert signed.headers["Host"] == "secretsmanager.us-east-1.amazonaws.com"
    assert "X-Amz-Content-SHA256" not in signed.headers


def test_request_is_not_mutated() -> None:
    """sign() returns a new request and leaves the input's headers untouched."""
    headers = {"Content-Type": "application/x-amz-json-1.1"}
    request = _request(headers)
    signed = sign(request, CREDS, region="us-east-1", service="secretsmanager", now=NOW)
    assert signed is not request
    assert headers == {"Content-Type": "application/x-amz-json-1.1"}
    assert request.headers == headers
    assert signed.body == request.body
    assert signed.context is request.context


def test_resigning_replaces_old_signature() -> None:
    """Signing an already signed request replaces date, token and Authorization, not adds."""
    creds = Credentials(ACCESS_KEY, SECRET_KEY, "tok")
    first = sign(_request(), creds, region="us-east-1", service="secretsmanager", now=NOW)
    later = NOW + dt.timedelta(seconds=5)
    second = sign(first, CREDS, region="us-east-1", service="secretsmanager", now=later)
    again = sign(_request(), CREDS, region="us-east-1", service="secretsmanager", now=later)
    assert second.headers == again.headers
    assert "X-Amz-Security-Token" not in second.headers


def test_secret_material_never_in_repr() -> None:
    """Neither the secret key nor the session token appears in any repr or str."""
    creds = Credentials(ACCESS_KEY, SECRET_KEY, "session-token-value")
    cache = SigningKeyCache()
    signed = sign(
        _request(), creds, region="us-east-1", service="secretsmanager", now=NOW, key_cache=cache
    )
    key = cache.get(SECRET_KEY, "20150830", "us-east-1", "secretsmanager")
    for obj in (creds, cache, signed):
        for text in (repr(obj), str(obj)):
            assert SECRET_KEY not in text
            assert "session-token-value" not in text
            assert key.hex() not in text


def test_host_from_url() -> None:
    """Host is lower-cased, drops userinfo and default ports, keeps other ports."""
    cases = {
        "https://SecretsManager.US-East-1.amazonaws.com/": "secretsmanager.us-east-1.amazonaws.com",
        "https://example.com:443/": "example.com",
        "http://example.com:80/": "example.com",
        "http://127.0.0.1:5000/": "127.0.0.1:5000",
        "https://example.com:80/": "example.com:80",
        "http://user:pw@example.com:8080/": "example.com:8080",
        "http://[::1]:4566/": "[::1]:4566",
        "http://[::1]/": "[::1]",
    }
    for url, host in cases.items():
        signed = sign(
            _request({}, url=url), CREDS, region="us-east-1", service="secretsmanager", now=NOW
        )
        assert signed.headers["Host"] == host, url


def test_explicit_host_header_wins() -> None:
    """A Host header given by the caller is signed as is and not duplicated."""
    request = _request({"host": "proxy.internal"}, url="http://127.0.0.1:9/")
    creq = canonical_request(request, CREDS, now=NOW)
    assert "host:proxy.internal\n" in creq
    signed = sign(request, CREDS, region="us-east-1", service="secretsmanager", now=NOW)
    assert "Host" not in signed.headers


def test_header_canonicalization() -> None:
    """Case-variant duplicate names join with ',', values are trimmed, unsafe headers skipped."""
    request = _request(
        {
            "X-Custom": "  a   b ",
            "x-custom": "c",
            "User-Agent": "test-agent",
            "Connection": "keep-alive",
        }
    )
    creq = canonical_request(request, CREDS, now=NOW)
    assert "x-custom:a b,c\n" in creq
    assert "user-agent" not in creq
    assert "connection" not in creq
    signed = sign(request, CREDS, region="us-east-1", service="secretsmanager", now=NOW)
    assert signed.headers["User-Agent"] == "test-agent"  # still sent, just not signed


def test_path_is_encoded_again() -> None:
    """An escaped path is URI-encoded once more, as AWS does for every service but S3."""
    request = _request({}, url="https://example.com/a%20b/c~d/$x")
    assert canonical_request(request, CREDS, now=NOW).split("\n")[1] == "/a%2520b/c~d/%24x"


def test_query_is_normalized() -> None:
    """Query parameters are decoded, re-encoded the RFC 3986 way and sorted by key then value."""
    request = _request({}, url="https://example.com/?b=2&a=%7e&a=1&c&sp=a+b%20c")
    assert canonical_request(request, CREDS, now=NOW).split("\n")[2] == (
        "a=1&a=~&b=2&c=&sp=a%2Bb%20c"
    )


def test_date_conversion() -> None:
    """Aware times in other zones are converted to UTC; naive times are refused."""
    plus2 = dt.timezone(dt.timedelta(hours=2))
    assert format_amz_date(dt.datetime(2015, 8, 30, 14, 36, tzinfo=plus2)) == "20150830T123600Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        format_amz_date(dt.datetime(2015, 8, 30, 12, 36))


def test_relative_url_refused() -> None:
    """A URL without scheme and host cannot be signed."""
    with pytest.raises(ValueError, match="absolute"):
        sign(_request({}, url="/just/a/path"), CREDS, region="r", service="s", now=NOW)


def test_signed_request_repr_redacts_credentials_headers() -> None:
    """A signed request's repr hides the token and Authorization but keeps other headers."""
    creds = Credentials(ACCESS_KEY, SECRET_KEY, "session-token-value")
    signed = sign(_request(), creds, region="us-east-1", service="secretsmanager", now=NOW)
    text = repr(signed)
    assert "Signature=" not in text
    assert "'X-Amz-Security-Token': '<redacted>'" in text
    assert "secretsmanager.GetSecretValue" in text


@pytest.mark.parametrize(
    "url",
    [
        "https://secretsmanager.eu-west-1.amazonaws.com",
        "http://127.0.0.1:5000",
        "http://localhost:4566/some/prefix/",
    ],
)
@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEXAMPLE//token+="])
def test_matches_botocore(url: str, token: str | None) -> None:
    """Our canonical request and signature equal botocore's (an independent signer)."""
    auth = pytest.importorskip("botocore.auth")
    awsrequest = pytest.importorskip("botocore.awsrequest")
    boto_credentials = pytest.importorskip("botocore.credentials")
    headers = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "secretsmanager.GetSecretValue",
        "User-Agent": "secretsmanager-async/0.1 python/3.11 aiohttp/3.9",
        "amz-sdk-invocation-id": "0b5e3f9c-8a2e-4b7c-9d1e-2f3a4b5c6d7e",
        "amz-sdk-request": "attempt=1; max=3",
    }
    body = '{"SecretId": "naïve/秘密"}'.encode()
    request = HttpRequest(
        method="POST", url=url, headers=headers, body=body, context=CallContext(operation="T")
    )
    creds = Credentials(ACCESS_KEY, SECRET_KEY, token)
    ours = sign(request, creds, region="eu-west-1", service="secretsmanager", now=NOW)

    theirs = awsrequest.AWSRequest(method="POST", url=url, headers=dict(headers), data=body)
    theirs.context["timestamp"] = "20150830T123600Z"
    theirs.headers["X-Amz-Date"] = "20150830T123600Z"
    if token:
        theirs.headers["X-Amz-Security-Token"] = token
    signer = auth.SigV4Auth(
        boto_credentials.Credentials(ACCESS_KEY, SECRET_KEY, token), "secretsmanager", "eu-west-1"
    )
    boto_creq = signer.canonical_request(theirs)
    boto_signature = signer.signature(signer.string_to_sign(theirs, boto_creq), theirs)

    assert canonical_request(request, creds, now=NOW) == boto_creq
    assert ours.headers["Authorization"].endswith(f"Signature={boto_signature}")
