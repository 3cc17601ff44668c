"""The shared config and credentials files (``~/.aws/config``, ``~/.aws/credentials``).

Parsing follows botocore's rules so a file that works with the AWS CLI works here:

* the config file names profiles ``[default]`` or ``[profile NAME]`` (``[profile default]`` is
  also the default profile); ``[services NAME]`` sections hold per-service settings; other
  sections are ignored;
* the credentials file names profiles ``[NAME]`` with no prefix;
* a profile's keys are the union of both files, the credentials file winning;
* a value that starts on the next line is a nested block (``secrets_manager =`` followed by
  indented ``endpoint_url = ...`` lines).

Files are read once per (config path, credentials path) and cached for the process; async
callers use :func:`aload_shared_files` so the read runs off the event loop. Only regular files
(and ``/dev/null``) are read: a FIFO or device raises :class:`ConfigurationError` at once
rather than blocking (see ``_files``).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping
from typing import NamedTuple

from ._files import read_regular_file
from .exceptions import ConfigurationError

#: a profile: key -> value, or key -> nested block for values like ``s3 =\n  k = v``
Section = Mapping[str, "str | Mapping[str, str]"]

#: the key of Secrets Manager in a ``[services NAME]`` section (botocore: the service id
#: "Secrets Manager" in snake case; the env var is AWS_ENDPOINT_URL_SECRETS_MANAGER)
SERVICE_KEY = "secrets_manager"

_TRUE = {"true"}
_FALSE = {"false"}


class SharedFiles:
    """The parsed shared files. Profile values are never shown in a repr (they hold keys).

    A plain class, not attrs: the module is imported by every client's first call, and
    attrs compiles a class's methods when it builds it (milliseconds of a cold start).
    """

    __slots__ = (
        "config_path",
        "config_profiles",
        "credentials_path",
        "credentials_profiles",
        "services",
        "sso_sessions",
    )
    config_path: str
    credentials_path: str
    #: profile name -> keys from the config file
    config_profiles: Mapping[str, Section]
    #: profile name -> keys from the credentials file
    credentials_profiles: Mapping[str, Section]
    #: services section name -> service key -> settings
    services: Mapping[str, Mapping[str, Mapping[str, str]]]
    #: sso-session section name -> keys (IAM Identity Center sign-in settings)
    sso_sessions: Mapping[str, Section]

    def __init__(
        self,
        config_path: str,
        credentials_path: str,
        config_profiles: Mapping[str, Section],
        credentials_profiles: Mapping[str, Section],
        services: Mapping[str, Mapping[str, Mapping[str, str]]],
        sso_sessions: Mapping[str, Section] | None = None,
    ) -> None:
        # frozen, as the cached parse is shared by every reader
        init = object.__setattr__
        init(self, "config_path", config_path)
        init(self, "credentials_path", credentials_path)
        init(self, "config_profiles", config_profiles)
        init(self, "credentials_profiles", credentials_profiles)
        init(self, "services", services)
        init(self, "sso_sessions", {} if sso_sessions is None else sso_sessions)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"SharedFiles is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"SharedFiles is frozen: cannot delete {name!r}")

    def __repr__(self) -> str:
        return (
            f"SharedFiles(config_path={self.config_path!r}, "
            f"credentials_path={self.credentials_path!r})"
        )

    def profile_names(self) -> frozenset[str]:
        """Every profile defined in either file."""
        return frozenset(self.config_profiles) | frozenset(self.credentials_profiles)

    def profile(self, name: str) -> dict[str, str | Mapping[str, str]] | None:
        """The merged keys of profile ``name`` (credentials file wins), or None if undefined."""
        if name not in self.config_profiles and name not in self.credentials_profiles:
            return None
        merged: dict[str, str | Mapping[str, str]] = dict(self.config_profiles.get(name, {}))
        merged.update(self.credentials_profiles.get(name, {}))
        return merged


def config_file_path(environ: Mapping[str, str] | None = None) -> str:
    """The config file path: ``AWS_CONFIG_FILE`` or ``~/.aws/config``."""
    env = os.environ if environ is None else environ
    return _expand(env.get("AWS_CONFIG_FILE") or "~/.aws/config")


def credentials_file_path(environ: Mapping[str, str] | None = None) -> str:
    """The credentials file path: ``AWS_SHARED_CREDENTIALS_FILE`` or ``~/.aws/credentials``."""
    env = os.environ if environ is None else environ
    return _expand(env.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials")


def resolve_profile_name(profile: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The profile in use: the argument, ``AWS_DEFAULT_PROFILE``, ``AWS_PROFILE``, "default".

    ``AWS_DEFAULT_PROFILE`` before ``AWS_PROFILE`` is botocore's order (its config table lists
    both names for ``profile``, the first set wins).
    """
    env = os.environ if environ is None else environ
    return profile or env.get("AWS_DEFAULT_PROFILE") or env.get("AWS_PROFILE") or "default"


