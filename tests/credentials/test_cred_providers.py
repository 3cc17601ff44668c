"""Each provider against local stand-ins, and the chain's precedence and errors."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from secretsmanager_async._credentials.base import Credentials
from secretsmanager_async._credentials.chain import CredentialsChain, default_chain
from secretsmanager_async._credentials.common import CredentialRetrievalError
from secretsmanager_async._credentials.container import ContainerProvider
from secretsmanager_async._credentials.env import EnvProvider
from secretsmanager_async._credentials.http import AiohttpCredentialsHttp
from secretsmanager_async._credentials.imds import ImdsProvider
from secretsmanager_async.exceptions import ConfigurationError, NoCredentialsError

Writer = Callable[[str], Path]

PROCESS_SCRIPT = """
import json, sys
mode = sys.argv[1]
if mode == "fail":
    sys.stderr.write("login required\\n")
    sys.exit(3)
doc = {"Version": 2 if mode == "v2" else 1, "AccessKeyId": "AKIDPROC",
       "SecretAccessKey": "proc-secret", "SessionToken": "proc-token"}
if mode == "expiring":
    doc["Expiration"] = "2099-01-01T00:00:00.123Z"
print(json.dumps(doc))
"""


@pytest.fixture
def process_command(tmp_path: Path) -> Callable[[str], str]:
    """A credential_process command line running a python script written to tmp_path."""
    script = tmp_path / "creds.py"
    script.write_text(PROCESS_SCRIPT)

    def command(mode: str) -> str:
        return f'"{sys.executable}" "{script}" {mode}'

    return command


def set_env_keys(monkeypatch: pytest.MonkeyPatch, key_id: str = "AKIDENV") -> None:
    """Static keys in the environment."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")


async def test_env_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both variables give credentials (with the session token); one alone gives none."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    assert await EnvProvider().load() is None
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "env-token")
    assert await EnvProvider().load() == Credentials("AKIDENV", "env-secret", "env-token")


async def test_env_beats_profile(
    monkeypatch: pytest.MonkeyPatch, write_credentials: Writer, http: AiohttpCredentialsHttp
) -> None:
    """Environment keys win over the default profile."""
    write_credentials("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n")
    set_env_keys(monkeypatch)
    chain = default_chain(profile=None, http=http)
    creds = await chain.load()
    assert creds is not None
    assert creds.access_key_id == "AKIDENV"
    assert chain.source is not None
    assert chain.source.startswith("environment")


async def test_explicit_profile_skips_env(
    monkeypatch: pytest.MonkeyPatch, write_credentials: Writer, http: AiohttpCredentialsHttp
) -> None:
    """profile= makes the profile win over environment keys (botocore's rule)."""
    write_credentials("[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n")
    set_env_keys(monkeypatch)
    creds = await default_chain(profile="dev", http=http).load()
    assert creds is not None
    assert creds.access_key_id == "AKIDDEV"


async def test_aws_profile_selects_profile(
    monkeypatch: pytest.MonkeyPatch, write_credentials: Writer, http: AiohttpCredentialsHttp
) -> None:
    """AWS_PROFILE picks the profile used by the shared-files provider."""
    write_credentials(
        "[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = s\n"
        "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\naws_session_token = t\n"
    )
    monkeypatch.setenv("AWS_PROFILE", "dev")
    creds = await default_chain(profile=None, http=http).load()
    assert creds == Credentials("AKIDDEV", "s", "t")


async def test_missing_named_profile_is_an_error(http: AiohttpCredentialsHttp) -> None:
    """A profile= that does not exist is reported, not skipped."""
    with pytest.raises(ConfigurationError, match="'nope' not found"):
        await default_chain(profile="nope", http=http).load()


async def test_static_key_order_within_profile(
    write_config: Writer,
    write_credentials: Writer,
    process_command: Callable[[str], str],
    http: AiohttpCredentialsHttp,
) -> None:
    """Credentials-file keys beat credential_process, which beats config-file keys."""
    write_config(
        "[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = s\n"
        f"credential_process = {process_command('ok')}\n"
    )
    creds = await default_chain(http=http).load()
    assert creds is not None
    assert creds.access_key_id == "AKIDPROC"
    write_credentials("[default]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = s\n")
    creds = await default_chain(http=http).load()
    assert creds is not None
    assert creds.access_key_id == "AKIDCREDS"
    write_config("[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = s\n")
    write_credentials("")
    creds = await default_chain(http=http).load()
    assert creds is not None
    assert creds.access_key_id == "AKIDCONFIG"


async def test_credential_process_with_expiration(
    write_config: Writer, process_command: Callable[[str], str], http: AiohttpCredentialsHttp
) -> None:
    """The process's JSON gives keys, token and a parsed expiration."""
    write_config(f"[default]\ncredential_process = {process_command('expiring')}\n")
    creds = await default_chain(http=http).load()
    assert creds == Credentials(
        "AKIDPROC",
        "proc-secret",
        "proc-token",
        expiration=dt.datetime(2099, 1, 1, 0, 0, 0, 123000, tzinfo=dt.timezone.utc),
    )


