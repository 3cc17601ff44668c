"""Shared config/credentials file parsing and settings resolution."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from secretsmanager_async import _profiles
from secretsmanager_async._profiles import (
    ProfileSettings,
    aload_profile_settings,
    load_profile_settings,
    load_settings,
    load_shared_files,
    settings_from_env,
)
from secretsmanager_async.exceptions import ConfigurationError

Writer = Callable[[str], Path]


def test_profile_sections_follow_cli_naming(
    write_config: Writer, write_credentials: Writer
) -> None:
    """[profile x] and [default] are profiles in config; bare [x] only in credentials."""
    write_config(
        "[default]\nregion = us-east-1\n"
        "[profile dev]\nregion = eu-west-1\n"
        "[stray]\nregion = ap-south-1\n"
        "[profile]\nregion = nowhere\n"
    )
    write_credentials("[dev]\naws_access_key_id = AKIDDEV\n[profile odd]\nregion = x\n")
    files = load_shared_files()
    assert set(files.config_profiles) == {"default", "dev"}
    assert files.profile("stray") is None
    assert files.profile("dev") == {"region": "eu-west-1", "aws_access_key_id": "AKIDDEV"}
    # in the credentials file the section name is taken literally
    assert files.profile("profile odd") == {"region": "x"}


def test_credentials_file_wins_over_config(write_config: Writer, write_credentials: Writer) -> None:
    """A key in both files takes the credentials file's value."""
    write_config("[profile p]\naws_access_key_id = FROMCONFIG\nregion = us-west-2\n")
    write_credentials("[p]\naws_access_key_id = FROMCREDS\n")
    merged = load_shared_files().profile("p")
    assert merged is not None
    assert merged["aws_access_key_id"] == "FROMCREDS"
    assert merged["region"] == "us-west-2"


def test_profile_default_section_wins_over_default(write_config: Writer) -> None:
    """[profile default] overrides [default], as the CLI does."""
    write_config("[profile default]\nregion = eu-north-1\n[default]\nregion = us-east-1\n")
    assert load_profile_settings(None).region == "eu-north-1"


def test_services_section_gives_secrets_manager_endpoint(write_config: Writer) -> None:
    """The services block for secrets_manager beats the profile's own endpoint_url."""
    write_config(
        "[profile p]\nservices = local\nendpoint_url = http://127.0.0.1:1\n"
        "[services local]\nsecrets_manager =\n  endpoint_url = http://127.0.0.1:2\n"
        "sts =\n  endpoint_url = http://127.0.0.1:3\n"
    )
    settings = load_profile_settings("p")
    assert settings.endpoint_url == "http://127.0.0.1:2"
    assert load_shared_files().services["local"]["sts"] == {"endpoint_url": "http://127.0.0.1:3"}


def test_profile_endpoint_url_used_without_service_entry(write_config: Writer) -> None:
    """Without a secrets_manager block, the profile's endpoint_url applies."""
    write_config("[profile p]\nendpoint_url = http://127.0.0.1:1\n")
    assert load_profile_settings("p").endpoint_url == "http://127.0.0.1:1"


def test_missing_services_section_is_an_error(write_config: Writer) -> None:
    """A profile naming an undefined services section fails clearly."""
    write_config("[profile p]\nservices = nope\n")
    with pytest.raises(ConfigurationError, match="'nope'"):
        load_profile_settings("p")


def test_all_settings_are_read_and_typed(write_config: Writer) -> None:
    """Every botocore key we support is read with its type."""
    write_config(
        "[default]\nregion = us-west-2\nretry_mode = adaptive\nmax_attempts = 7\n"
        "use_fips_endpoint = true\nuse_dualstack_endpoint = FALSE\nca_bundle = /tmp/ca.pem\n"
        "connect_timeout = 1.5\nread_timeout = 20\n"
    )
    assert load_profile_settings(None) == ProfileSettings(
        region="us-west-2",
        retry_mode="adaptive",
        max_attempts=7,
        use_fips_endpoint=True,
        use_dualstack_endpoint=False,
        ca_bundle="/tmp/ca.pem",
        connect_timeout=1.5,
        read_timeout=20.0,
    )


