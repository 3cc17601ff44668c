"""AssumeRole and AssumeRoleWithWebIdentity against moto's STS, plus signing and errors
against a local recording stand-in."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from secretsmanager_async._credentials.base import Credentials
from secretsmanager_async._credentials.chain import default_chain
from secretsmanager_async._credentials.common import CredentialRetrievalError
from secretsmanager_async._credentials.http import AiohttpCredentialsHttp
from secretsmanager_async._credentials.sts import StsClient, StsError, sts_endpoint

Writer = Callable[[str], Path]
ROLE = "arn:aws:iam::123456789012:role/reader"


def is_sts_creds(creds: Credentials | None) -> bool:
    """moto issues ASIA... keys with a session token and an expiration."""
    return (
        creds is not None
        and creds.access_key_id.startswith("ASIA")
        and creds.session_token is not None
        and creds.expiration is not None
        and creds.expiration > dt.datetime.now(dt.timezone.utc)
    )


async def test_assume_role_with_source_profile(
    sts_env: str, write_config: Writer, write_credentials: Writer, http: AiohttpCredentialsHttp
) -> None:
    """role_arn + source_profile calls AssumeRole with the source profile's keys."""
    write_credentials("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n")
    write_config(
        f"[profile app]\nrole_arn = {ROLE}\nsource_profile = base\n"
        "role_session_name = app-session\nregion = us-west-2\n"
    )
    creds = await default_chain(profile="app", http=http).load()
    assert is_sts_creds(creds)


async def test_assume_role_chained_profiles(
    sts_env: str, write_config: Writer, write_credentials: Writer, http: AiohttpCredentialsHttp
) -> None:
    """A source profile that itself assumes a role is resolved first."""
    write_credentials("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n")
    write_config(
        f"[profile mid]\nrole_arn = {ROLE}\nsource_profile = base\n"
        f"[profile top]\nrole_arn = {ROLE}-top\nsource_profile = mid\n"
    )
    assert is_sts_creds(await default_chain(profile="top", http=http).load())


async def test_assume_role_self_source(
    sts_env: str, write_credentials: Writer, write_config: Writer, http: AiohttpCredentialsHttp
) -> None:
    """A profile may be its own source_profile: its static keys are the source."""
    write_credentials("[me]\naws_access_key_id = AKIDME\naws_secret_access_key = s\n")
    write_config(f"[profile me]\nrole_arn = {ROLE}\nsource_profile = me\n")
    assert is_sts_creds(await default_chain(profile="me", http=http).load())


async def test_source_profile_loop_refused(
    write_config: Writer, http: AiohttpCredentialsHttp
) -> None:
    """A cycle of source profiles is reported, not followed forever."""
    write_config(
        f"[profile a]\nrole_arn = {ROLE}\nsource_profile = b\n"
        f"[profile b]\nrole_arn = {ROLE}\nsource_profile = a\n"
    )
    with pytest.raises(CredentialRetrievalError, match="loop: a -> b -> a"):
        await default_chain(profile="a", http=http).load()


async def test_credential_source_environment(
    sts_env: str,
    write_config: Writer,
    monkeypatch: pytest.MonkeyPatch,
    http: AiohttpCredentialsHttp,
) -> None:
    """credential_source = Environment uses the env keys as the source for AssumeRole."""
    write_config(f"[profile r]\nrole_arn = {ROLE}\ncredential_source = Environment\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    assert is_sts_creds(await default_chain(profile="r", http=http).load())


async def test_credential_source_container(
    sts_env: str,
    container: Any,
    write_config: Writer,
    monkeypatch: pytest.MonkeyPatch,
    http: AiohttpCredentialsHttp,
) -> None:
    """credential_source = EcsContainer fetches the source from the container endpoint."""
    write_config(f"[profile r]\nrole_arn = {ROLE}\ncredential_source = EcsContainer\n")
    monkeypatch.setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", container.url + "/creds")
    monkeypatch.setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "sesame")
    assert is_sts_creds(await default_chain(profile="r", http=http).load())
    assert len(container.requests) == 1