async def test_credential_process_failure(
    write_config: Writer, process_command: Callable[[str], str], http: AiohttpCredentialsHttp
) -> None:
    """A non-zero exit raises with the exit status and the command's stderr."""
    write_config(f"[default]\ncredential_process = {process_command('fail')}\n")
    with pytest.raises(CredentialRetrievalError, match="status 3: login required"):
        await default_chain(http=http).load()


async def test_credential_process_bad_version(
    write_config: Writer, process_command: Callable[[str], str], http: AiohttpCredentialsHttp
) -> None:
    """Only Version 1 output is accepted, and the error never quotes the keys."""
    write_config(f"[default]\ncredential_process = {process_command('v2')}\n")
    with pytest.raises(CredentialRetrievalError, match="Version 2") as info:
        await default_chain(http=http).load()
    assert "proc-secret" not in str(info.value)


async def test_container_full_uri_with_token(
    container: Any, monkeypatch: pytest.MonkeyPatch, http: AiohttpCredentialsHttp
) -> None:
    """The full URI on loopback is fetched with the Authorization token."""
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url + "/creds")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "sesame")
    creds = await default_chain(http=http).load()
    assert creds is not None
    assert creds.access_key_id == "AKIDCONTAINER"
    assert creds.session_token == "token-AKIDCONTAINER"
    assert creds.expiration == dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)
    assert container.requests[-1].headers["Authorization"] == "sesame"


async def test_container_token_file_wins_and_is_reread(
    container: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, http: AiohttpCredentialsHttp
) -> None:
    """The token file beats the token variable and is read on every load (EKS rotates it)."""
    token_file = tmp_path / "token"
    token_file.write_text("wrong\n")
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url + "/creds")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "sesame")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", str(token_file))
    provider = ContainerProvider(http, sleep=_no_sleep)
    with pytest.raises(CredentialRetrievalError, match="HTTP 401"):
        await provider.load()
    token_file.write_text("sesame\n")
    creds = await provider.load()
    assert creds is not None
    assert creds.access_key_id == "AKIDCONTAINER"


async def _no_sleep(_: float) -> None:
    return None


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/creds", "http://example.com/creds", "http://10.0.0.1/creds"],
)
async def test_container_disallowed_hosts(
    url: str, monkeypatch: pytest.MonkeyPatch, http: AiohttpCredentialsHttp
) -> None:
    """Full URIs outside botocore's allowed hosts are refused before any request."""
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url)
    with pytest.raises(CredentialRetrievalError, match="not allowed"):
        await ContainerProvider(http).load()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "/v2/creds"}, "http://169.254.170.2/v2/creds"),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://169.254.170.23/v1/c"}, None),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://[fd00:ec2::23]/v1/c"}, None),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://localhost:8080/c"}, None),
        ({"AWS_CONTAINER_CREDENTIALS_FULL_URI": "https://127.0.0.5/c"}, None),
    ],
)
def test_container_allowed_urls(env: dict[str, str], expected: str | None) -> None:
    """ECS relative URIs go to 169.254.170.2; EKS and loopback full URIs are allowed."""
    provider = ContainerProvider(http=None, environ=env)  # type: ignore[arg-type]
    assert provider.url() == (expected or env["AWS_CONTAINER_CREDENTIALS_FULL_URI"])


async def test_container_token_with_newline_refused(
    monkeypatch: pytest.MonkeyPatch, http: AiohttpCredentialsHttp
) -> None:
    """A token containing a newline (header injection) is refused."""
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:9/creds")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\r\nX-Evil: 1")
    with pytest.raises(CredentialRetrievalError, match="newline"):
        await ContainerProvider(http).load()


async def test_imds_v2_flow(imds: Any, http: AiohttpCredentialsHttp) -> None:
    """IMDS: a token PUT with a TTL, then the role listing and the role's credentials."""
    server, _state = imds
    creds = await default_chain(http=http).load()
    assert creds is not None
    assert creds.access_key_id == "AKIDIMDS"
    assert creds.session_token == "token-AKIDIMDS"
    methods = [(r.method, r.path) for r in server.requests]
    assert methods == [
        ("PUT", "/latest/api/token"),
        ("GET", "/latest/meta-data/iam/security-credentials/"),
        ("GET", "/latest/meta-data/iam/security-credentials/my-role"),
    ]
    assert server.requests[0].headers["X-aws-ec2-metadata-token-ttl-seconds"] == "21600"
    assert all(r.headers.get("X-aws-ec2-metadata-token") == "tok0" for r in server.requests[1:])


async def test_imds_token_reused_then_renewed_on_401(
    imds: Any, http: AiohttpCredentialsHttp
) -> None:
    """The session token is reused across loads; a 401 fetches a new one."""
    _server, state = imds
    provider = ImdsProvider(http)
    await provider.load()
    await provider.load()
    assert state.tokens == ["tok0"]
    state.expire_tokens = True
    state.tokens.append("tok-rotated")  # the server no longer accepts tok0
    creds = await provider.load()
    assert creds is not None
    assert creds.access_key_id == "AKIDIMDS"
    assert state.tokens[-1] == "tok2"


