"""Endpoint resolution: a small interpreter of the Secrets Manager endpoint rule set.

The rule set (``_data/endpoint-rule-set-1.json``) and the partition table
(``_data/partitions.json``) are copies of the service's published model files. Interpreting them,
rather than hand-writing the same ifs, keeps resolution right when the model is refreshed: a new
partition or rule needs only new data files. A rule set that uses a function this interpreter does
not know fails loudly (``tests/unit/test_endpoints.py`` checks every function the shipped rule set
uses).

Both files are read on first use, not at import, and each distinct set of arguments is resolved
once per process.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from .exceptions import ConfigurationError

__all__ = [
    "check_endpoint_url",
    "check_region",
    "is_valid_region",
    "redact_url",
    "resolve_endpoint",
]

# Parsed JSON: the rule language is dynamically typed, so the interpreter is too.
_Json = Any

# A region must be a DNS label (botocore's validate_region_name): it becomes part of a host name,
# and the rule set would otherwise template anything, spaces and slashes included, into the URL.
# Patterns are compiled on first use (re caches them), not at import.
# fullmatch, not match: "$" would accept a trailing newline.
_REGION_LABEL = r"(?![0-9]+$)(?!-)[a-zA-Z0-9-]{1,63}(?<!-)"
_HOST_LABEL = r"[a-zA-Z0-9][a-zA-Z0-9-]{0,62}"
_HOST_NAME_LABEL = r"(?!-)[a-zA-Z0-9-]{1,63}(?<!-)"


def is_valid_region(region: str) -> bool:
    """Whether ``region`` can be part of a host name: the one region rule of the package.

    The service endpoint, the STS endpoint and the SSO endpoints all use it.
    """
    return re.fullmatch(_REGION_LABEL, region) is not None


def check_region(region: str) -> str:
    """Return ``region`` if :func:`is_valid_region`; raise ConfigurationError otherwise."""
    if not is_valid_region(region):
        raise ConfigurationError(f"Invalid region name {region!r}: it must be a DNS label")
    return region


def resolve_endpoint(
    region: str | None,
    *,
    use_fips: bool = False,
    use_dualstack: bool = False,
    endpoint_url: str | None = None,
) -> str:
    """Return the Secrets Manager endpoint URL for ``region`` and the given options.

    ``endpoint_url`` (a custom endpoint, e.g. a local test server) is returned as given; it cannot
    be combined with FIPS or dual-stack. Regions unknown to this version resolve through their
    partition's region pattern (``cn-...`` to ``amazonaws.com.cn`` and so on).

    Raises :class:`~secretsmanager_async.exceptions.ConfigurationError` with the rule's message
    for the combinations the rules reject, and for a missing or malformed region.
    """
    return _resolve_cached(region or None, bool(use_fips), bool(use_dualstack), endpoint_url)


@functools.lru_cache(maxsize=64)
def _resolve_cached(
    region: str | None, use_fips: bool, use_dualstack: bool, endpoint_url: str | None
) -> str:
    if region is not None:
        check_region(region)
    if endpoint_url is not None:
        check_endpoint_url(endpoint_url)
    builtins: dict[str, object] = {
        "AWS::Region": region,
        "AWS::UseFIPS": use_fips,
        "AWS::UseDualStack": use_dualstack,
        "SDK::Endpoint": endpoint_url,
    }
    ruleset = _ruleset()
    scope: dict[str, object] = {}
    for name, spec in ruleset["parameters"].items():
        value = builtins.get(spec.get("builtIn", ""))
        if value is None:
            value = spec.get("default")
        if value is None and spec.get("required"):
            raise ConfigurationError(f"Endpoint parameter {name} is required")
        scope[name] = value
    url = _evaluate_rules(ruleset["rules"], scope)
    if url is None:
        raise ConfigurationError("No endpoint rule matched")
    return url


def check_endpoint_url(url: object, source: str = "") -> None:
    """Raise :class:`ConfigurationError` unless ``url`` is usable as a custom endpoint.

    An absolute ``http``/``https`` URL with a host (an IP address, or a DNS name as botocore
    accepts it), an optional port (1-65535) and path; no
    user info (requests are authenticated by SigV4, and a password in a URL ends up in logs
    and reprs), query, fragment, whitespace or control characters. Messages show the URL with
    any user info replaced by ``***``. ``source`` says where the value came from.
    """
    where = f" (from {source})" if source else ""
    if not isinstance(url, str):
        raise ConfigurationError(f"Invalid endpoint_url{where}: expected a str")
    shown = redact_url(url)
    problem = None
    if any(c <= " " or c == "\x7f" for c in url):
        problem = "it must not contain whitespace or control characters"
    else:
        try:
            parts = urlsplit(url)
            port = parts.port  # parsed lazily: a bad port raises here
        except ValueError:
            parts = None
        if parts is None:
            problem = "it is not a valid URL (a bad port or an unclosed IPv6 bracket)"
        elif parts.scheme not in ("http", "https") or not parts.hostname:
            problem = "it must be an absolute http(s) URL"
        elif "@" in parts.netloc:
            problem = "it must not contain user info (user:password@); requests are signed"
        elif ":" not in parts.hostname and not _valid_host_name(parts.hostname):
            problem = "its host must be an IP address or a DNS name (letters, digits, '-', '.')"
        elif port == 0:
            problem = "its port must be between 1 and 65535"
        elif parts.query or parts.fragment or url.endswith(("?", "#")):
            problem = "it must not have a query string or fragment"
    if problem is not None:
        # raised here, outside the except block: urlsplit's error may quote the URL
        raise ConfigurationError(f"Invalid endpoint_url {shown!r}{where}: {problem}")


def _valid_host_name(host: str) -> bool:
    # botocore's is_valid_endpoint_url rule: dot-separated labels of letters, digits and '-'
    host = host[:-1] if host.endswith(".") else host
    return len(host) <= 255 and all(
        re.fullmatch(_HOST_NAME_LABEL, label) for label in host.split(".")
    )


def redact_url(url: str) -> str:
    """``url`` with the user info of its authority (``user:password@``) replaced by ``***@``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    at = rest.rfind("@", 0, end)
    return url if at < 0 else f"{scheme}://***{rest[at:]}"