async def test_bad_credential_source(write_config: Writer, http: AiohttpCredentialsHttp) -> None:
    """An unknown credential_source is named in the error."""
    write_config(f"[profile r]\nrole_arn = {ROLE}\ncredential_source = Moon\n")
    with pytest.raises(CredentialRetrievalError, match="'Moon'"):
        await default_chain(profile="r", http=http).load()


async def test_mfa_profiles_are_refused_clearly(
    write_config: Writer, write_credentials: Writer, http: AiohttpCredentialsHttp
) -> None:
    """mfa_serial needs a prompt: the error points at the aiobotocore adapter."""
    write_credentials("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n")
    write_config(
        f"[profile r]\nrole_arn = {ROLE}\nsource_profile = base\n"
        "mfa_serial = arn:aws:iam::1:mfa/u\n"
    )
    with pytest.raises(CredentialRetrievalError, match="aiobotocore"):
        await default_chain(profile="r", http=http).load()


async def test_web_identity_from_env(
    sts_env: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    write_credentials: Writer,
    http: AiohttpCredentialsHttp,
) -> None:
    """AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN beat the shared files."""
    write_credentials("[default]\naws_access_key_id = AKIDFILE\naws_secret_access_key = s\n")
    token = tmp_path / "token"
    token.write_text("eyJhbGciOi.fake.jwt\n")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE)
    monkeypatch.setenv("AWS_ROLE_SESSION_NAME", "pod")
    chain = default_chain(http=http)
    assert is_sts_creds(await chain.load())
    assert chain.source is not None
    assert chain.source.startswith("web identity")


async def test_web_identity_from_profile(
    sts_env: str, tmp_path: Path, write_config: Writer, http: AiohttpCredentialsHttp
) -> None:
    """A profile's role_arn + web_identity_token_file works too."""
    token = tmp_path / "token"
    token.write_text("jwt")
    write_config(f"[profile w]\nrole_arn = {ROLE}\nweb_identity_token_file = {token}\n")
    assert is_sts_creds(await default_chain(profile="w", http=http).load())


async def test_web_identity_missing_token_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http: AiohttpCredentialsHttp
) -> None:
    """A configured but unreadable token file is an error naming the file."""
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(tmp_path / "absent"))
    monkeypatch.setenv("AWS_ROLE_ARN", ROLE)
    with pytest.raises(CredentialRetrievalError, match="absent"):
        await default_chain(http=http).load()


