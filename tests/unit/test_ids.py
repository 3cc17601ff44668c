"""The fast UUID4 generator gives valid, distinct version-4 UUIDs."""

from __future__ import annotations

import uuid

from secretsmanager_async._ids import uuid4


def test_valid_version_4_and_distinct() -> None:
    """Each id parses as a version-4, RFC 4122 UUID; ten thousand are all different."""
    ids = [uuid4() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    for text in ids[:500]:
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
