"""Safe defaults: TLS verified unless told otherwise, custom CA bundles, HTTPS unless explicit.

The HTTPS server is a local aiohttp app on 127.0.0.1 with a self-signed certificate generated
here (``cryptography``); nothing leaves the machine.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from secretsmanager_async import Credentials, SecretsManagerClient
from secretsmanager_async._endpoints import resolve_endpoint
from secretsmanager_async.exceptions import ConnectError, TLSError

from .conftest import CREDENTIALS

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (IP SAN) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secretsmanager-async test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class TlsServer:
    """A local HTTPS endpoint answering every call with a fixed GetSecretValue result."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(cert, key)
        self.cert = cert
        self.calls = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        self.calls += 1
        return web.json_response(
            {"Name": "tls", "SecretString": "over-tls"},
            content_type="application/x-amz-json-1.1",
        )

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.context)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"https://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def tls_server(tmp_path: Path) -> AsyncIterator[TlsServer]:
    """An HTTPS server on 127.0.0.1 with a freshly generated self-signed certificate."""
    server = TlsServer(*self_signed(tmp_path))
    await server.start()
    yield server
    await server.stop()


def tls_client(url: str, **settings: object) -> SecretsManagerClient:
    return SecretsManagerClient(
        region="us-east-1",
        endpoint_url=url,
        credentials=CREDENTIALS,
        max_attempts=1,
        **settings,  # type: ignore[arg-type]
    )


async def test_self_signed_certificate_is_refused_by_default(tls_server: TlsServer) -> None:
    """With default settings an untrusted certificate fails with ConnectError; nothing is sent."""
    async with tls_client(tls_server.url) as client:
        with pytest.raises(ConnectError) as info:
            await client.get_secret_value(secret_id="tls")
    assert isinstance(info.value.__cause__, Exception)
    assert "certificate" in f"{info.value} {info.value.__cause__}".lower()
    assert tls_server.calls == 0


async def test_certificate_failure_is_not_retried(tls_server: TlsServer) -> None:
    """An untrusted certificate is a TLSError, raised at once: another attempt cannot help."""
    retries: list[object] = []
    async with SecretsManagerClient(
        region="us-east-1", endpoint_url=tls_server.url, credentials=CREDENTIALS, max_attempts=3
    ) as client:
        client.middleware["retry"].on_retry = lambda *args: retries.append(args)  # type: ignore[attr-defined]
        with pytest.raises(TLSError):
            await client.get_secret_value(secret_id="tls")
    assert retries == []


async def test_ca_bundle_trusts_the_certificate(tls_server: TlsServer) -> None:
    """ca_bundle= pointing at the certificate makes the same endpoint work, verified."""
    async with tls_client(tls_server.url, ca_bundle=str(tls_server.cert)) as client:
        value = await client.get_secret_value(secret_id="tls")
    assert value.secret_string == "over-tls"
    assert tls_server.calls == 1


async def test_ca_bundle_from_environment(
    tls_server: TlsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_CA_BUNDLE is honoured like ca_bundle=."""
    monkeypatch.setenv("AWS_CA_BUNDLE", str(tls_server.cert))
    async with tls_client(tls_server.url) as client:
        value = await client.get_secret_value(secret_id="tls")
    assert value.secret_string == "over-tls"


async def test_wrong_ca_bundle_still_refuses(tls_server: TlsServer, tmp_path: Path) -> None:
    """A CA bundle that does not contain the server's issuer does not weaken verification."""
    (tmp_path / "other").mkdir()
    other, _ = self_signed(tmp_path / "other")
    async with tls_client(tls_server.url, ca_bundle=str(other)) as client:
        with pytest.raises(ConnectError):
            await client.get_secret_value(secret_id="tls")
    assert tls_server.calls == 0


async def test_verification_off_only_when_asked(tls_server: TlsServer) -> None:
    """verify_ssl=False is the explicit way to accept any certificate."""
    async with tls_client(tls_server.url, verify_ssl=False) as client:
        value = await client.get_secret_value(secret_id="tls")
    assert value.secret_string == "over-tls"


async def test_verification_is_on_in_resolved_config(tls_server: TlsServer) -> None:
    """The resolved configuration says verify_ssl=True when nothing was given."""
    async with tls_client(tls_server.url) as client:
        assert client.config.verify_ssl is True


@pytest.mark.parametrize(
    ("region", "fips", "dualstack"),
    [
        ("us-east-1", False, False),
        ("eu-west-3", False, False),
        ("us-east-1", True, False),
        ("us-east-1", False, True),
        ("us-gov-west-1", True, True),
        ("cn-north-1", False, False),
        ("us-iso-east-1", False, False),
    ],
)
def test_resolved_endpoints_are_https(region: str, fips: bool, dualstack: bool) -> None:
    """Every endpoint the rules produce is HTTPS: plain HTTP only via an explicit endpoint_url."""
    url = resolve_endpoint(region, use_fips=fips, use_dualstack=dualstack, endpoint_url=None)
    assert url.startswith("https://")


async def test_default_client_endpoint_is_https() -> None:
    """A client given only a region talks HTTPS to AWS's endpoint (resolved, nothing sent)."""
    async with SecretsManagerClient(
        region="eu-central-1", credentials=Credentials("AKID", "SECRET")
    ) as client:
        assert (
            client.endpoint_url.rstrip("/") == "https://secretsmanager.eu-central-1.amazonaws.com"
        )


async def test_plain_http_only_when_explicit(moto_url: str) -> None:
    """An explicit http:// endpoint_url is used as given (for local servers such as moto)."""
    async with SecretsManagerClient(
        region="us-east-1", endpoint_url=moto_url, credentials=CREDENTIALS
    ) as client:
        assert client.endpoint_url.startswith("http://127.0.0.1:")
        await client.list_secrets(max_results=1)
