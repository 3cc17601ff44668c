"""Credential and endpoint precedence compared with boto3's own resolution (botocore), offline.

Each case writes temporary shared files and environment variables, then asks both boto3 and
this library which access key (or endpoint) they would use. Only local sources are involved
(environment, files, credential_process), so neither side touches the network.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from secretsmanager_async import SecretsManagerClient
from secretsmanager_async._credentials.chain import default_chain
from secretsmanager_async._credentials.http import AiohttpCredentialsHttp
from secretsmanager_async._credentials.sts import sts_client_for
from secretsmanager_async._profiles import clear_cache, load_shared_files
from secretsmanager_async.exceptions import NoCredentialsError

botocore_session = pytest.importorskip("botocore.session")
botocore_loaders = pytest.importorskip("botocore.loaders")

_LOADER: list[Any] = []


def botocore_for(profile: str | None = None) -> Any:
    """A fresh botocore session (what boto3.Session wraps) sharing one model loader.

    Fresh, so it reads this test's environment and files; the shared loader only caches the
    service model files, which keeps the matrix fast.
    """
    session = botocore_session.Session(profile=profile)
    if not _LOADER:
        _LOADER.append(botocore_loaders.create_loader())
    session.register_component("data_loader", _LOADER[0])
    return session


Writer = Callable[[str], Path]

PROCESS = (
    "import json; print(json.dumps({'Version': 1, 'AccessKeyId': 'AKIDPROC', "
    "'SecretAccessKey': 's'}))"
)


@pytest.fixture
def files(write_config: Writer, write_credentials: Writer, tmp_path: Path) -> None:
    """Profiles: default and dev in the credentials file, other runs a credential_process."""
    helper = tmp_path / "proc.py"
    helper.write_text(PROCESS)
    write_credentials(
        "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s\n"
        "[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n"
    )
    write_config(
        "[default]\nregion = us-east-1\n"
        f'[profile other]\ncredential_process = "{sys.executable}" "{helper}"\n'
    )


def botocore_key(profile: str | None) -> str | None:
    """The access key botocore (so boto3) picks (None: it found none)."""
    creds = botocore_for(profile).get_credentials()
    return None if creds is None else creds.access_key


async def our_key(profile: str | None, serve: Any) -> str | None:
    """The access key our client signs with (None: it found none), seen by a local server."""
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({"SecretList": []})

    server = await serve({("POST", "/"): handler})
    clear_cache()
    async with SecretsManagerClient(
        region="us-east-1", endpoint_url=server.url, profile=profile
    ) as client:
        try:
            await client.list_secrets()
        except NoCredentialsError:
            return None
    return seen[0].split("Credential=")[1].split("/")[0]


CASES = list(
    itertools.product(
        [False, True],  # environment keys
        [None, "dev", "other"],  # AWS_PROFILE
        [None, "default"],  # AWS_DEFAULT_PROFILE
        [None, "dev", "other"],  # profile= argument
    )
)


@pytest.mark.usefixtures("files")
@pytest.mark.parametrize(("env_keys", "aws_profile", "default_profile", "argument"), CASES)
async def test_credential_precedence_matches_boto3(
    monkeypatch: pytest.MonkeyPatch,
    serve: Any,
    env_keys: bool,
    aws_profile: str | None,
    default_profile: str | None,
    argument: str | None,
) -> None:
    """Environment keys, AWS_PROFILE, AWS_DEFAULT_PROFILE, profile=: the key boto3 picks."""
    if env_keys:
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    if aws_profile:
        monkeypatch.setenv("AWS_PROFILE", aws_profile)
    if default_profile:
        monkeypatch.setenv("AWS_DEFAULT_PROFILE", default_profile)
    expected = botocore_key(argument)
    assert expected is not None
    assert await our_key(argument, serve) == expected


@pytest.mark.usefixtures("files")
async def test_aws_profile_keeps_environment_keys_in_the_client(
    monkeypatch: pytest.MonkeyPatch, serve: Any
) -> None:
    """Item 17 end to end: with AWS_PROFILE=dev and env keys, requests are signed with the
    environment's key (as boto3), and with profile='dev' with the profile's."""
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({"SecretList": []})

    server = await serve({("POST", "/"): handler})
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    monkeypatch.setenv("AWS_PROFILE", "dev")
    async with SecretsManagerClient(region="us-east-1", endpoint_url=server.url) as client:
        await client.list_secrets()
    async with SecretsManagerClient(
        region="us-east-1", endpoint_url=server.url, profile="dev"
    ) as client:
        await client.list_secrets()
    assert "Credential=AKIDENV/" in seen[0]
    assert "Credential=AKIDDEV/" in seen[1]


# -- AWS_IGNORE_CONFIGURED_ENDPOINT_URLS / ignore_configured_endpoint_urls -----------------------

_FLAGS = list(itertools.product([None, "true", "false"], repeat=2))
# every mix of the flag's two sources with the two configured URL sources; an explicit URL
# (which always wins) once per flag mix, with both configured URLs present
ENDPOINT_CASES = [
    (env_flag, prof_flag, env_url, prof_url, False)
    for (env_flag, prof_flag), (env_url, prof_url) in itertools.product(
        _FLAGS, itertools.product([False, True], repeat=2)
    )
] + [(env_flag, prof_flag, True, True, True) for env_flag, prof_flag in _FLAGS]


@pytest.mark.parametrize(
    ("env_flag", "prof_flag", "env_url", "prof_url", "explicit"), ENDPOINT_CASES
)
async def test_endpoint_precedence_matches_boto3(
    monkeypatch: pytest.MonkeyPatch,
    write_config: Writer,
    env_flag: str | None,
    prof_flag: str | None,
    env_url: bool,
    prof_url: bool,
    explicit: bool,
) -> None:
    """Which endpoint URL each picks, for every mix of the flag's sources and URL sources."""
    lines = ["[default]", "region = us-east-1"]
    if prof_flag:
        lines.append(f"ignore_configured_endpoint_urls = {prof_flag}")
    if prof_url:
        lines.append("endpoint_url = http://127.0.0.1:1002")
    write_config("\n".join(lines) + "\n")
    if env_flag:
        monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", env_flag)
    if env_url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:1001")
    argument = "http://127.0.0.1:1003" if explicit else None
    expected = (
        botocore_for()
        .create_client("secretsmanager", region_name="us-east-1", endpoint_url=argument)
        .meta.endpoint_url
    )
    clear_cache()
    client = SecretsManagerClient(region="us-east-1", endpoint_url=argument)
    async with client:
        assert client.endpoint_url.rstrip("/") == expected.rstrip("/")