# ---------------------------------------------------------------------------------------------
# Data, loaded lazily once.


def _load_json(name: str) -> _Json:
    import json
    from pathlib import Path

    try:
        data = (Path(__file__).parent / "_data" / name).read_bytes()
    except OSError:
        # Installed as a zip (zipimport): importlib.resources reaches inside it. Not the first
        # choice because importing it costs milliseconds of cold start.
        from importlib import resources

        data = resources.files(__package__).joinpath("_data").joinpath(name).read_bytes()
    return json.loads(data)


@functools.cache
def _ruleset() -> _Json:
    return _load_json("endpoint-rule-set-1.json")


@functools.cache
def _partitions() -> tuple[tuple[str, Mapping[str, _Json], dict[str, _Json]], ...]:
    """(region pattern, known regions, outputs) per partition, in the file's order.

    Patterns stay strings: most regions are listed by name, so compiling them (re caches what
    it compiles) is left to the rare unlisted region.
    """
    result = []
    for partition in _load_json("partitions.json")["partitions"]:
        outputs = dict(partition["outputs"])
        outputs["name"] = partition["id"]
        result.append((partition["regionRegex"], partition["regions"], outputs))
    return tuple(result)


# ---------------------------------------------------------------------------------------------
# The rules language: rules are tried in order; a rule applies when all its conditions hold
# (a condition holds when its function returns neither None nor False). Endpoint and error rules
# end resolution; a tree rule whose conditions hold must end it inside its own rules.


def _evaluate_rules(rules: list[_Json], scope: dict[str, object]) -> str | None:
    for rule in rules:
        local = dict(scope)  # a rule's assignments are visible only to it and its children
        if not all(_condition_holds(cond, local) for cond in rule["conditions"]):
            continue
        kind = rule["type"]
        if kind == "endpoint":
            url = _value(rule["endpoint"]["url"], local)
            if not isinstance(url, str):
                raise ConfigurationError("Endpoint rule produced no URL")
            return url
        if kind == "error":
            raise ConfigurationError(str(_value(rule["error"], local)))
        if kind == "tree":
            url = _evaluate_rules(rule["rules"], local)
            if url is None:
                raise ConfigurationError("Endpoint rules exhausted without a match")
            return url
        raise ConfigurationError(f"Unknown endpoint rule type {kind!r}")
    return None


def _condition_holds(condition: Mapping[str, _Json], scope: dict[str, object]) -> bool:
    result = _call(condition, scope)
    if result is None or result is False:
        return False
    if "assign" in condition:
        scope[condition["assign"]] = result
    return True


def _value(expr: _Json, scope: Mapping[str, object]) -> object:
    if isinstance(expr, str):
        return _template(expr, scope)
    if isinstance(expr, dict):
        if "ref" in expr:
            return scope.get(expr["ref"])
        if "fn" in expr:
            return _call(expr, scope)
        return {k: _value(v, scope) for k, v in expr.items()}
    if isinstance(expr, list):
        return [_value(v, scope) for v in expr]
    return expr  # bool / number literal