@pytest.fixture
async def sts_standin(serve: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A local STS that records form bodies and answers AccessDenied for role 'denied'."""
    forms: list[dict[str, str]] = []

    async def handle(request: web.Request) -> web.Response:
        form = dict(urllib.parse.parse_qsl((await request.read()).decode()))
        forms.append(form)
        if form["RoleArn"].endswith("denied"):
            return web.Response(
                status=403,
                text="<ErrorResponse xmlns='https://sts.amazonaws.com/doc/2011-06-15/'><Error>"
                "<Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message>"
                "</Error><RequestId>r1</RequestId></ErrorResponse>",
            )
        action = form["Action"]
        return web.Response(
            text=f"<{action}Response xmlns='https://sts.amazonaws.com/doc/2011-06-15/'>"
            f"<{action}Result><Credentials><AccessKeyId>ASIASTANDIN</AccessKeyId>"
            "<SecretAccessKey>sts-secret</SecretAccessKey><SessionToken>sts-token</SessionToken>"
            "<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>"
            f"</{action}Result></{action}Response>",
        )

    server = await serve({("POST", "/"): handle})
    server.forms = forms
    return server


async def test_assume_role_request_is_signed(
    sts_standin: Any, http: AiohttpCredentialsHttp
) -> None:
    """AssumeRole is a SigV4-signed form POST for service sts in the signing region."""
    now = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)
    sts = StsClient(http, endpoint_url=sts_standin.url, region="eu-central-1", now=lambda: now)
    creds = await sts.assume_role(
        Credentials("AKIDSRC", "src-secret", "src-token"),
        role_arn=ROLE,
        session_name="s1",
        external_id="ext",
        duration_seconds=900,
    )
    assert creds == Credentials(
        "ASIASTANDIN",
        "sts-secret",
        "sts-token",
        expiration=dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc),
    )
    request = sts_standin.requests[-1]
    assert request.headers["Authorization"].startswith(
        "AWS4-HMAC-SHA256 Credential=AKIDSRC/20240506/eu-central-1/sts/aws4_request"
    )
    assert request.headers["X-Amz-Date"] == "20240506T070809Z"
    assert request.headers["X-Amz-Security-Token"] == "src-token"
    assert sts_standin.forms[-1] == {
        "Action": "AssumeRole",
        "Version": "2011-06-15",
        "RoleArn": ROLE,
        "RoleSessionName": "s1",
        "ExternalId": "ext",
        "DurationSeconds": "900",
    }


async def test_web_identity_request_is_unsigned(
    sts_standin: Any, http: AiohttpCredentialsHttp
) -> None:
    """AssumeRoleWithWebIdentity carries the token in the form and no Authorization header."""
    sts = StsClient(http, endpoint_url=sts_standin.url, region="us-east-1")
    await sts.assume_role_with_web_identity(role_arn=ROLE, session_name="s", token="jwt")
    assert "Authorization" not in sts_standin.requests[-1].headers
    assert sts_standin.forms[-1]["WebIdentityToken"] == "jwt"


async def test_sts_error_is_parsed_without_secrets(
    sts_standin: Any, http: AiohttpCredentialsHttp
) -> None:
    """An STS error response becomes StsError with its code; no key material in the message."""
    sts = StsClient(http, endpoint_url=sts_standin.url, region="us-east-1")
    with pytest.raises(StsError) as info:
        await sts.assume_role(
            Credentials("AKIDSRC", "src-secret", "src-token"),
            role_arn=ROLE + "-denied",
            session_name="s",
        )
    assert info.value.code == "AccessDenied"
    assert info.value.status == 403
    assert "not allowed" in str(info.value)
    assert "src-secret" not in str(info.value)
    assert "src-token" not in str(info.value)
    assert len(sts_standin.requests) == 1  # a 4xx is not retried


async def test_services_section_sets_sts_endpoint(
    sts_standin: Any, write_config: Writer, write_credentials: Writer, http: AiohttpCredentialsHttp
) -> None:
    """The active profile's services section points STS at a custom endpoint."""
    write_credentials("[base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = s\n")
    write_config(
        f"[profile app]\nrole_arn = {ROLE}\nsource_profile = base\nservices = local\n"
        f"[services local]\nsts =\n  endpoint_url = {sts_standin.url}\n"
    )
    creds = await default_chain(profile="app", http=http).load()
    assert creds is not None
    assert creds.access_key_id == "ASIASTANDIN"


def test_sts_endpoint_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regional by default, global without a region, env overrides first."""
    assert sts_endpoint("eu-west-1") == ("https://sts.eu-west-1.amazonaws.com", "eu-west-1")
    assert sts_endpoint("cn-north-1")[0] == "https://sts.cn-north-1.amazonaws.com.cn"
    assert sts_endpoint("us-east-1", use_fips=True)[0] == "https://sts-fips.us-east-1.amazonaws.com"
    assert sts_endpoint(None) == ("https://sts.amazonaws.com", "us-east-1")
    assert sts_endpoint("eu-west-1", configured="http://127.0.0.1:5/")[0] == "http://127.0.0.1:5"
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:6")
    assert sts_endpoint("eu-west-1", configured="http://127.0.0.1:5")[0] == "http://127.0.0.1:6"
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:7")
    assert sts_endpoint("eu-west-1")[0] == "http://127.0.0.1:7"
