"""Endpoint resolution against the official Secrets Manager endpoint-rule test cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secretsmanager_async import _endpoints
from secretsmanager_async._endpoints import resolve_endpoint
from secretsmanager_async.exceptions import ConfigurationError

REPO = Path(__file__).parents[2]
CASES_FILE = REPO / "tests" / "data" / "endpoints" / "secretsmanager-endpoint-tests.json"
PACKAGE_DATA = REPO / "secretsmanager_async" / "_data"
MODEL = REPO / "codegen" / "model"


def _case_id(index: int, case: dict[str, Any]) -> str:
    params = case.get("params", {})
    parts = [params.get("Region", "no-region")]
    if params.get("UseFIPS"):
        parts.append("fips")
    if params.get("UseDualStack"):
        parts.append("dualstack")
    if "Endpoint" in params:
        parts.append("custom")
    return f"{index:02d}-" + "-".join(parts)


def _cases() -> list[Any]:
    cases = json.loads(CASES_FILE.read_text(encoding="utf-8"))["testCases"]
    return [pytest.param(c, id=_case_id(i, c)) for i, c in enumerate(cases)]


@pytest.mark.parametrize("case", _cases())
def test_official_case(case: dict[str, Any]) -> None:
    """Each official case resolves to its URL or fails with its error text."""
    params = case.get("params", {})
    kwargs = {
        "use_fips": params.get("UseFIPS", False),
        "use_dualstack": params.get("UseDualStack", False),
        "endpoint_url": params.get("Endpoint"),
    }
    expect = case["expect"]
    if "error" in expect:
        with pytest.raises(ConfigurationError) as info:
            resolve_endpoint(params.get("Region"), **kwargs)
        assert str(info.value) == expect["error"]
    else:
        assert resolve_endpoint(params.get("Region"), **kwargs) == expect["endpoint"]["url"]


def test_official_case_count() -> None:
    """The file in tests/data holds all 49 cases (guards a truncated copy)."""
    assert len(json.loads(CASES_FILE.read_text(encoding="utf-8"))["testCases"]) == 49


@pytest.mark.parametrize(
    ("region", "fips", "dualstack", "url"),
    [
        # regions this model does not list yet, matched by their partition's pattern
        ("us-north-9", False, False, "https://secretsmanager.us-north-9.amazonaws.com"),
        ("ap-moon-1", True, True, "https://secretsmanager-fips.ap-moon-1.amazonaws.com"),
        ("cn-south-7", False, False, "https://secretsmanager.cn-south-7.amazonaws.com.cn"),
        (
            "cn-south-7",
            True,
            True,
            "https://secretsmanager-fips.cn-south-7.api.amazonwebservices.com.cn",
        ),
        ("us-gov-north-3", True, False, "https://secretsmanager-fips.us-gov-north-3.amazonaws.com"),
        ("us-iso-north-2", False, False, "https://secretsmanager.us-iso-north-2.c2s.ic.gov"),
        ("us-isob-west-5", False, True, "https://secretsmanager.us-isob-west-5.api.aws.scloud"),
        ("us-isof-west-1", False, False, "https://secretsmanager.us-isof-west-1.csp.hci.ic.gov"),
        (
            "eu-isoe-north-1",
            True,
            False,
            "https://secretsmanager-fips.eu-isoe-north-1.cloud.adc-e.uk",
        ),
        ("eusc-de-west-1", False, False, "https://secretsmanager.eusc-de-west-1.amazonaws.eu"),
        (
            "eusc-de-west-1",
            False,
            True,
            "https://secretsmanager.eusc-de-west-1.api.amazonwebservices.eu",
        ),
        # well-formed but matching no pattern: the rules fall back to the aws partition
        ("mars-base", False, False, "https://secretsmanager.mars-base.amazonaws.com"),
    ],
)
def test_unknown_wellformed_region(region: str, fips: bool, dualstack: bool, url: str) -> None:
    """A region missing from the partition table resolves through its partition's pattern."""
    assert resolve_endpoint(region, use_fips=fips, use_dualstack=dualstack) == url


@pytest.mark.parametrize(
    "region",
    [
        "us-east-1/evil",
        "us east 1",
        "-us-east-1",
        "us-east-1-",
        "123",
        "a" * 64,
        "é-1",
        "us-east-1\n",
    ],
)
def test_invalid_region(region: str) -> None:
    """A region that is not a DNS label is refused before it reaches a host name."""
    with pytest.raises(ConfigurationError, match="Invalid region name"):
        resolve_endpoint(region)


def test_empty_region_is_missing() -> None:
    """An empty region (say, AWS_REGION= in the environment) counts as no region."""
    with pytest.raises(ConfigurationError, match=r"^Invalid Configuration: Missing Region$"):
        resolve_endpoint("")


@pytest.mark.parametrize("url", ["localhost:4566", "ftp://example.com", "http://", "/path"])
def test_invalid_endpoint_url(url: str) -> None:
    """A custom endpoint must be an absolute http(s) URL."""
    with pytest.raises(ConfigurationError, match="Invalid endpoint_url"):
        resolve_endpoint("us-east-1", endpoint_url=url)


def test_local_endpoint_url_passes_through() -> None:
    """A local test server URL is used as given, with or without a region."""
    assert resolve_endpoint("eu-west-1", endpoint_url="http://127.0.0.1:4566") == (
        "http://127.0.0.1:4566"
    )
    assert resolve_endpoint(None, endpoint_url="http://[::1]:5000/x") == "http://[::1]:5000/x"