def ignore_configured_endpoint_urls(
    environ: Mapping[str, str] | None = None, profile: Mapping[str, object] | None = None
) -> bool:
    """Whether configured endpoint URLs are ignored, by botocore's rule.

    ``AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`` when set, else the profile's
    ``ignore_configured_endpoint_urls``; False when neither is. When True, ``AWS_ENDPOINT_URL*``
    and every ``endpoint_url`` in the shared config are ignored (an explicit argument is not).
    """
    env = os.environ if environ is None else environ
    key = "ignore_configured_endpoint_urls"
    from_env = (env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") or "").strip()
    if from_env:
        return bool(_bool("environment", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", from_env))
    value = (profile or {}).get(key)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        return bool(_bool("profile", key, value.strip()))
    return False


def _expand(path: str) -> str:
    return os.path.expanduser(os.path.expandvars(path))


_cache: dict[tuple[str, str], SharedFiles] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    """Forget every parsed file, so the next load reads the files again."""
    with _cache_lock:
        _cache.clear()


def load_shared_files(environ: Mapping[str, str] | None = None) -> SharedFiles:
    """Parse (or return the cached parse of) the shared files. Blocking: call off the loop."""
    key = (config_file_path(environ), credentials_file_path(environ))
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _cache_lock:
        cached = _cache.get(key)
        if cached is None:
            cached = _parse_files(*key)
            _cache[key] = cached
        return cached


async def aload_shared_files(environ: Mapping[str, str] | None = None) -> SharedFiles:
    """:func:`load_shared_files` without blocking the event loop (a thread on a cache miss)."""
    key = (config_file_path(environ), credentials_file_path(environ))
    cached = _cache.get(key)
    if cached is not None:
        return cached
    if not any(_has_content(path) for path in key):
        # Common in containers and Lambda: no files. A stat is cheap; a worker thread is
        # not (a cold start would pay for starting the thread pool).
        return load_shared_files(environ)
    return await asyncio.to_thread(load_shared_files, environ)


def _has_content(path: str) -> bool:
    try:
        return os.stat(path).st_size > 0
    except OSError:
        return False


def _parse_files(config_path: str, credentials_path: str) -> SharedFiles:
    config_sections = _read_ini(config_path)
    credentials_sections = _read_ini(credentials_path)
    profiles: dict[str, Section] = {}
    explicit_default: Section | None = None
    services: dict[str, Mapping[str, Mapping[str, str]]] = {}
    sso_sessions: dict[str, Section] = {}
    for name, values in config_sections.items():
        if name == "default":
            profiles.setdefault("default", values)
            continue
        kind, _, rest = name.partition(" ")
        rest = rest.strip()
        if not rest:
            continue
        if kind == "profile":
            if rest == "default":
                # [profile default] wins over [default], as in the CLI
                explicit_default = values
            else:
                profiles[rest] = values
        elif kind == "services":
            services[rest] = {k: v for k, v in values.items() if not isinstance(v, str)}
        elif kind == "sso-session":
            sso_sessions[rest] = values
    if explicit_default is not None:
        profiles["default"] = explicit_default
    return SharedFiles(
        config_path=config_path,
        credentials_path=credentials_path,
        config_profiles=profiles,
        credentials_profiles=credentials_sections,
        services=services,
        sso_sessions=sso_sessions,
    )


def _read_ini(path: str) -> dict[str, Section]:
    try:
        text = read_regular_file(path)
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return {}
    except OSError as exc:
        # a FIFO or device is refused at once: reading one could block forever
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    if not text.strip():
        return {}
    # configparser is imported here: most processes (containers, Lambda) have no such files
    import configparser

    # strict=False: a repeated section or key merges (last wins) instead of failing the file
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    try:
        parser.read_string(text, source=path)
    except configparser.Error as exc:
        # the parser's message may quote a line of the file (a key); report the position only
        line = getattr(exc, "lineno", None)
        where = f" at line {line}" if line else ""
        raise ConfigurationError(f"cannot parse {path}{where}: {type(exc).__name__}") from None
    out: dict[str, Section] = {}
    for section in parser.sections():
        values: dict[str, str | Mapping[str, str]] = {}
        for option, value in parser.items(section):
            if value.startswith("\n"):
                values[option] = _parse_nested(value, path)
            else:
                values[option] = value
        out[section] = values
    return out


def _parse_nested(block: str, path: str) -> dict[str, str]:
    nested: dict[str, str] = {}
    for raw in block.splitlines():
        line = raw.strip()
        if not line:
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ConfigurationError(f"cannot parse {path}: a nested line has no '='")
        nested[key.strip().lower()] = value.strip()
    return nested


class ProfileSettings(NamedTuple):
    """Client settings found in one source (a profile, or the environment); None when absent.

    The client's configuration merges: argument, then environment, then profile, then default.
    A named tuple, not attrs, for the reason given on :class:`SharedFiles`.
    """

    region: str | None = None
    #: Secrets Manager endpoint: the services section first, then the profile's endpoint_url
    endpoint_url: str | None = None
    retry_mode: str | None = None
    max_attempts: int | None = None
    use_fips_endpoint: bool | None = None
    use_dualstack_endpoint: bool | None = None
    ca_bundle: str | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    #: True: ignore endpoint_url settings from env and files (explicit arguments still apply)
    ignore_configured_endpoint_urls: bool | None = None

    def or_else(self, other: ProfileSettings) -> ProfileSettings:
        """These settings, with gaps filled from ``other``."""
        return ProfileSettings._make(
            mine if mine is not None else theirs for mine, theirs in zip(self, other, strict=True)
        )


def _str(values: Mapping[str, str | Mapping[str, str]], key: str) -> str | None:
    value = values.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _bool(source: str, key: str, value: str | None) -> bool | None:
    if value is None:
        return None
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(f"{source}: {key} must be 'true' or 'false', got {value!r}")


def _int(source: str, key: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{source}: {key} must be an integer, got {value!r}") from None


def _float(source: str, key: str, value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise ConfigurationError(f"{source}: {key} must be a number, got {value!r}") from None


def service_settings(
    files: SharedFiles,
    profile: Mapping[str, str | Mapping[str, str]],
    service_key: str,
) -> Mapping[str, str]:
    """The profile's ``services`` block for ``service_key`` (e.g. "sts"), or empty."""
    name = _str(profile, "services")
    if name is None:
        return {}
    if name not in files.services:
        raise ConfigurationError(
            f"the profile refers to services section {name!r}, which {files.config_path} "
            "does not define"
        )
    return files.services[name].get(service_key, {})


def settings_from_profile(
    files: SharedFiles, profile_name: str, *, required: bool
) -> ProfileSettings:
    """Settings of ``profile_name`` in ``files``; a missing profile raises if ``required``."""
    profile = files.profile(profile_name)
    if profile is None:
        if required:
            raise ConfigurationError(
                f"profile {profile_name!r} not found in {files.config_path} or "
                f"{files.credentials_path}"
            )
        return ProfileSettings()
    src = f"profile {profile_name!r}"
    ignore = _bool(
        src, "ignore_configured_endpoint_urls", _str(profile, "ignore_configured_endpoint_urls")
    )
    # kept even when this profile says to ignore it: the environment variable, which wins over
    # the profile's flag, may say otherwise (ignore_configured_endpoint_urls() decides)
    endpoint = service_settings(files, profile, SERVICE_KEY).get("endpoint_url") or _str(
        profile, "endpoint_url"
    )
    return ProfileSettings(
        region=_str(profile, "region"),
        endpoint_url=endpoint,
        retry_mode=_str(profile, "retry_mode"),
        max_attempts=_int(src, "max_attempts", _str(profile, "max_attempts")),
        use_fips_endpoint=_bool(src, "use_fips_endpoint", _str(profile, "use_fips_endpoint")),
        use_dualstack_endpoint=_bool(
            src, "use_dualstack_endpoint", _str(profile, "use_dualstack_endpoint")
        ),
        ca_bundle=_str(profile, "ca_bundle"),
        connect_timeout=_float(src, "connect_timeout", _str(profile, "connect_timeout")),
        read_timeout=_float(src, "read_timeout", _str(profile, "read_timeout")),
        ignore_configured_endpoint_urls=ignore,
    )


def settings_from_env(environ: Mapping[str, str] | None = None) -> ProfileSettings:
    """Settings from ``AWS_*`` environment variables (same field meanings as a profile)."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name)
        return value.strip() if value and value.strip() else None

    ignore = _bool(
        "environment",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"),
    )
    endpoint = get("AWS_ENDPOINT_URL_SECRETS_MANAGER") or get("AWS_ENDPOINT_URL")
    return ProfileSettings(
        region=get("AWS_REGION") or get("AWS_DEFAULT_REGION"),
        endpoint_url=endpoint,
        retry_mode=get("AWS_RETRY_MODE"),
        max_attempts=_int("environment", "AWS_MAX_ATTEMPTS", get("AWS_MAX_ATTEMPTS")),
        use_fips_endpoint=_bool(
            "environment", "AWS_USE_FIPS_ENDPOINT", get("AWS_USE_FIPS_ENDPOINT")
        ),
        use_dualstack_endpoint=_bool(
            "environment", "AWS_USE_DUALSTACK_ENDPOINT", get("AWS_USE_DUALSTACK_ENDPOINT")
        ),
        ca_bundle=get("AWS_CA_BUNDLE"),
        ignore_configured_endpoint_urls=ignore,
    )


def load_profile_settings(
    profile: str | None, environ: Mapping[str, str] | None = None
) -> ProfileSettings:
    """Settings of the profile in use (argument, ``AWS_PROFILE``, or "default").

    Blocking on the first call per file pair (then cached); async code should prefer
    :func:`aload_profile_settings`. A profile named explicitly (argument or ``AWS_PROFILE``)
    that does not exist raises :class:`ConfigurationError`; a missing "default" does not.
    """
    files = load_shared_files(environ)
    name = resolve_profile_name(profile, environ)
    return settings_from_profile(files, name, required=name != "default")


async def aload_profile_settings(
    profile: str | None, environ: Mapping[str, str] | None = None
) -> ProfileSettings:
    """:func:`load_profile_settings` with the file read off the event loop."""
    files = await aload_shared_files(environ)
    name = resolve_profile_name(profile, environ)
    return settings_from_profile(files, name, required=name != "default")


def load_settings(profile: str | None, environ: Mapping[str, str] | None = None) -> ProfileSettings:
    """Environment settings, gaps filled from the profile (the client adds arguments on top)."""
    env_settings = settings_from_env(environ)
    file_settings = load_profile_settings(profile, environ)
    merged = env_settings.or_else(file_settings)
    if merged.ignore_configured_endpoint_urls:
        merged = merged._replace(endpoint_url=None)
    return merged


__all__ = [
    "SERVICE_KEY",
    "ProfileSettings",
    "SharedFiles",
    "aload_profile_settings",
    "aload_shared_files",
    "clear_cache",
    "config_file_path",
    "credentials_file_path",
    "ignore_configured_endpoint_urls",
    "load_profile_settings",
    "load_settings",
    "load_shared_files",
    "resolve_profile_name",
    "service_settings",
    "settings_from_env",
    "settings_from_profile",
]
