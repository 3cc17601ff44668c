"""Protocol checks for the benchmark endpoint: run with ``pytest benchmarks/test_server.py``."""

from __future__ import annotations

import http.client
import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _data
from server import ServerProcess


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with ServerProcess(50, max_seconds=120) as server:
        yield server.port


def call(port: int, operation: str, params: Any) -> tuple[int, dict[str, str], Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(
            "POST",
            "/",
            body=json.dumps(params),
            headers={"X-Amz-Target": f"secretsmanager.{operation}"},
        )
        response = conn.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, json.loads(response.read())
    finally:
        conn.close()


def test_get_secret_value_by_name_and_arn(port: int) -> None:
    """GetSecretValue answers by name and by full ARN with the expected SecretString."""
    for secret_id in (_data.secret_name(7), _data.secret_arn(7)):
        status, headers, body = call(port, "GetSecretValue", {"SecretId": secret_id})
        assert status == 200
        assert body["SecretString"] == _data.secret_value(7)
        assert body["Name"] == _data.secret_name(7)
        assert headers["x-amzn-requestid"]


def test_missing_secret_is_a_json_error(port: int) -> None:
    """A missing secret is a 400 with the error type in header and body."""
    status, headers, body = call(port, "GetSecretValue", {"SecretId": "nope"})
    assert status == 400
    assert headers["x-amzn-errortype"] == "ResourceNotFoundException"
    assert body["__type"] == "ResourceNotFoundException"
    assert headers["x-amzn-requestid"]


def test_batch_reports_missing_ids_per_id(port: int) -> None:
    """BatchGetSecretValue returns found values and an Errors entry per missing id."""
    ids = [_data.secret_name(1), "missing", _data.secret_name(2)]
    status, _, body = call(port, "BatchGetSecretValue", {"SecretIdList": ids})
    assert status == 200
    assert [v["SecretString"] for v in body["SecretValues"]] == [
        _data.secret_value(1),
        _data.secret_value(2),
    ]
    assert body["Errors"][0]["SecretId"] == "missing"
    assert body["Errors"][0]["ErrorCode"] == "ResourceNotFoundException"


def test_batch_validates_its_parameters(port: int) -> None:
    """More than 20 ids, or both or neither of ids and filters, is an InvalidParameter error."""
    for params in (
        {"SecretIdList": [_data.secret_name(i) for i in range(21)]},
        {},
        {"SecretIdList": ["a"], "Filters": []},
    ):
        status, headers, _ = call(port, "BatchGetSecretValue", params)
        assert status == 400
        assert headers["x-amzn-errortype"] == "InvalidParameterException"


def test_batch_with_name_filter(port: int) -> None:
    """Filters select secrets by name prefix."""
    filters = [{"Key": "name", "Values": ["bench/secret-004"]}]
    _, _, body = call(port, "BatchGetSecretValue", {"Filters": filters})
    expected = [_data.secret_name(i) for i in range(40, 50)]
    assert [v["Name"] for v in body["SecretValues"]] == expected


def test_describe_and_list_with_pagination(port: int) -> None:
    """DescribeSecret answers from memory and ListSecrets pages through all secrets."""
    _, _, described = call(port, "DescribeSecret", {"SecretId": _data.secret_name(3)})
    assert described["ARN"] == _data.secret_arn(3)
    assert "SecretString" not in described
    names: list[str] = []
    params: dict[str, Any] = {"MaxResults": 20}
    for _ in range(10):
        _, _, page = call(port, "ListSecrets", params)
        names += [s["Name"] for s in page["SecretList"]]
        if "NextToken" not in page:
            break
        params["NextToken"] = page["NextToken"]
    assert names == [_data.secret_name(i) for i in range(50)]


def _raw_exchange(port: int, payload: bytes, responses: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(payload)
        data = b""
        while data.count(b"HTTP/1.1 ") < responses or not data.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_keep_alive_pipelining_and_chunked_bodies(port: int) -> None:
    """Two pipelined requests on one connection, one of them chunked, both get answers."""
    body = json.dumps({"SecretId": _data.secret_name(5)}).encode()
    plain = (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: secretsmanager.GetSecretValue\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    chunked = (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: secretsmanager.GetSecretValue\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    )
    data = _raw_exchange(port, plain + chunked, 2)
    assert data.count(b"HTTP/1.1 200 OK") == 2
    assert data.count(b"svc0005") == 2


def test_stats_counts_requests_and_cpu(port: int) -> None:
    """bench.Stats reports a growing request count and the server's CPU time."""

    def stats() -> dict[str, Any]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/", body=b"{}", headers={"X-Amz-Target": "bench.Stats"})
        result: dict[str, Any] = json.loads(conn.getresponse().read())
        conn.close()
        return result

    before = stats()
    call(port, "GetSecretValue", {"SecretId": _data.secret_name(0)})
    after = stats()
    assert after["requests"] == before["requests"] + 2
    assert after["cpu"] >= before["cpu"] > 0
