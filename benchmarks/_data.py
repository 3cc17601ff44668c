"""The benchmark's secrets: names and values shared by the server and the runners."""

from __future__ import annotations

import hashlib
import json

REGION = "us-east-1"
ACCOUNT = "123456789012"
#: dummy credentials every client is given; the server never checks signatures
ACCESS_KEY = "AKID"
SECRET_KEY = "SECRET"


def secret_name(i: int) -> str:
    """The name of secret number ``i``."""
    return f"bench/secret-{i:04d}"


def secret_arn(i: int) -> str:
    """The ARN of secret number ``i`` (with the six-character suffix AWS appends)."""
    suffix = hashlib.sha256(b"arn%d" % i).hexdigest()[:6]
    return f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{secret_name(i)}-{suffix}"


def secret_value(i: int) -> str:
    """A deterministic JSON SecretString of about 100 bytes."""
    password = hashlib.sha256(b"pw%d" % i).hexdigest()[:32]
    value: dict[str, object] = {"username": f"svc{i:04d}", "password": password}
    value |= {"host": f"db{i:04d}.internal", "port": 5432}
    return json.dumps(value, separators=(",", ":"))