@pytest.mark.parametrize(
    ("env_flag", "prof_flag"), [(None, None), ("true", None), (None, "true"), ("false", "true")]
)
def test_sts_endpoint_honours_the_flag(
    monkeypatch: pytest.MonkeyPatch,
    write_config: Writer,
    env_flag: str | None,
    prof_flag: str | None,
) -> None:
    """The STS endpoint for web identity / assume role follows the flag as botocore's STS does."""
    lines = ["[default]", "endpoint_url = http://127.0.0.1:1002"]
    if prof_flag:
        lines.append(f"ignore_configured_endpoint_urls = {prof_flag}")
    write_config("\n".join(lines) + "\n")
    if env_flag:
        monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", env_flag)
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1001")
    expected = botocore_for().create_client("sts", region_name="eu-west-1").meta.endpoint_url
    profile = load_shared_files().profile("default")
    ours = sts_client_for(AiohttpCredentialsHttp(), profile, region="eu-west-1")
    assert f"endpoint_url={expected.rstrip('/') + '/'!r}" in repr(ours)


async def test_ignored_endpoint_is_never_contacted(
    monkeypatch: pytest.MonkeyPatch, write_config: Writer, serve: Any
) -> None:
    """With the flag set, the configured endpoint gets nothing; endpoint_url= gets the call."""

    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"SecretList": []})

    configured = await serve({("POST", "/"): handler})
    explicit = await serve({("POST", "/"): handler})
    write_config(f"[default]\nregion = us-east-1\nendpoint_url = {configured.url}\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL", configured.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    async with SecretsManagerClient(endpoint_url=explicit.url) as client:
        await client.list_secrets()
    assert len(explicit.requests) == 1
    assert configured.requests == []


async def test_explicit_profile_skips_web_identity_env(
    monkeypatch: pytest.MonkeyPatch, write_credentials: Writer, tmp_path: Path
) -> None:
    """botocore's disable_env_vars: with profile=, AWS_ROLE_ARN/_TOKEN_FILE are not used."""
    token = tmp_path / "token"
    token.write_text("oidc")
    monkeypatch.setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r")
    monkeypatch.setenv("AWS_WEB_IDENTITY_TOKEN_FILE", str(token))
    write_credentials("[dev]\naws_access_key_id = AKIDDEV\naws_secret_access_key = s\n")
    from tests.credentials.test_cred_hostile import RecordingHttp

    http = RecordingHttp()
    creds = await default_chain(profile="dev", http=http).load()
    assert creds is not None and creds.access_key_id == "AKIDDEV"
    assert http.urls == []
    # without an explicit profile the variables apply (and STS is asked)
    with pytest.raises(Exception, match="STS"):
        await default_chain(profile=None, http=http, region="us-east-1").load()
    assert set(http.urls) == {"https://sts.us-east-1.amazonaws.com/"}
