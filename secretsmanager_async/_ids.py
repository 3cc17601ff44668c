"""Fast random UUID4 strings for invocation ids and idempotency tokens.

``uuid.uuid4()`` reads ``os.urandom`` on every call: a system call that, profiled on a
sandboxed host, cost hundreds of microseconds per request. These ids need uniqueness, not
secrecy, so they come from a generator seeded once from ``os.urandom`` (and re-seeded in a
forked child, which would otherwise repeat its parent's sequence).
"""

from __future__ import annotations

import os
import random

_generator = random.Random(os.urandom(32))
_bits = _generator.getrandbits

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _generator.seed(os.urandom(32)))

# RFC 4122 version 4: version nibble 4, variant bits 10
_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_SET = (0x4000 << 64) | (0x8000 << 48)


def uuid4() -> str:
    """A random (version 4) UUID in its canonical 36-character form."""
    h = "%032x" % ((_bits(128) & _CLEAR) | _SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
