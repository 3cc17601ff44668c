"""Native IAM Identity Center credentials: the CLI's token cache, OIDC refresh and the role
credentials exchange, against local stand-ins for SSO OIDC and the SSO portal."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from secretsmanager_async import SecretsManagerClient
from secretsmanager_async._credentials.chain import default_chain
from secretsmanager_async._credentials.common import CredentialRetrievalError
from secretsmanager_async._credentials.http import AiohttpCredentialsHttp

Writer = Callable[[str], Path]
NOW = dt.datetime.now(dt.timezone.utc)
ACCESS_TOKEN = "sso-access-token-CANARY"
NEW_ACCESS_TOKEN = "sso-refreshed-token-CANARY"
REFRESH_TOKEN = "sso-refresh-token-CANARY"
CLIENT_SECRET = "sso-client-secret-CANARY"
ROLE_SECRET = "role-secret-key-CANARY"

SESSION_CONFIG = """\
[profile dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Reader
region = us-east-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
"""

LEGACY_CONFIG = """\
[profile old]
sso_start_url = https://legacy.awsapps.com/start
sso_region = us-west-2
sso_account_id = 444455556666
sso_role_name = Admin
"""


def _iso(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def write_token(home: Path, key: str, **fields: Any) -> Path:
    """Write a token cache file as ``aws sso login`` does."""
    cache = home / ".aws" / "sso" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / (hashlib.sha1(key.encode()).hexdigest() + ".json")
    path.write_text(json.dumps(fields))
    return path


def refreshable(expires_in: dt.timedelta) -> dict[str, Any]:
    """A token as an sso-session login caches it, with its client registration."""
    return {
        "startUrl": "https://corp.awsapps.com/start",
        "region": "eu-west-1",
        "accessToken": ACCESS_TOKEN,
        "expiresAt": _iso(NOW + expires_in),
        "clientId": "client-id",
        "clientSecret": CLIENT_SECRET,
        "registrationExpiresAt": _iso(NOW + dt.timedelta(days=30)),
        "refreshToken": REFRESH_TOKEN,
    }


class Stand:
    """SSO OIDC and SSO portal stand-ins on one local server."""

    def __init__(self) -> None:
        self.token_requests: list[dict[str, Any]] = []
        self.role_requests: list[tuple[dict[str, str], str | None]] = []
        self.token_status = 200
        self.role_status = 200
        self.url = ""

    async def token(self, request: web.Request) -> web.Response:
        self.token_requests.append(await request.json())
        if self.token_status != 200:
            return web.json_response({"error": "invalid_grant"}, status=self.token_status)
        return web.json_response(
            {
                "accessToken": NEW_ACCESS_TOKEN,
                "tokenType": "Bearer",
                "expiresIn": 28800,
                "refreshToken": "sso-rotated-refresh-CANARY",
            }
        )

    async def role(self, request: web.Request) -> web.Response:
        bearer = request.headers.get("x-amz-sso_bearer_token")
        self.role_requests.append((dict(request.query), bearer))
        if self.role_status != 200:
            return web.json_response(
                {"message": "Session token not found or invalid"}, status=self.role_status
            )
        expiration = int((NOW + dt.timedelta(hours=1)).timestamp() * 1000)
        return web.json_response(
            {
                "roleCredentials": {
                    "accessKeyId": "ASIASSOROLE",
                    "secretAccessKey": ROLE_SECRET,
                    "sessionToken": "role-session-CANARY",
                    "expiration": expiration,
                }
            }
        )


@pytest.fixture
async def stand(
    serve: Callable[[dict[tuple[str, str], Any]], Awaitable[Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> Stand:
    """Both SSO services on 127.0.0.1, reached through AWS_ENDPOINT_URL_SSO(_OIDC)."""
    stand = Stand()
    server = await serve(
        {("POST", "/token"): stand.token, ("GET", "/federation/credentials"): stand.role}
    )
    stand.url = server.url
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO", server.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SSO_OIDC", server.url)
    return stand


async def test_valid_token_exchanged_for_role_credentials(
    home: Path, write_config: Writer, stand: Stand, http: AiohttpCredentialsHttp
) -> None:
    """A valid cached token is sent as the bearer token; the role credentials come back."""
    write_config(SESSION_CONFIG)
    write_token(home, "corp", **refreshable(dt.timedelta(hours=4)))
    creds = await default_chain(profile="dev", http=http).load()
    assert creds is not None
    assert creds.access_key_id == "ASIASSOROLE"
    assert creds.secret_access_key == ROLE_SECRET
    assert creds.expiration is not None and creds.expiration > NOW
    assert stand.role_requests == [
        ({"account_id": "111122223333", "role_name": "Reader"}, ACCESS_TOKEN)
    ]
    assert stand.token_requests == []  # far from expiry: no refresh


async def test_near_expiry_token_refreshed_and_written_back(
    home: Path, write_config: Writer, stand: Stand, http: AiohttpCredentialsHttp
) -> None:
    """Within 15 minutes of expiry the token is refreshed with CreateToken and cached."""
    write_config(SESSION_CONFIG)
    path = write_token(home, "corp", **refreshable(dt.timedelta(minutes=5)))
    creds = await default_chain(profile="dev", http=http).load()
    assert creds is not None
    assert stand.token_requests == [
        {
            "grantType": "refresh_token",
            "clientId": "client-id",
            "clientSecret": CLIENT_SECRET,
            "refreshToken": REFRESH_TOKEN,
        }
    ]
    assert stand.role_requests[-1][1] == NEW_ACCESS_TOKEN
    cached = json.loads(path.read_text())
    assert cached["accessToken"] == NEW_ACCESS_TOKEN
    assert cached["refreshToken"] == "sso-rotated-refresh-CANARY"
    assert cached["clientId"] == "client-id"  # the registration is kept
    expires = dt.datetime.strptime(cached["expiresAt"], "%Y-%m-%dT%H:%M:%SZ")
    assert expires.replace(tzinfo=dt.timezone.utc) > NOW + dt.timedelta(hours=7)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


async def test_expired_token_refreshed(
    home: Path, write_config: Writer, stand: Stand, http: AiohttpCredentialsHttp
) -> None:
    """An expired token with a live registration and refresh token is refreshed, not refused."""
    write_config(SESSION_CONFIG)
    write_token(home, "corp", **refreshable(-dt.timedelta(minutes=1)))
    assert await default_chain(profile="dev", http=http).load() is not None
    assert len(stand.token_requests) == 1


async def test_expired_without_refresh_token_says_login(
    home: Path, write_config: Writer, stand: Stand, http: AiohttpCredentialsHttp
) -> None:
    """An expired token that cannot be refreshed tells the user to run aws sso login."""
    write_config(SESSION_CONFIG)
    token = refreshable(-dt.timedelta(minutes=1))
    del token["refreshToken"]
    write_token(home, "corp", **token)
    with pytest.raises(CredentialRetrievalError) as info:
        await default_chain(profile="dev", http=http).load()
    assert "aws sso login --profile dev" in str(info.value)
    assert stand.token_requests == [] and stand.role_requests == []


async def test_failed_refresh_of_a_still_valid_token_uses_it(
    home: Path, write_config: Writer, stand: Stand, http: AiohttpCredentialsHttp
) -> None:
    """A refresh refused by OIDC falls back to the cached token while it is still valid."""
    write_config(SESSION_CONFIG)
    write_token(home, "corp", **refreshable(dt.timedelta(minutes=5)))
    stand.token_status = 400
    creds = await default_chain(profile="dev", http=http).load()
    assert creds is not None
    assert stand.role_requests[-1][1] == ACCESS_TOKEN


async def test_no_cached_token_says_login(
    write_config: Writer, stand: Stand, http: AiohttpCredentialsHttp
) -> None:
    """No cache file at all: the error names the profile and the login command."""
    write_config(SESSION_CONFIG)
    with pytest.raises(CredentialRetrievalError, match=r"aws sso login --profile dev"):
        await default_chain(profile="dev", http=http).load()


async def test_legacy_profile_uses_start_url_cache_key(
    home: Path, write_config: Writer, stand: Stand, http: AiohttpCredentialsHttp
) -> None:
    """The legacy form reads the cache keyed by the start URL and never refreshes."""
    write_config(LEGACY_CONFIG)
    write_token(
        home,
        "https://legacy.awsapps.com/start",
        startUrl="https://legacy.awsapps.com/start",
        region="us-west-2",
        accessToken=ACCESS_TOKEN,
        expiresAt=_iso(NOW + dt.timedelta(minutes=5)),
    )
    creds = await default_chain(profile="old", http=http).load()
    assert creds is not None
    assert stand.role_requests == [
        ({"account_id": "444455556666", "role_name": "Admin"}, ACCESS_TOKEN)
    ]
    assert stand.token_requests == []


async def test_legacy_expired_token_says_login(
    home: Path, write_config: Writer, stand: Stand, http: AiohttpCredentialsHttp
) -> None:
    """An expired legacy token is refused with the login hint."""
    write_config(LEGACY_CONFIG)
    write_token(
        home,
        "https://legacy.awsapps.com/start",
        accessToken=ACCESS_TOKEN,
        expiresAt=_iso(NOW - dt.timedelta(minutes=5)),
    )
    with pytest.raises(CredentialRetrievalError, match=r"aws sso login --profile old"):
        await default_chain(profile="old", http=http).load()


async def test_refused_token_says_login_and_hides_secrets(
    home: Path, write_config: Writer, stand: Stand, http: AiohttpCredentialsHttp
) -> None:
    """A 401 from the portal tells the user to log in; no token appears in the error."""
    write_config(SESSION_CONFIG)
    write_token(home, "corp", **refreshable(dt.timedelta(hours=4)))
    stand.role_status = 401
    with pytest.raises(CredentialRetrievalError) as info:
        await default_chain(profile="dev", http=http).load()
    assert "aws sso login --profile dev" in str(info.value)
    assert "CANARY" not in repr(info.value) and "CANARY" not in str(info.value.__context__)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            "[profile dev]\nsso_session = nope\nsso_account_id = 1\nsso_role_name = R\n",
            "does not define",
        ),
        (
            "[profile dev]\nsso_session = corp\nsso_role_name = R\n"
            "[sso-session corp]\nsso_start_url = https://x\nsso_region = us-east-1\n",
            "sso_account_id",
        ),
        (
            "[profile dev]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n"
            "sso_region = us-west-2\n"
            "[sso-session corp]\nsso_start_url = https://x\nsso_region = us-east-1\n",
            "differs",
        ),
    ],
)
async def test_bad_sso_configuration(
    write_config: Writer, http: AiohttpCredentialsHttp, config: str, message: str
) -> None:
    """Missing or conflicting SSO settings name the key at fault."""
    write_config(config)
    with pytest.raises(CredentialRetrievalError, match=message):
        await default_chain(profile="dev", http=http).load()


async def test_region_is_validated_before_any_request(
    home: Path, write_config: Writer, http: AiohttpCredentialsHttp
) -> None:
    """An sso_region that is not a host label never becomes a host name."""
    write_config(SESSION_CONFIG.replace("sso_region = eu-west-1", "sso_region = evil.example#"))
    write_token(home, "corp", **refreshable(dt.timedelta(hours=4)))
    with pytest.raises(CredentialRetrievalError, match="not a valid region"):
        await default_chain(profile="dev", http=http).load()


def test_default_endpoints_follow_the_region() -> None:
    """Without overrides the portal and OIDC hosts are the regional AWS ones."""
    from secretsmanager_async._credentials.sso import _regional

    assert _regional("portal.sso", "eu-west-1") == "https://portal.sso.eu-west-1.amazonaws.com"
    assert _regional("oidc", "cn-north-1") == "https://oidc.cn-north-1.amazonaws.com.cn"


async def test_services_section_and_ignore_flag(
    home: Path,
    write_config: Writer,
    serve: Callable[[dict[tuple[str, str], Any]], Awaitable[Any]],
    http: AiohttpCredentialsHttp,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The profile's services section sets the SSO endpoint; the ignore flag drops it."""
    stand = Stand()
    server = await serve({("GET", "/federation/credentials"): stand.role})
    write_config(
        SESSION_CONFIG.replace("region = us-east-1", "region = us-east-1\nservices = local")
        + f"[services local]\nsso =\n  endpoint_url = {server.url}\n"
    )
    write_token(home, "corp", **refreshable(dt.timedelta(hours=4)))
    assert await default_chain(profile="dev", http=http).load() is not None
    assert len(stand.role_requests) == 1

    from secretsmanager_async._credentials.sso import configured_endpoint

    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert (
        configured_endpoint(
            "SSO", profile={}, services={"endpoint_url": server.url}, environ=os.environ
        )
        is None
    )


async def test_client_signs_with_sso_credentials(
    home: Path,
    write_config: Writer,
    stand: Stand,
    moto_url: str,
) -> None:
    """A client on an SSO profile reaches moto's server with the role credentials."""
    write_config(SESSION_CONFIG)
    write_token(home, "corp", **refreshable(dt.timedelta(hours=4)))
    async with SecretsManagerClient(
        profile="dev", region="us-east-1", endpoint_url=moto_url
    ) as client:
        await client.create_secret(name="sso/one", secret_string="v")
        value = await client.get_secret_value(secret_id="sso/one")
    assert value.secret_string == "v"
    assert len(stand.role_requests) == 1  # loaded once, reused for both calls


async def test_role_credentials_refreshed_before_they_expire(
    home: Path, write_config: Writer, stand: Stand, http: AiohttpCredentialsHttp
) -> None:
    """Role credentials inside the mandatory refresh window are fetched again on next use."""
    from secretsmanager_async._credentials.refresh import RefreshingCredentials

    write_config(SESSION_CONFIG)
    write_token(home, "corp", **refreshable(dt.timedelta(hours=4)))
    clock = [NOW.timestamp()]
    refreshing = RefreshingCredentials(
        default_chain(profile="dev", http=http), clock=lambda: clock[0]
    )
    await refreshing.get()
    await refreshing.get()
    assert len(stand.role_requests) == 1  # an hour left: reused
    clock[0] += 55 * 60  # five minutes before the role credentials expire
    await refreshing.get()
    assert len(stand.role_requests) == 2
    await refreshing.aclose()