async def test_imds_disabled_sends_nothing(
    imds: Any, monkeypatch: pytest.MonkeyPatch, http: AiohttpCredentialsHttp
) -> None:
    """AWS_EC2_METADATA_DISABLED=true skips IMDS without a request."""
    server, _ = imds
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "TRUE")
    assert await ImdsProvider(http).load() is None
    assert server.requests == []


async def test_imds_without_token_support_gives_none(
    serve: Any, monkeypatch: pytest.MonkeyPatch, http: AiohttpCredentialsHttp
) -> None:
    """IMDSv2 only: when the token PUT fails there is no v1 fallback."""
    from aiohttp import web

    async def forbidden(request: web.Request) -> web.Response:
        return web.Response(status=403)

    async def v1(request: web.Request) -> web.Response:
        return web.Response(text="role")

    server = await serve(
        {
            ("PUT", "/latest/api/token"): forbidden,
            ("GET", "/latest/meta-data/iam/security-credentials/"): v1,
        }
    )
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.url)
    assert await ImdsProvider(http).load() is None
    assert [r.method for r in server.requests] == ["PUT"]


async def test_imds_unreachable_gives_none(
    monkeypatch: pytest.MonkeyPatch, http: AiohttpCredentialsHttp
) -> None:
    """A closed port on loopback means no IMDS: None, quickly."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.delenv("AWS_EC2_METADATA_DISABLED")
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "2")
    assert await ImdsProvider(http).load() is None


def test_imds_endpoint_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default endpoint is IPv4; the mode variable picks IPv6; the override wins."""
    assert ImdsProvider(None).endpoint() == "http://169.254.169.254"  # type: ignore[arg-type]
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv6")
    assert ImdsProvider(None).endpoint() == "http://[fd00:ec2::254]"  # type: ignore[arg-type]
    monkeypatch.setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1/")
    assert ImdsProvider(None).endpoint() == "http://127.0.0.1:1"  # type: ignore[arg-type]


async def test_container_beats_imds(
    container: Any, imds: Any, monkeypatch: pytest.MonkeyPatch, http: AiohttpCredentialsHttp
) -> None:
    """With both available the container endpoint wins and IMDS is never asked."""
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url + "/creds")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "sesame")
    creds = await default_chain(http=http).load()
    assert creds is not None
    assert creds.access_key_id == "AKIDCONTAINER"
    assert imds[0].requests == []


async def test_profile_beats_container(
    container: Any,
    write_credentials: Writer,
    monkeypatch: pytest.MonkeyPatch,
    http: AiohttpCredentialsHttp,
) -> None:
    """Shared-file credentials come before the container endpoint."""
    write_credentials("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n")
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url + "/creds")
    creds = await default_chain(http=http).load()
    assert creds is not None
    assert creds.access_key_id == "AKIDFILE"
    assert container.requests == []


async def test_no_credentials_names_everything_tried(http: AiohttpCredentialsHttp) -> None:
    """With nothing configured the error lists each provider tried, in order."""
    with pytest.raises(NoCredentialsError) as info:
        await default_chain(http=http).load()
    message = str(info.value)
    for word in ("environment", "web identity", "shared config", "container", "instance metadata"):
        assert word in message
    assert len(info.value.tried) == 5
    assert message.index("environment") < message.index("web identity") < message.index("container")


async def test_chain_sticks_to_winner() -> None:
    """After a success only the winning provider is asked again (like botocore)."""
    calls: list[str] = []

    class Fake:
        def __init__(self, name: str, result: Credentials | None) -> None:
            self.name, self.result = name, result

        async def load(self) -> Credentials | None:
            calls.append(self.name)
            return self.result

    chain = CredentialsChain(
        [("a", lambda: Fake("a", None)), ("b", lambda: Fake("b", Credentials("AKIDB", "s")))]
    )
    await chain.load()
    await chain.load()
    assert calls == ["a", "b", "b"]


async def test_secrets_absent_from_repr_and_logs(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, http: AiohttpCredentialsHttp
) -> None:
    """Loaded credentials, the chain and debug logs never show the secret key or token."""
    caplog.set_level(logging.DEBUG)
    set_env_keys(monkeypatch)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "env-token")
    chain = default_chain(http=http)
    creds = await chain.load()
    shown = repr(creds) + str(creds) + repr(chain) + caplog.text
    assert "AKIDENV" in shown
    assert "env-secret" not in shown
    assert "env-token" not in shown


async def test_env_beats_web_identity(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, http: AiohttpCredentialsHttp
) -> None:
    """Environment keys come before web identity, so STS is not called."""
    token = tmp_path / "token"
    token.write_text("jwt")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r")
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")  # nothing listens there
    set_env_keys(monkeypatch)
    creds = await default_chain(http=http).load()
    assert creds is not None
    assert creds.access_key_id == "AKIDENV"
