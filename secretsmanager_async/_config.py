"""Client settings: one object, resolved argument -> environment -> profile -> default."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from typing import Any, Final, cast

import attrs

from ._endpoints import check_endpoint_url, redact_url
from ._middleware.retry import RetryMode
from .exceptions import ConfigurationError

_RETRY_MODES = ("standard", "adaptive")


class _Unset(enum.Enum):
    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


#: "not given": for the bounds, where ``None`` means "no bound" and must be asked for explicitly
UNSET: Final = _Unset.UNSET

#: Defaults of the bounds (see the README's "Safety and limits").
#: A BatchGetSecretValue page (20 secrets of at most 64 KiB, all JSON-escaped \uXXXX in the
#: worst case) is under 8 MiB, a ListSecrets page of 100 entries a few MiB: 16 MiB is twice
#: the worst legitimate response and ten times a typical full page.
DEFAULT_MAX_RESPONSE_BYTES: Final = 16 * 1024 * 1024
#: One attempt (connect, send, read the whole body): a healthy one takes well under a second;
#: 30 s equals the read timeout and reads the largest legitimate page at about 2 Mbit/s.
DEFAULT_ATTEMPT_TIMEOUT: Final = 30.0
#: One call, all attempts and backoff: two full attempts, or three quick failures with backoff.
DEFAULT_TIMEOUT: Final = 60.0
#: Fields whose ``None`` is a user's explicit "no bound" (their "not given" is :data:`UNSET`).
_BOUNDS = frozenset(
    {
        "timeout",
        "attempt_timeout",
        "max_response_bytes",
        "credential_process_timeout",
        "credential_process_max_bytes",
    }
)
#: a ``credential_process`` command's bounds: start to exit, and stdout (why: ``process.py``)
DEFAULT_CREDENTIAL_PROCESS_TIMEOUT: Final = 60.0
DEFAULT_CREDENTIAL_PROCESS_MAX_BYTES: Final = 1024 * 1024


@attrs.frozen(kw_only=True)
class ClientConfig:
    """Settings for a :class:`SecretsManagerClient`.

    Any field left unset is taken from the environment, then the shared config profile, then
    the default shown here. The three bounds (``timeout``, ``attempt_timeout``,
    ``max_response_bytes``) are always finite by default; setting one to ``None`` explicitly
    lifts it.

    - ``region``: AWS region (``AWS_REGION``, ``AWS_DEFAULT_REGION``, profile ``region``); required.
    - ``endpoint_url``: a custom endpoint (``AWS_ENDPOINT_URL_SECRETS_MANAGER``,
      ``AWS_ENDPOINT_URL``, the profile's ``services`` section); default: from the endpoint rules.
      An absolute http(s) URL with a host and optional port and path; user info
      (``user:password@``), a query or a fragment is refused with :class:`ConfigurationError`
      (when given here, at once; from the environment or profile, at the client's setup).
    - ``ignore_configured_endpoint_urls``: ignore endpoint URLs from the environment and the
      shared config, keeping an explicit ``endpoint_url`` (``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS``,
      profile ``ignore_configured_endpoint_urls``); default False.
    - ``use_fips`` / ``use_dualstack``: FIPS / dual-stack endpoints (``AWS_USE_FIPS_ENDPOINT``,
      ``AWS_USE_DUALSTACK_ENDPOINT``); default False.
    - ``retry_mode``: ``"standard"`` or ``"adaptive"`` (``AWS_RETRY_MODE``); default standard.
    - ``max_attempts``: attempts per call including the first (``AWS_MAX_ATTEMPTS``); default 3.
    - ``connect_timeout``: seconds to establish a connection; default 10.
    - ``read_timeout``: seconds without any response data (reset by every byte); default 30.
    - ``attempt_timeout``: seconds for one whole attempt (connect, send, full body read), so a
      server dripping bytes cannot hold it; expiry raises :class:`AttemptTimeoutError`, which
      is retried; default 30.
    - ``timeout``: seconds for a whole call, all attempts and backoff included; expiry raises
      :class:`CallTimeoutError`; default 60.
    - ``max_response_bytes``: largest response body accepted, counted after decompression;
      more raises :class:`ResponseTooLargeError` (not retried); default 16 MiB.
    - ``max_connections``: connection pool size; default 128, enough for bulk fetches.
    - ``ca_bundle``: a CA file for TLS verification (``AWS_CA_BUNDLE``).
    - ``verify_ssl``: TLS certificate verification; default True.
    - ``user_agent_suffix``: appended to the User-Agent header; printable ASCII only.
    - ``parameter_validation``: check call arguments against the model's length, range, size
      and combination rules before sending; default True. False keeps only the type and
      required-member checks, leaving the rest to the service (as botocore's switch does).
    - ``profile``: the shared config profile (``AWS_DEFAULT_PROFILE``, ``AWS_PROFILE``); default
      ``default``. Only a profile given here skips the environment's keys.
    - ``credential_process_timeout``: seconds a ``credential_process`` command may run before it
      is killed; default 60 (``None``: no limit).
    - ``credential_process_max_bytes``: stdout bytes accepted from it before it is killed;
      default 1 MiB (``None``: no limit).
    - ``trust_env``: use proxies from ``HTTP(S)_PROXY`` / ``NO_PROXY``; default True.
    """

    region: str | None = None
    endpoint_url: str | None = attrs.field(
        default=None,
        validator=lambda _, __, value: None if value is None else check_endpoint_url(value),
        repr=lambda value: repr(value if value is None else redact_url(value)),
    )
    use_fips: bool | None = None
    use_dualstack: bool | None = None
    retry_mode: RetryMode | None = None
    max_attempts: int | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    timeout: float | _Unset | None = UNSET
    attempt_timeout: float | _Unset | None = UNSET
    max_response_bytes: int | _Unset | None = UNSET
    max_connections: int | None = None
    ca_bundle: str | None = None
    verify_ssl: bool | None = None
    user_agent_suffix: str | None = attrs.field(
        default=None, validator=lambda _, __, value: _check_user_agent_suffix(value)
    )
    profile: str | None = None
    trust_env: bool | None = None
    parameter_validation: bool | None = attrs.field(
        default=None, validator=lambda _, __, value: _check_bool("parameter_validation", value)
    )
    ignore_configured_endpoint_urls: bool | None = None
    credential_process_timeout: float | _Unset | None = UNSET
    credential_process_max_bytes: int | _Unset | None = UNSET

    def merge(self, **overrides: Any) -> ClientConfig:
        """A copy with every given override applied.

        ``None`` means "not given", except for the bounds, where it lifts the bound and
        :data:`UNSET` means "not given".
        """
        changes = {
            k: v for k, v in overrides.items() if v is not UNSET and (v is not None or k in _BOUNDS)
        }
        return attrs.evolve(self, **changes) if changes else self

    def resolve(
        self,
        environ: Mapping[str, str] | None = None,
        profile: Mapping[str, Any] | None = None,
    ) -> ClientConfig:
        """Fill every unset field from ``environ``, then ``profile`` settings, then defaults."""
        env = os.environ if environ is None else environ
        prof = profile or {}

        def pick(field: str, env_names: tuple[str, ...], profile_key: str | None) -> Any:
            value = getattr(self, field)
            if value is not None:
                return value
            for name in env_names:
                if env.get(name):
                    return env[name]
            if profile_key is not None and prof.get(profile_key) not in (None, ""):
                return prof[profile_key]
            return None

        retry_mode = pick("retry_mode", ("AWS_RETRY_MODE",), "retry_mode") or "standard"
        if retry_mode not in _RETRY_MODES:
            raise ConfigurationError(
                f"retry_mode: must be one of {', '.join(_RETRY_MODES)} (got {retry_mode!r})"
            )
        max_attempts = _to_int(
            "max_attempts", pick("max_attempts", ("AWS_MAX_ATTEMPTS",), "max_attempts"), 3
        )
        if max_attempts < 1:
            raise ConfigurationError(f"max_attempts: must be at least 1 (got {max_attempts})")
        max_connections = _to_int("max_connections", self.max_connections, 128)
        if max_connections < 1:
            raise ConfigurationError("max_connections: must be at least 1")
        ignore_endpoints = self.ignore_configured_endpoint_urls
        if ignore_endpoints is None:
            from ._profiles import ignore_configured_endpoint_urls

            ignore_endpoints = ignore_configured_endpoint_urls(env, prof)
        return ClientConfig(
            region=pick("region", ("AWS_REGION", "AWS_DEFAULT_REGION"), "region"),
            # botocore: the flag drops configured URLs (env and profile), not an explicit one
            endpoint_url=self.endpoint_url
            if ignore_endpoints
            else _endpoint_url(self.endpoint_url, env, prof),
            ignore_configured_endpoint_urls=ignore_endpoints,
            use_fips=_to_bool(
                "use_fips", pick("use_fips", ("AWS_USE_FIPS_ENDPOINT",), "use_fips_endpoint")
            ),
            use_dualstack=_to_bool(
                "use_dualstack",
                pick("use_dualstack", ("AWS_USE_DUALSTACK_ENDPOINT",), "use_dualstack_endpoint"),
            ),
            retry_mode=cast(RetryMode, retry_mode),
            max_attempts=max_attempts,
            connect_timeout=_to_float(
                "connect_timeout", pick("connect_timeout", (), "connect_timeout"), 10.0
            ),
            read_timeout=_to_float("read_timeout", pick("read_timeout", (), "read_timeout"), 30.0),
            timeout=_bound_float("timeout", self.timeout, DEFAULT_TIMEOUT),
            attempt_timeout=_bound_float(
                "attempt_timeout", self.attempt_timeout, DEFAULT_ATTEMPT_TIMEOUT
            ),
            max_response_bytes=_bound_int(
                "max_response_bytes", self.max_response_bytes, DEFAULT_MAX_RESPONSE_BYTES
            ),
            max_connections=max_connections,
            ca_bundle=pick("ca_bundle", ("AWS_CA_BUNDLE",), "ca_bundle"),
            verify_ssl=True if self.verify_ssl is None else self.verify_ssl,
            user_agent_suffix=self.user_agent_suffix,
            profile=self.profile
            or env.get("AWS_DEFAULT_PROFILE")
            or env.get("AWS_PROFILE")
            or None,
            trust_env=True if self.trust_env is None else self.trust_env,
            credential_process_timeout=_bound_float(
                "credential_process_timeout",
                self.credential_process_timeout,
                DEFAULT_CREDENTIAL_PROCESS_TIMEOUT,
            ),
            credential_process_max_bytes=_bound_int(
                "credential_process_max_bytes",
                self.credential_process_max_bytes,
                DEFAULT_CREDENTIAL_PROCESS_MAX_BYTES,
            ),
            parameter_validation=self.parameter_validation is not False,
        )


def _endpoint_url(given: str | None, env: Mapping[str, str], prof: Mapping[str, Any]) -> str | None:
    """The endpoint URL by precedence, checked with the name of where it came from."""
    if given is not None:
        return given  # checked when the config was built
    for name in ("AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"):
        if env.get(name):
            check_endpoint_url(env[name], name)
            return env[name]
    value = prof.get("endpoint_url")
    if value in (None, ""):
        return None
    check_endpoint_url(value, "the config profile")
    return cast(str, value)


def _check_bool(field: str, value: object) -> None:
    if value is not None and not isinstance(value, bool):
        raise ConfigurationError(f"{field}: expected True or False (got {type(value).__name__})")


def _check_user_agent_suffix(value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise ConfigurationError("user_agent_suffix: expected a str")
    # A header value: CR/LF would split the header, and aiohttp rejects them only at send time.
    if not all(" " <= c <= "~" for c in value):
        raise ConfigurationError(
            "user_agent_suffix: only printable ASCII is allowed (no control characters, "
            "line breaks or non-ASCII text)"
        )


def _to_bool(field: str, value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0", ""):
        return False
    raise ConfigurationError(f"{field}: must be true or false (got {value!r})")


def _to_int(field: str, value: Any, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{field}: must be an integer (got {value!r})") from None


def _to_float(field: str, value: Any, default: float | None) -> float | None:
    if value is None:
        return default
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"{field}: must be a number of seconds (got {value!r})") from None
    if result <= 0:
        raise ConfigurationError(f"{field}: must be positive (got {value!r})")
    return result


def _bound_float(field: str, value: float | _Unset | None, default: float) -> float | None:
    if value is None:
        return None  # lifted by the user
    return _to_float(field, default if value is UNSET else value, default)


def _bound_int(field: str, value: int | _Unset | None, default: int) -> int | None:
    if value is None:
        return None  # lifted by the user
    result = _to_int(field, default if value is UNSET else value, default)
    if result < 1:
        raise ConfigurationError(f"{field}: must be at least 1 (got {value!r})")
    return result
