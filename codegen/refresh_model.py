"""Copy the Secrets Manager model files from the installed botocore, documentation stripped.

The generator reads only these copies, so the test environment's botocore (any version, or
aiobotocore's older pin) never changes what we generate. Run through ``nox -s refresh_model``.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import botocore

HERE = Path(__file__).parent
SOURCE = Path(botocore.__file__).parent / "data"
TARGETS = [Path(HERE / "model"), HERE.parent / "secretsmanager_async" / "_data"]


def _strip(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: _strip(v) for k, v in node.items() if k not in ("documentation", "documentationUrl")
        }
    if isinstance(node, list):
        return [_strip(v) for v in node]
    return node


def _load(path: Path) -> Any:
    if path.exists():
        return json.loads(path.read_text())
    return json.loads(gzip.decompress(path.with_suffix(path.suffix + ".gz").read_bytes()))


def main() -> None:
    service = SOURCE / "secretsmanager" / "2017-10-17"
    out = HERE / "model"
    for name in ("service-2.json", "endpoint-rule-set-1.json"):
        data = _strip(_load(service / name))
        (out / name).write_text(json.dumps(data, indent=1, sort_keys=True))
    shutil.copy(service / "paginators-1.json", out / "paginators-1.json")
    shutil.copy(SOURCE / "partitions.json", out / "partitions.json")
    runtime = HERE.parent / "secretsmanager_async" / "_data"
    if runtime.exists():
        for name in ("endpoint-rule-set-1.json", "partitions.json"):
            shutil.copy(out / name, runtime / name)
    print(f"model refreshed from botocore {botocore.__version__}")


if __name__ == "__main__":
    main()
