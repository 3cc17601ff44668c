"""The Lambda way: a module-level sync client and cache reused by a sync handler.

One execution environment runs many invocations in one process; the client, its connection
pool and its credentials must outlive each invocation. A stdlib keep-alive server in a thread
counts TCP connections; a provider counts credential loads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from secretsmanager_async import Credentials
from secretsmanager_async.sync import SecretCache, SecretsManagerClient


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.connections = 0
        self.requests = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        super().process_request(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server: _Server

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        params = json.loads(self.rfile.read(length) or b"{}")
        self.server.requests += 1
        body = json.dumps(
            {"ARN": "arn", "Name": params["SecretId"], "SecretString": "pw", "VersionId": "v1"}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class CountingProvider:
    """A credentials provider that counts its loads."""

    def __init__(self) -> None:
        self.loads = 0

    async def load(self) -> Credentials:
        self.loads += 1
        return Credentials("AKIDLAMBDA", "lambda-secret", "lambda-session")


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_one_client_across_100_invocations(server: _Server) -> None:
    """100 invocations of a sync handler: one connection set-up, one credentials load."""
    provider = CountingProvider()
    # what a Lambda module does at import (INIT): module-level client and cache
    client = SecretsManagerClient(
        region="us-east-1",
        endpoint_url=f"http://127.0.0.1:{server.server_address[1]}",
        credentials=provider,
    )
    cache = SecretCache(client, ttl=300)

    def handler(event: dict[str, str], context: object) -> dict[str, str]:
        value = client.get_secret_value(secret_id=event["id"]).secret_string
        cached = cache.get_secret_string("cached")
        return {"direct": value or "", "cached": cached}

    try:
        for n in range(100):
            assert handler({"id": f"s{n}"}, None) == {"direct": "pw", "cached": "pw"}
    finally:
        cache.close()
        client.close()
    assert server.requests == 101  # 100 direct reads, one for the cached secret
    assert server.connections == 1
    assert provider.loads == 1