def _template(text: str, scope: Mapping[str, object]) -> str:
    """Expand ``{Name}`` and ``{Name#attr.path}``; ``{{`` and ``}}`` are literal braces."""
    if "{" not in text and "}" not in text:
        return text
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "{" and text.startswith("{{", i):
            out.append("{")
            i += 2
        elif ch == "}" and text.startswith("}}", i):
            out.append("}")
            i += 2
        elif ch == "{":
            end = text.index("}", i)
            name, _, path = text[i + 1 : end].partition("#")
            value = scope.get(name)
            if path:
                value = _get_attr(value, path)
            out.append(str(value))
            i = end + 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _call(expr: Mapping[str, _Json], scope: Mapping[str, object]) -> object:
    fn = expr["fn"]
    try:
        impl = _FUNCTIONS[fn]
    except KeyError:
        raise ConfigurationError(f"Unsupported endpoint rules function {fn!r}") from None
    return impl(*[_value(arg, scope) for arg in expr["argv"]])


# ---------------------------------------------------------------------------------------------
# The standard library of the rules language (and the AWS extensions a non-S3 service uses).


def _get_attr(value: object, path: str) -> object:
    """``a.b[2]`` style access; a missing step yields None."""
    for part in path.split("."):
        name, bracket, index = part.partition("[")
        if name:
            value = value.get(name) if isinstance(value, Mapping) else None
        if bracket:
            i = int(index.rstrip("]"))
            value = value[i] if isinstance(value, list) and -len(value) <= i < len(value) else None
    return value


def _aws_partition(region: object) -> dict[str, _Json] | None:
    if not isinstance(region, str):
        return None
    partitions = _partitions()
    for _pattern, regions, outputs in partitions:
        if region in regions:
            # a region entry may override its partition's outputs
            overrides = {k: v for k, v in regions[region].items() if k in outputs}
            return {**outputs, **overrides} if overrides else dict(outputs)
    for pattern, _regions, outputs in partitions:
        if re.match(pattern, region):
            return dict(outputs)
    # the specification's fallback for unmatched regions is the first (aws) partition
    return dict(partitions[0][2])


def _is_valid_host_label(value: object, allow_subdomains: object = False) -> bool:
    if not isinstance(value, str):
        return False
    labels = value.split(".") if allow_subdomains else [value]
    return all(re.fullmatch(_HOST_LABEL, label) for label in labels)


def _parse_url(value: object) -> dict[str, object] | None:
    if not isinstance(value, str):
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        return None
    host = parts.hostname or ""
    is_ip = (host.count(".") == 3 and host.replace(".", "").isdigit()) or ":" in host
    path = parts.path
    return {
        "scheme": parts.scheme,
        "authority": parts.netloc,
        "path": path,
        "normalizedPath": path if path.endswith("/") else path + "/",
        "isIp": is_ip,
    }


def _substring(value: object, start: object, stop: object, reverse: object) -> str | None:
    if not (isinstance(value, str) and isinstance(start, int) and isinstance(stop, int)):
        return None
    if not value.isascii() or start >= stop or len(value) < stop:
        return None
    if reverse:
        return value[len(value) - stop : len(value) - start]
    return value[start:stop]


def _uri_encode(value: object) -> str | None:
    return quote(value, safe="") if isinstance(value, str) else None


def _aws_parse_arn(value: object) -> dict[str, object] | None:
    if not isinstance(value, str) or not value.startswith("arn:"):
        return None
    parts = value.split(":", 5)
    if len(parts) != 6 or not all(parts[1:3]) or not parts[5]:
        return None
    _, partition, service, region, account, resource = parts
    return {
        "partition": partition,
        "service": service,
        "region": region,
        "accountId": account,
        "resourceId": re.split(r"[:/]", resource),
    }


_FUNCTIONS: dict[str, Callable[..., object]] = {
    "isSet": lambda v: v is not None,
    "not": lambda v: not v,
    "booleanEquals": lambda a, b: a is b if isinstance(a, bool) and isinstance(b, bool) else None,
    "stringEquals": lambda a, b: a == b if isinstance(a, str) and isinstance(b, str) else None,
    "getAttr": _get_attr,
    "aws.partition": _aws_partition,
    "isValidHostLabel": _is_valid_host_label,
    "parseURL": _parse_url,
    "substring": _substring,
    "uriEncode": _uri_encode,
    "aws.parseArn": _aws_parse_arn,
}
