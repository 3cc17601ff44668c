"""The README's testing section runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _blocks() -> list[str]:
    section = README.read_text().split("## Testing code that uses secretsmanager_async", 1)[1]
    section = section.split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_the_section_has_the_five_examples() -> None:
    """Fake, fixtures, Stubber, mock_aws and aioresponses each have an example."""
    assert len(_blocks()) == 5


@pytest.mark.parametrize("index", [0, 2, 3, 4])
def test_script_examples_run(index: int, tmp_path: Path) -> None:
    """Each script example runs in a fresh interpreter."""
    script = tmp_path / "example.py"
    script.write_text(_blocks()[index])
    subprocess.run([sys.executable, str(script)], check=True, timeout=120, cwd=tmp_path)


def test_fixture_example_runs(pytester: pytest.Pytester) -> None:
    """The fixture example passes under pytest-asyncio's auto mode."""
    pytester.makepyfile(test_example=_blocks()[1])
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-o", "asyncio_mode=auto")
    result.assert_outcomes(passed=1)
