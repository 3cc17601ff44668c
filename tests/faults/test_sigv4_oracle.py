"""SigV4 against botocore's signer as an oracle, on generated requests.

Both signers sign the same request at the same frozen time; the canonical request, the
signature and the Authorization header must be identical.

What is generated: method; host (lower/upper case, default and non-default ports, http and
https); paths of arbitrary unicode segments including ``.``, ``..``, empty segments (``//``),
``%`` and trailing slashes; query parameters with arbitrary unicode keys and values (repeated
keys, empty values); headers with random names in random case, values with leading, trailing
and repeated inner spaces and tabs, names repeated in different case; an optional session token;
an arbitrary body.

Excluded, and why:

* Header values outside printable ASCII (plus space and tab): HTTP/1.1 cannot carry them
  portably, and botocore's ``HTTPHeaders`` (an ``email.message.Message``) folds or rejects
  line breaks, so there is no common behaviour to compare.
* Header names the signers set or treat specially: ``Authorization``, ``X-Amz-Date``,
  ``X-Amz-Security-Token`` (both replace them), ``Date`` (botocore rewrites it, we never send
  it), ``X-Amz-Content-SHA256`` (botocore signs its value as the payload hash; we never send
  it), and ``Host`` (we sign the URL's host, checked separately in the generated hosts).
* Query strings are given to botocore as ``params`` (its path for parameters it encodes itself)
  and to us as the URL encoded the same way: botocore signs a URL's raw query *without*
  normalising its encoding, while we decode and re-encode, so a hand-written, oddly escaped URL
  query is a case where we deliberately differ (AWS itself normalises, as we do).
* ``?`` and ``#`` in path segments: they end the path in any URL, so they cannot be in one.
* Empty query keys: meaningless for AWS, and botocore keeps a bare ``=v`` while both agree on
  every non-empty key.
"""

from __future__ import annotations

import datetime as dt
import string
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretsmanager_async._credentials.base import Credentials
from secretsmanager_async._protocol import CallContext, HttpRequest
from secretsmanager_async._sigv4 import canonical_request, sign

botocore_auth = pytest.importorskip("botocore.auth")
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials as BotoCredentials  # noqa: E402

NOW = dt.datetime(2024, 2, 29, 23, 59, 58, tzinfo=dt.timezone.utc)
REGION = "eu-west-3"
SERVICE = "secretsmanager"
ACCESS_KEY = "AKIDORACLE"
SECRET_KEY = "oracle/secret+key=="

_EXCLUDED_HEADERS = {
    "authorization",
    "x-amz-date",
    "x-amz-security-token",
    "date",
    "x-amz-content-sha256",
    "host",
}


def _random_case(draw: Any, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if f else c.lower() for c, f in zip(text, flips, strict=True))


header_names = st.text(
    string.ascii_lowercase + string.digits + "-", min_size=1, max_size=12
).filter(lambda n: n not in _EXCLUDED_HEADERS)
header_values = st.builds(
    lambda lead, words, seps, trail: (
        lead + "".join(w + s for w, s in zip(words, seps, strict=False)) + trail
    ),
    st.sampled_from(["", " ", "  ", "\t", " \t "]),
    st.lists(st.text(string.printable.strip(), min_size=1, max_size=8), max_size=4),
    st.lists(st.sampled_from([" ", "   ", "\t", " \t  "]), min_size=4, max_size=4),
    st.sampled_from(["", " ", "   ", "\t"]),
)
segments = st.one_of(
    st.sampled_from(["", ".", "..", "%", "%20", "a b", "~", "-_.", "é", "日本"]),
    st.text(st.characters(blacklist_characters="/?#", blacklist_categories=("Cs",)), max_size=6),
    # ASCII punctuation: where the reserved/unreserved encoding rules differ
    st.text(string.punctuation.translate(str.maketrans("", "", "/?#")), min_size=1, max_size=4),
)
query_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=8),
    st.text(string.punctuation + " ", max_size=4),
)


@st.composite
def requests(draw: Any) -> dict[str, Any]:
    """One request description shared by both signers."""
    scheme = draw(st.sampled_from(["http", "https"]))
    host = _random_case(
        draw, draw(st.sampled_from(["secretsmanager.example", "127.0.0.1", "a-b.c"]))
    )
    port = draw(st.sampled_from(["", ":80", ":443", ":8443", ":1"]))
    path = "/" + "/".join(draw(st.lists(segments, max_size=5)))
    params = draw(st.lists(st.tuples(query_text.filter(bool), query_text), max_size=4))
    headers: list[tuple[str, str]] = []
    for name, value in draw(st.lists(st.tuples(header_names, header_values), max_size=5)):
        spellings = [_random_case(draw, name)]
        if draw(st.booleans()):
            # the same header again under another spelling: both join the trimmed values with ","
            spellings.append(_random_case(draw, name))
        for spelling in spellings:
            # our headers are a dict: one value per exact spelling
            if all(spelling != seen for seen, _ in headers):
                headers.append(
                    (spelling, value if spelling == spellings[0] else draw(header_values))
                )
    return {
        "method": draw(st.sampled_from(["GET", "POST", "PUT", "DELETE", "post"])),
        "base": f"{scheme}://{host}{port}",
        "path": path,
        "params": params,
        "headers": headers,
        "body": draw(st.binary(max_size=64)),
        "token": draw(st.one_of(st.none(), st.text(string.ascii_letters + "/+=", min_size=1))),
    }


def _ours(case: dict[str, Any]) -> tuple[str, str]:
    query = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in case["params"])
    url = case["base"] + case["path"] + ("?" + query if query else "")
    headers = dict(case["headers"])
    request = HttpRequest(case["method"], url, headers, case["body"], CallContext("Oracle"))
    creds = Credentials(ACCESS_KEY, SECRET_KEY, case["token"])
    signed = sign(request, creds, region=REGION, service=SERVICE, now=NOW)
    return canonical_request(request, creds, now=NOW), signed.headers["Authorization"]


def _botocore(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    monkeypatch.setattr(
        botocore_auth, "get_current_datetime", lambda remove_tzinfo=True: NOW.replace(tzinfo=None)
    )
    request = AWSRequest(
        method=case["method"],
        url=case["base"] + case["path"],
        params=list(case["params"]),
        data=case["body"],
    )
    for name, value in case["headers"]:
        # HTTPHeaders is an email.message.Message: item assignment appends, keeping repeats
        request.headers[name] = value
    signer = botocore_auth.SigV4Auth(
        BotoCredentials(ACCESS_KEY, SECRET_KEY, case["token"]), SERVICE, REGION
    )
    # capture the canonical request add_auth signs (afterwards it would include Authorization)
    seen: list[str] = []
    build = signer.canonical_request

    def capture(req: Any) -> str:
        seen.append(build(req))
        return seen[-1]

    signer.canonical_request = capture  # type: ignore[method-assign]
    signer.add_auth(request)
    return seen[0], request.headers["Authorization"]


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=requests())
def test_signature_matches_botocore(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Our canonical request and Authorization header equal botocore's for generated requests."""
    ours_creq, ours_auth = _ours(case)
    boto_creq, boto_auth = _botocore(case, monkeypatch)
    assert ours_creq == boto_creq
    assert ours_auth == boto_auth
