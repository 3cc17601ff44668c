"""Settings resolution: argument, then environment, then profile, then default."""

from __future__ import annotations

import pytest

from secretsmanager_async import ClientConfig, ConfigurationError, Credentials, SecretsManagerClient
from secretsmanager_async.testing import FakeTransport, json_response


def test_defaults() -> None:
    """With nothing set, the documented defaults apply."""
    config = ClientConfig().resolve({}, {})
    assert config.retry_mode == "standard"
    assert config.max_attempts == 3
    assert config.max_connections == 128
    assert (config.connect_timeout, config.read_timeout) == (10.0, 30.0)
    assert (config.attempt_timeout, config.timeout) == (30.0, 60.0)
    assert config.max_response_bytes == 16 * 1024 * 1024
    assert (config.use_fips, config.use_dualstack) == (False, False)
    assert config.verify_ssl is True
    assert config.region is None


def test_precedence_argument_env_profile() -> None:
    """An argument beats the environment, which beats the profile."""
    env = {"AWS_REGION": "eu-west-1", "AWS_MAX_ATTEMPTS": "7", "AWS_RETRY_MODE": "adaptive"}
    profile = {
        "region": "ap-south-1",
        "max_attempts": 9,
        "retry_mode": "standard",
        "read_timeout": 4.0,
        "use_fips_endpoint": True,
    }
    config = ClientConfig(max_attempts=2).resolve(env, profile)
    assert config.max_attempts == 2
    assert config.region == "eu-west-1"
    assert config.retry_mode == "adaptive"
    assert config.read_timeout == 4.0
    assert config.use_fips is True
    assert ClientConfig().resolve({}, profile).region == "ap-south-1"
    assert ClientConfig().resolve({"AWS_DEFAULT_REGION": "us-west-2"}, profile).region == (
        "us-west-2"
    )


def test_endpoint_env_order() -> None:
    """AWS_ENDPOINT_URL_SECRETS_MANAGER beats AWS_ENDPOINT_URL; the argument beats both."""
    env = {"AWS_ENDPOINT_URL": "http://a", "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://b"}
    assert ClientConfig().resolve(env, {}).endpoint_url == "http://b"
    assert ClientConfig().resolve({"AWS_ENDPOINT_URL": "http://a"}, {}).endpoint_url == "http://a"
    assert ClientConfig(endpoint_url="http://c").resolve(env, {}).endpoint_url == "http://c"


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"AWS_RETRY_MODE": "legacy"}, "retry_mode"),
        ({"AWS_MAX_ATTEMPTS": "three"}, "max_attempts"),
        ({"AWS_MAX_ATTEMPTS": "0"}, "max_attempts"),
        ({"AWS_USE_FIPS_ENDPOINT": "maybe"}, "use_fips"),
    ],
)
def test_bad_values_name_the_field(env: dict[str, str], field: str) -> None:
    """A bad setting is a ConfigurationError naming the field."""
    with pytest.raises(ConfigurationError, match=field):
        ClientConfig().resolve(env, {})


async def _first_request_url(
    monkeypatch: pytest.MonkeyPatch, region: str = "us-east-1", **env: str
) -> str:
    for name in ("AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    transport = FakeTransport().add(json_response(200, {"Name": "n"}))
    async with SecretsManagerClient(
        region=region, credentials=Credentials("a", "b"), transport=transport
    ) as client:
        await client.describe_secret(secret_id="n")
    return transport.requests[0].url


async def test_client_endpoint_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """FIPS, dual-stack and endpoint URL variables steer the client's endpoint."""
    assert await _first_request_url(monkeypatch) == (
        "https://secretsmanager.us-east-1.amazonaws.com/"
    )
    assert await _first_request_url(monkeypatch, AWS_USE_FIPS_ENDPOINT="true") == (
        "https://secretsmanager-fips.us-east-1.amazonaws.com/"
    )
    # in the aws partition Secrets Manager's endpoints are dual-stack already; not in ISO
    assert await _first_request_url(
        monkeypatch, "us-iso-east-1", AWS_USE_DUALSTACK_ENDPOINT="true"
    ) == ("https://secretsmanager.us-iso-east-1.api.aws.ic.gov/")
    assert await _first_request_url(monkeypatch, AWS_ENDPOINT_URL="http://127.0.0.1:9") == (
        "http://127.0.0.1:9/"
    )


async def test_user_agent_suffix_and_stack_names() -> None:
    """The User-Agent carries the suffix; the stack lists its stages in order."""
    transport = FakeTransport().add(json_response(200, {"Name": "n"}))
    client = SecretsManagerClient(
        region="us-east-1",
        credentials=Credentials("a", "b"),
        transport=transport,
        user_agent_suffix="my-app/2.0",
    )
    assert client.middleware.names == ("retry", "endpoint", "sign", "parse_errors")
    async with client:
        await client.describe_secret(secret_id="n")
    agent = transport.requests[0].headers["User-Agent"]
    assert agent.startswith("secretsmanager-async/")
    assert agent.endswith(" my-app/2.0")


async def test_region_from_profile_file(tmp_path: object, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no argument or env, the region and retry settings come from the config profile."""
    from pathlib import Path

    from secretsmanager_async import _profiles

    config = Path(str(tmp_path)) / "config"
    config.write_text("[profile ops]\nregion = eu-central-1\nmax_attempts = 6\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    _profiles.clear_cache()
    transport = FakeTransport().add(json_response(200, {"Name": "n"}))
    try:
        async with SecretsManagerClient(
            profile="ops", credentials=Credentials("a", "b"), transport=transport
        ) as client:
            await client.describe_secret(secret_id="n")
            assert client.config.max_attempts == 6
    finally:
        _profiles.clear_cache()
    assert transport.requests[0].url == "https://secretsmanager.eu-central-1.amazonaws.com/"


def test_bounds_are_lifted_only_by_an_explicit_none() -> None:
    """Unset bounds get finite defaults; None set by the user (config or keyword) lifts them."""
    lifted = ClientConfig(timeout=None, attempt_timeout=None, max_response_bytes=None)
    config = lifted.resolve({}, {})
    assert (config.timeout, config.attempt_timeout, config.max_response_bytes) == (None,) * 3
    # merge (the client keywords) passes None through for the bounds only
    merged = ClientConfig().merge(timeout=None, attempt_timeout=5, region=None)
    assert merged.region is None
    resolved = merged.resolve({}, {})
    assert (resolved.timeout, resolved.attempt_timeout) == (None, 5.0)
    assert resolved.max_response_bytes == 16 * 1024 * 1024
    client = SecretsManagerClient(timeout=None, max_response_bytes=1024)
    assert client.config.timeout is None
    assert client.config.max_response_bytes == 1024
    assert SecretsManagerClient().config.resolve({}, {}).timeout == 60.0


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("timeout", 0, "must be positive"),
        ("attempt_timeout", "soon", "must be a number of seconds"),
        ("max_response_bytes", 0, "must be at least 1"),
        ("max_response_bytes", "big", "must be an integer"),
    ],
)
def test_bad_bounds_name_the_field(field: str, value: object, rule: str) -> None:
    """An invalid bound raises ConfigurationError naming the field and the rule."""
    with pytest.raises(ConfigurationError, match=f"{field}: {rule}"):
        ClientConfig(**{field: value}).resolve({}, {})