def test_package_data_matches_model() -> None:
    """The shipped rule set and partitions are byte-identical copies of codegen/model."""
    if not MODEL.is_dir():
        pytest.skip(f"{MODEL} is absent (not a source checkout)")
    for name in ("endpoint-rule-set-1.json", "partitions.json"):
        assert (PACKAGE_DATA / name).read_bytes() == (MODEL / name).read_bytes(), name


def _functions_used(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["fn"]} if isinstance(node.get("fn"), str) else set()
        for value in node.values():
            found |= _functions_used(value)
        return found
    if isinstance(node, list):
        return set().union(*map(_functions_used, node)) if node else set()
    return set()


def test_interpreter_knows_every_function_of_the_rule_set() -> None:
    """Every function the shipped rule set calls is implemented (a model refresh guard)."""
    used = _functions_used(_endpoints._ruleset()["rules"])
    assert "aws.partition" in used
    assert used <= set(_endpoints._FUNCTIONS)


def test_every_partition_resolves() -> None:
    """Every region listed in partitions.json resolves in its own partition's DNS suffix."""
    table = json.loads((PACKAGE_DATA / "partitions.json").read_text(encoding="utf-8"))
    for partition in table["partitions"]:
        suffix = partition["outputs"]["dnsSuffix"]
        for region in partition["regions"]:
            if region.endswith("-global"):
                continue  # pseudo-regions for global services, not for Secrets Manager
            assert resolve_endpoint(region) == f"https://secretsmanager.{region}.{suffix}"


def test_rules_language_features() -> None:
    """Templates with attribute paths and escaped braces, getAttr indexes, and tree exhaustion."""
    scope = {"P": {"a": [{"b": "x"}], "s": "suf"}, "R": "r1"}
    assert _endpoints._template("https://{R}.{P#s}/{{lit}}", scope) == "https://r1.suf/{lit}"
    assert _endpoints._get_attr(scope["P"], "a[0].b") == "x"
    assert _endpoints._get_attr(scope["P"], "a[5].b") is None
    rules = [
        {
            "type": "tree",
            "conditions": [{"fn": "isSet", "argv": [{"ref": "R"}]}],
            "rules": [
                {
                    "type": "endpoint",
                    "conditions": [{"fn": "stringEquals", "argv": [{"ref": "R"}, "other"]}],
                    "endpoint": {"url": "https://nope"},
                }
            ],
        }
    ]
    with pytest.raises(ConfigurationError, match="exhausted"):
        _endpoints._evaluate_rules(rules, dict(scope))
    unknown = [{"type": "endpoint", "conditions": [{"fn": "newFn", "argv": []}], "endpoint": {}}]
    with pytest.raises(ConfigurationError, match="Unsupported endpoint rules function 'newFn'"):
        _endpoints._evaluate_rules(unknown, {})


def test_assignments_do_not_leak_between_rules() -> None:
    """A value assigned in one rule's conditions is not visible to a sibling rule."""
    rules = [
        {
            "type": "endpoint",
            "conditions": [
                {"fn": "aws.partition", "argv": ["us-east-1"], "assign": "PR"},
                {"fn": "booleanEquals", "argv": [True, False]},
            ],
            "endpoint": {"url": "https://first"},
        },
        {"type": "endpoint", "conditions": [], "endpoint": {"url": "https://{PR#name}"}},
    ]
    assert _endpoints._evaluate_rules(rules, {}) == "https://None"


def test_helper_functions() -> None:
    """parseURL, isValidHostLabel, substring, uriEncode and aws.parseArn behave per the spec."""
    f = _endpoints._FUNCTIONS
    assert f["parseURL"]("https://127.0.0.1:80/p") == {
        "scheme": "https",
        "authority": "127.0.0.1:80",
        "path": "/p",
        "normalizedPath": "/p/",
        "isIp": True,
    }
    assert f["parseURL"]("https://example.com?q=1") is None
    assert f["isValidHostLabel"]("abc-1", False) is True
    assert f["isValidHostLabel"]("a.b", False) is False
    assert f["isValidHostLabel"]("a.b", True) is True
    assert f["isValidHostLabel"]("abc\n", False) is False
    assert f["substring"]("abcdef", 0, 2, False) == "ab"
    assert f["substring"]("abcdef", 0, 2, True) == "ef"
    assert f["substring"]("ab", 0, 4, False) is None
    assert f["uriEncode"]("a b/c") == "a%20b%2Fc"
    arn = f["aws.parseArn"]("arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf")
    assert arn == {
        "partition": "aws",
        "service": "secretsmanager",
        "region": "us-east-1",
        "accountId": "123456789012",
        "resourceId": ["secret", "db-AbCdEf"],
    }
    assert f["aws.parseArn"]("not-an-arn") is None


def test_resolution_is_cached() -> None:
    """A repeated resolution is answered from the cache without evaluating the rules again."""
    first = resolve_endpoint("ap-southeast-4", use_fips=True)
    hits = _endpoints._resolve_cached.cache_info().hits
    assert resolve_endpoint("ap-southeast-4", use_fips=True) == first
    assert _endpoints._resolve_cached.cache_info().hits == hits + 1
