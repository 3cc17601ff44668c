"""Invocation ids and the cheap constructors of what every call builds."""

from __future__ import annotations

import os
import uuid

import pytest

from secretsmanager_async._ids import invocation_id, uuid4
from secretsmanager_async._protocol.http import (
    CallContext,
    HttpRequest,
    HttpResponse,
    new_request,
    new_response,
)
from secretsmanager_async._protocol.wire import ResponseMetadata, response_metadata


def test_invocation_ids_are_distinct_version_4_uuids() -> None:
    ids = [invocation_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    for text in (ids[0], ids[-1]):
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
    assert CallContext("GetSecretValue").invocation_id != CallContext("X").invocation_id


def test_uuid4_is_random_version_4() -> None:
    values = {uuid4() for _ in range(1000)}
    assert len(values) == 1000
    assert all(uuid.UUID(v).version == 4 for v in values)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, invocation_id().encode())
        os._exit(0)
    os.close(write)
    theirs = os.read(read, 100).decode()
    os.close(read)
    os.waitpid(pid, 0)
    ours = invocation_id()
    assert uuid.UUID(theirs).version == 4
    assert theirs[:24] != ours[:24]  # a new random prefix in the child


def test_response_metadata_is_the_same_object_as_through_init() -> None:
    fast = response_metadata("req-1", 200, 2, 0.25)
    slow = ResponseMetadata(request_id="req-1", status_code=200, attempts=2, total_retry_delay=0.25)
    assert fast == slow
    assert repr(fast) == repr(slow)
    assert hash(fast) == hash(slow)
    assert type(fast) is ResponseMetadata
    with pytest.raises(AttributeError):
        fast.attempts = 3  # type: ignore[misc]


def test_cheap_requests_and_responses_are_the_frozen_classes() -> None:
    context = CallContext("GetSecretValue")
    fast = new_request("POST", "https://x/", {"A": "b"}, b"{}", context)
    slow = HttpRequest("POST", "https://x/", {"A": "b"}, b"{}", context)
    assert type(fast) is HttpRequest and fast == slow and repr(fast) == repr(slow)
    assert fast.with_url("https://y/").url == "https://y/"
    assert type(fast.with_headers({})) is HttpRequest
    with pytest.raises(AttributeError):
        fast.url = "https://z/"  # type: ignore[misc]
    response = new_response(200, {"x-amzn-requestid": "r"}, b"{}")
    assert type(response) is HttpResponse
    assert response == HttpResponse(200, {"x-amzn-requestid": "r"}, b"{}")
    with pytest.raises(AttributeError):
        response.status = 500  # type: ignore[misc]
