"""Stubber, MotoTransport, the aioresponses fix, the fixtures and the kit's import hygiene."""

from __future__ import annotations

import subprocess
import sys

import pytest

from secretsmanager_async import (
    Credentials,
    GetSecretValueResponse,
    ParamValidationError,
    ResourceNotFoundException,
    ResponseParseError,
    SecretsManagerClient,
    ServiceError,
)
from secretsmanager_async.testing import (
    ANY,
    FakeSecretsManager,
    MotoTransport,
    StubAssertionError,
    Stubber,
    StubResponseError,
    UnStubbedResponseError,
)

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:s-abcdef"


def make_client() -> SecretsManagerClient:
    return SecretsManagerClient(region="us-east-1", credentials=Credentials("AKID", "SECRET"))


async def test_stubber_answers_with_wire_dicts_and_models() -> None:
    """Queued responses come back in order, decoded by the real parser or as given."""
    client = make_client()
    model = GetSecretValueResponse(arn=ARN, name="s", secret_string="two")
    with Stubber(client) as stub:
        stub.add_response(
            "get_secret_value",
            {"ARN": ARN, "Name": "s", "SecretString": "one", "CreatedDate": 1700000000},
            {"secret_id": "s"},
        )
        stub.add_response(
            "get_secret_value", model, {"secret_id": ANY, "version_stage": "AWSPREVIOUS"}
        )
        first = await client.get_secret_value(secret_id="s")
        second = await client.get_secret_value(secret_id="s", version_stage="AWSPREVIOUS")
        stub.assert_no_pending_responses()
    assert first.secret_string == "one" and first.created_date is not None
    assert second is model
    await client.close()


async def test_stubber_client_errors_are_the_clients_exceptions() -> None:
    """add_client_error raises the modeled exception with code, message and status."""
    client = make_client()
    with Stubber(client) as stub:
        stub.add_client_error("describe_secret", "ResourceNotFoundException", "gone", 400)
        stub.add_client_error("describe_secret", "SomethingNew", "hm", 503)
        with pytest.raises(ResourceNotFoundException, match="gone"):
            await client.describe_secret(secret_id="s")
        with pytest.raises(ServiceError) as info:
            await client.describe_secret(secret_id="s")
    assert info.value.code == "SomethingNew" and info.value.status_code == 503


async def test_stubber_fails_loudly() -> None:
    """Unexpected calls, wrong operations, wrong params and unused responses all fail."""
    client = make_client()
    stub = Stubber(client)
    stub.activate()
    with pytest.raises(UnStubbedResponseError, match="GetSecretValue"):
        await client.get_secret_value(secret_id="s")
    stub.add_response("describe_secret", {"ARN": ARN})
    with pytest.raises(
        StubResponseError, match="Operation mismatch: found response for DescribeSecret"
    ):
        await client.get_secret_value(secret_id="s")
    stub.add_response("describe_secret", {"ARN": ARN}, expected_params={"secret_id": "other"})
    await client.describe_secret(secret_id="s")  # the first one, no expectations
    with pytest.raises(StubAssertionError, match="Expected parameters"):
        await client.describe_secret(secret_id="s")
    with pytest.raises(ParamValidationError, match="secret_id"):
        await client.describe_secret(secret_id="")  # validated as without a stub
    with pytest.raises(AssertionError, match="1 responses remaining"):
        stub.assert_no_pending_responses()
    stub.deactivate()
    assert "_invoke" not in vars(client)


def test_stubber_checks_responses_against_the_model() -> None:
    """Unknown members (nested too) and wrong types fail when queued; unknown methods too."""
    stub = Stubber(make_client())
    with pytest.raises(ParamValidationError, match=r"response\.Bogus"):
        stub.add_response("get_secret_value", {"Bogus": 1})
    with pytest.raises(ParamValidationError, match=r"response\.SecretList\[0\]\.Nme"):
        stub.add_response("list_secrets", {"SecretList": [{"Nme": "x"}]})
    with pytest.raises(ResponseParseError):
        stub.add_response("get_secret_value", {"VersionStages": "not a list"})
    with pytest.raises(TypeError):
        stub.add_response("get_secret_value", object())
    with pytest.raises(ValueError, match="does not have method"):
        stub.add_response("get_secret", {})


