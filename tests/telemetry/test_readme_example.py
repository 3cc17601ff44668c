"""The README's Observability example runs as written, against the in-memory fake."""

from __future__ import annotations

import functools
import io
import re
from pathlib import Path
from typing import Any

from secretsmanager_async import SecretCache
from secretsmanager_async.testing import FakeSecretsManager

README = Path(__file__).resolve().parents[2] / "README.md"


def example() -> str:
    section = README.read_text().split("\n## Observability\n", 1)[1].split("\n## ", 1)[0]
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", section, re.S) if "instrument(" in b]
    return block


async def test_observability_example() -> None:
    """set_up_telemetry() instruments a client and a cache; spans and metrics are exported."""
    namespace: dict[str, Any] = {}
    exec(compile(example(), str(README), "exec"), namespace)
    # the console exporters bind sys.stdout when imported: point them at a buffer instead
    out_buffer = io.StringIO()
    for name in ("ConsoleSpanExporter", "ConsoleMetricExporter"):
        namespace[name] = functools.partial(namespace[name], out=out_buffer)
    fake = FakeSecretsManager()
    fake.put("app/db", "pw")
    async with fake.client() as client:
        cache = SecretCache(client)
        tracer_provider, meter_provider = namespace["set_up_telemetry"](client, cache)
        assert await cache.get_secret_string("app/db") == "pw"
        await cache.close()
    tracer_provider.shutdown()
    meter_provider.shutdown()
    out = out_buffer.getvalue()
    assert '"name": "Secrets Manager.GetSecretValue"' in out
    assert "smithy.client.call.duration" in out
    assert "secretsmanager_async.cache.hits" in out
    assert '"pw"' not in out  # the value is in no span or metric
