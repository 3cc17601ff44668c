"""endpoint_url and user_agent_suffix are checked early; parameter_validation can be off."""

from __future__ import annotations

import json

import pytest

from secretsmanager_async import (
    ClientConfig,
    ConfigurationError,
    Credentials,
    ParamValidationError,
    SecretsManagerClient,
    Tag,
)
from secretsmanager_async._endpoints import redact_url, resolve_endpoint
from secretsmanager_async.testing import FakeTransport, json_response

from ..secrecy import assert_no_secrets

PASSWORD = "hunter2-CANARY"
CREDENTIALS = Credentials("AKID", "secret")

BAD_URLS = {
    f"http://user:{PASSWORD}@127.0.0.1:4566": "user info",
    f"https://{PASSWORD}@example.com/": "user info",
    "http://127.0.0.1:99999": "not a valid URL",
    "http://[::1:5055": "not a valid URL",
    "http://127.0.0.1:0": "port",
    "http://127.0.0.1:4566/?x=1": "query",
    "http://127.0.0.1:4566/#top": "fragment",
    "http://127.0.0.1:4566/\r\nX-Evil: 1": "control characters",
    "http://local host:4566": "whitespace",
    "http://under_score:4566": "DNS name",
}


@pytest.mark.parametrize("url", list(BAD_URLS))
def test_bad_endpoint_url_is_refused_at_construction(url: str) -> None:
    """The client and ClientConfig refuse a bad endpoint_url at once, never echoing a password."""
    for build in (
        lambda: SecretsManagerClient(region="us-east-1", endpoint_url=url),
        lambda: ClientConfig(endpoint_url=url),
        lambda: ClientConfig().merge(endpoint_url=url),
        lambda: resolve_endpoint("us-east-1", endpoint_url=url),
    ):
        with pytest.raises(ConfigurationError, match=BAD_URLS[url]) as info:
            build()
        assert_no_secrets(info.value, PASSWORD)


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER"])
async def test_bad_endpoint_url_from_environment_fails_setup(
    variable: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From the environment: ConfigurationError at setup naming the variable, nothing sent."""
    monkeypatch.setenv(variable, f"http://admin:{PASSWORD}@127.0.0.1:4566")
    transport = FakeTransport()
    client = SecretsManagerClient(region="us-east-1", credentials=CREDENTIALS, transport=transport)
    with pytest.raises(ConfigurationError, match=f"from {variable}.*user info") as info:
        await client.get_secret_value(secret_id="s")
    assert_no_secrets(info.value, PASSWORD)
    assert PASSWORD not in client.endpoint_url and PASSWORD not in repr(client.config)
    assert not transport.requests
    await client.close()


def test_good_endpoint_urls_pass() -> None:
    """Hosts, IPv4, bracketed IPv6, ports and paths stay accepted."""
    for url in (
        "http://127.0.0.1:4566",
        "http://[::1]:5000/x",
        "https://secretsmanager.eu-west-1.amazonaws.com",
        "http://localhost.:80/base/",
    ):
        assert ClientConfig(endpoint_url=url).endpoint_url == url


def test_redact_url() -> None:
    """User info is replaced in what the library shows; the rest is kept."""
    assert redact_url(f"http://u:{PASSWORD}@h:1/p?q@x") == "http://***@h:1/p?q@x"
    assert redact_url("http://h:1/p@x") == "http://h:1/p@x"
    assert redact_url("not a url") == "not a url"


@pytest.mark.parametrize("suffix", ["app/1.0\r\nX-Evil: 1", "app\n", "app\x00", "caf\u00e9/1"])
def test_user_agent_suffix_must_be_printable_ascii(suffix: str) -> None:
    """CR, LF, other controls and non-ASCII in user_agent_suffix are refused at construction."""
    with pytest.raises(ConfigurationError, match="user_agent_suffix"):
        SecretsManagerClient(region="us-east-1", user_agent_suffix=suffix)
    SecretsManagerClient(region="us-east-1", user_agent_suffix="my-app/1.2 (build 7)")


def test_parameter_validation_must_be_a_bool() -> None:
    """parameter_validation takes True or False only."""
    with pytest.raises(ConfigurationError, match="parameter_validation"):
        ClientConfig(parameter_validation="no")  # type: ignore[arg-type]


# -- item 16: parameter_validation=False ----------------------------------------------------


def _client(transport: FakeTransport, **kw: object) -> SecretsManagerClient:
    return SecretsManagerClient(
        region="us-east-1", credentials=CREDENTIALS, transport=transport, **kw
    )


@pytest.mark.parametrize(
    "switch",
    [{"parameter_validation": False}, {"config": ClientConfig(parameter_validation=False)}],
    ids=["keyword", "config"],
)
async def test_values_beyond_model_limits_are_sent_when_validation_is_off(
    switch: dict[str, object],
) -> None:
    """With validation off, over-maximum lengths, sizes and ranges reach the service."""
    transport = FakeTransport(lambda _: json_response(200, {}))
    async with _client(transport, **switch) as client:  # type: ignore[arg-type]
        await client.put_secret_value(secret_id="s", secret_string="x" * 70_000)
        await client.list_secrets(max_results=500)
        await client.tag_resource(secret_id="s", tags=[Tag(key="k" * 200, value="v")])
        await client.create_secret(name="n", secret_string="a", secret_binary=b"b")
    sent = [json.loads(r.body) for r in transport.requests]
    assert len(sent[0]["SecretString"]) == 70_000
    assert sent[1]["MaxResults"] == 500
    assert sent[2]["Tags"][0]["Key"] == "k" * 200
    assert sent[3]["SecretString"] == "a" and "SecretBinary" in sent[3]


async def test_validation_on_by_default_sends_nothing() -> None:
    """By default the same calls fail before sending."""
    transport = FakeTransport(lambda _: json_response(200, {}))
    async with _client(transport) as client:
        with pytest.raises(ParamValidationError, match="secret_string: length must be at most"):
            await client.put_secret_value(secret_id="s", secret_string="x" * 70_000)
        with pytest.raises(ParamValidationError, match="max_results: must be at most 100"):
            await client.list_secrets(max_results=500)
        with pytest.raises(ParamValidationError, match=r"tags\[0\]\.key"):
            await client.tag_resource(secret_id="s", tags=[Tag(key="k" * 200, value="v")])
    assert not transport.requests


async def test_types_and_required_members_are_checked_even_when_off() -> None:
    """Validation off never sends a body of the wrong shape."""
    transport = FakeTransport(lambda _: json_response(200, {}))
    async with _client(transport, parameter_validation=False) as client:
        with pytest.raises(ParamValidationError, match="secret_id: expected str"):
            await client.get_secret_value(secret_id=5)  # type: ignore[arg-type]
        with pytest.raises(ParamValidationError, match="secret_id: is required"):
            await client.get_secret_value(secret_id=None)  # type: ignore[arg-type]
        with pytest.raises(ParamValidationError, match=r"tags\[0\]: expected Tag"):
            await client.tag_resource(secret_id="s", tags=[{"Key": "k"}])  # type: ignore[list-item]
    assert not transport.requests
