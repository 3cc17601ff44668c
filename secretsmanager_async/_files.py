"""Reading the small local files the library depends on (shared config, token files).

Only regular files are read. A FIFO, socket or device could block a reader forever (a pipe
with no writer) or never end (``/dev/zero``), so it is refused with a clear error instead;
``/dev/null`` reads as empty, since ``AWS_CONFIG_FILE=/dev/null`` is a common way to say
"no file". The file is opened without blocking and checked on the open descriptor, so
nothing can swap it between the check and the read.
"""

from __future__ import annotations

import errno
import os
import stat

# O_NONBLOCK makes open() of a FIFO return at once instead of waiting for a writer.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class NotRegularFileError(OSError):
    """The path names a FIFO, socket or device, not a regular file."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _is_devnull(st: os.stat_result) -> bool:
    try:
        null = os.stat(os.devnull)
    except OSError:  # pragma: no cover - every supported OS has one
        return False
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == null.st_rdev


def read_regular_file(path: str) -> str:
    """The UTF-8 text of ``path``; raises OSError (NotRegularFileError for a pipe or device)."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            if _is_devnull(st):
                return ""
            kind = _kind(st.st_mode)
            raise NotRegularFileError(errno.EINVAL, f"{kind}; only regular files are read", path)
        with os.fdopen(fd, encoding="utf-8", closefd=False) as f:
            return f.read()
    finally:
        os.close(fd)