async def test_stubber_ignores_the_auto_filled_token_unless_expected() -> None:
    """The generated ClientRequestToken does not break expected_params."""
    client = make_client()
    with Stubber(client) as stub:
        stub.add_response(
            "create_secret", {"ARN": ARN, "Name": "s"}, {"name": "s", "secret_string": "v"}
        )
        await client.create_secret(name="s", secret_string="v")


async def test_moto_transport_shares_state_with_boto3() -> None:
    """Inside mock_aws, boto3 and our client see the same in-process backend."""
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto = boto3.client("secretsmanager", region_name="eu-west-1")
        boto.create_secret(Name="shared", SecretString="from boto3")
        async with SecretsManagerClient(region="eu-west-1", transport=MotoTransport()) as client:
            assert (await client.get_secret_value(secret_id="shared")).secret_string == "from boto3"
            await client.put_secret_value(secret_id="shared", secret_string="from us")
            with pytest.raises(ResourceNotFoundException):
                await client.get_secret_value(secret_id="missing")
        assert boto.get_secret_value(SecretId="shared")["SecretString"] == "from us"


async def test_moto_transport_outside_a_mock_says_so() -> None:
    """Without mock_aws, the transport raises a clear ConfigurationError."""
    from secretsmanager_async import ConfigurationError

    async with SecretsManagerClient(
        region="eu-west-1", credentials=Credentials("a", "b"), transport=MotoTransport()
    ) as client:
        with pytest.raises(ConfigurationError, match="mock_aws"):
            await client.get_secret_value(secret_id="x")


async def test_aioresponses_answers_the_client() -> None:
    """A plain 'with aioresponses()' answers GetSecretValue under this aiohttp."""
    from aioresponses import aioresponses

    async with make_client() as client:
        with aioresponses() as mocked:
            mocked.post(
                "https://secretsmanager.us-east-1.amazonaws.com/",
                payload={"ARN": ARN, "Name": "s", "SecretString": "mocked"},
                content_type="application/x-amz-json-1.1",
            )
            assert (await client.get_secret_value(secret_id="s")).secret_string == "mocked"


def test_aioresponses_fix_is_needed_exactly_when_aiohttp_requires_stream_writer() -> None:
    """The fix applies under aiohttp >= 3.14 with aioresponses <= 0.7.9, and is then a no-op."""
    import inspect

    import aiohttp
    import aioresponses.core as core

    from secretsmanager_async.testing import _aioresponses_compat

    required = "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters
    assert getattr(core.ClientResponse, "_secretsmanager_async_compat", False) is required
    assert _aioresponses_compat.needed(core) is False  # applied once, never twice


def test_importing_the_package_or_the_kit_imports_no_optional_dependency() -> None:
    """`import secretsmanager_async` never imports the kit; the kit imports no moto/aioresponses."""
    code = (
        "import sys, secretsmanager_async as s;"
        "assert 'secretsmanager_async.testing' not in sys.modules;"
        "import secretsmanager_async.testing;"
        "assert not {'moto', 'aioresponses', 'botocore'} & set(sys.modules), sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_core_never_imports_the_kit() -> None:
    """No core module mentions the testing package."""
    from pathlib import Path

    import secretsmanager_async

    root = Path(secretsmanager_async.__file__).parent
    offenders = [
        p
        for p in root.rglob("*.py")
        if "testing" not in p.parts
        and ("secretsmanager_async.testing" in p.read_text() or "from .testing" in p.read_text())
    ]
    assert offenders == []


async def test_fixtures_give_a_fresh_fake_and_an_open_client(
    sm_fake: FakeSecretsManager, sm_client: SecretsManagerClient
) -> None:
    """sm_client is open and wired to sm_fake."""
    sm_fake.put("fixture", "yes")
    assert (await sm_client.get_secret_value(secret_id="fixture")).secret_string == "yes"
    assert not sm_client.closed


def test_plugin_works_under_pytest_asyncio_defaults(pytester: pytest.Pytester) -> None:
    """In a project with pytest-asyncio's default (strict) mode, the fixtures just work."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.asyncio
        async def test_uses_kit(sm_fake, sm_client):
            sm_fake.put("a", "b")
            assert (await sm_client.get_secret_value(secret_id="a")).secret_string == "b"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