def test_bad_values_name_the_key(write_config: Writer) -> None:
    """A non-boolean or non-integer value raises with the key and profile named."""
    write_config("[default]\nmax_attempts = many\n")
    with pytest.raises(ConfigurationError, match="max_attempts"):
        load_profile_settings(None)
    write_config("[default]\nuse_fips_endpoint = yes\n")
    with pytest.raises(ConfigurationError, match="use_fips_endpoint"):
        load_profile_settings(None)


def test_env_vars_choose_files_and_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE and AWS_PROFILE are honoured."""
    config = tmp_path / "cfg"
    config.write_text("[profile work]\nregion = sa-east-1\n")
    creds = tmp_path / "creds"
    creds.write_text("[work]\naws_access_key_id = AKIDWORK\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds))
    monkeypatch.setenv("AWS_PROFILE", "work")
    assert load_profile_settings(None).region == "sa-east-1"
    files = load_shared_files()
    assert files.config_path == str(config)
    assert files.profile("work") == {"region": "sa-east-1", "aws_access_key_id": "AKIDWORK"}


def test_named_profile_must_exist_default_need_not() -> None:
    """A missing named profile is an error; a missing default profile is just empty."""
    assert load_profile_settings(None) == ProfileSettings()
    with pytest.raises(ConfigurationError, match="'ghost' not found"):
        load_profile_settings("ghost")


def test_files_are_cached_until_cleared(write_config: Writer, home: Path) -> None:
    """The files are parsed once; clear_cache() makes the next load read them again."""
    write_config("[default]\nregion = us-east-1\n")
    assert load_profile_settings(None).region == "us-east-1"
    (home / ".aws" / "config").write_text("[default]\nregion = eu-west-3\n")
    assert load_profile_settings(None).region == "us-east-1"
    _profiles.clear_cache()
    assert load_profile_settings(None).region == "eu-west-3"


async def test_async_load_reads_in_a_thread(
    write_config: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aload_profile_settings reads the files through asyncio.to_thread, then uses the cache."""
    write_config("[default]\nregion = ca-central-1\n")
    calls: list[object] = []
    real = asyncio.to_thread

    async def counting(func: Callable[..., object], *args: object) -> object:
        calls.append(func)
        return await real(func, *args)

    monkeypatch.setattr(asyncio, "to_thread", counting)
    assert (await aload_profile_settings(None)).region == "ca-central-1"
    assert (await aload_profile_settings(None)).region == "ca-central-1"
    assert len(calls) == 1


def test_parse_error_does_not_quote_the_file(write_credentials: Writer) -> None:
    """A broken file is reported by path and line, never by quoting its (secret) content."""
    path = write_credentials("aws_secret_access_key = SUPERSECRET\n[default]\n")
    with pytest.raises(ConfigurationError) as info:
        load_shared_files()
    assert str(path) in str(info.value)
    assert "SUPERSECRET" not in str(info.value)


def test_parsed_files_hide_values_and_are_frozen(write_credentials: Writer) -> None:
    """The cached parse shows only its paths and cannot be changed by one of its readers."""
    write_credentials("[default]\naws_secret_access_key = SECRETVALUE\n")
    files = load_shared_files()
    assert "SECRETVALUE" not in repr(files)
    assert repr(files).startswith("SharedFiles(config_path=")
    with pytest.raises(AttributeError):
        files.credentials_profiles = {}
    with pytest.raises(AttributeError):
        del files.services


def test_env_settings_and_merge(write_config: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Environment settings win over the profile; gaps come from the profile."""
    write_config(
        "[default]\nregion = us-east-1\nmax_attempts = 3\nendpoint_url = http://127.0.0.1:9\n"
    )
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:7")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:8")
    monkeypatch.setenv("AWS_CA_BUNDLE", "/ca.pem")
    monkeypatch.setenv("AWS_RETRY_MODE", "standard")
    merged = load_settings(None)
    assert merged.region == "eu-west-1"
    assert merged.endpoint_url == "http://127.0.0.1:8"
    assert merged.max_attempts == 3
    assert merged.ca_bundle == "/ca.pem"
    assert merged.retry_mode == "standard"
    monkeypatch.setenv("AWS_REGION", "ap-east-1")
    assert settings_from_env().region == "ap-east-1"


def test_ignore_configured_endpoint_urls(
    write_config: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_IGNORE_CONFIGURED_ENDPOINT_URLS drops endpoint URLs from env and files."""
    write_config("[default]\nendpoint_url = http://127.0.0.1:9\n")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:7")
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert load_settings(None).endpoint_url is None
