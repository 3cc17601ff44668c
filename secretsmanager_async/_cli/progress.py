"""A one-line progress bar for ``get-many`` on a terminal."""

from __future__ import annotations

import time
from typing import IO


class Progress:
    """A one-line progress bar, redrawn in place; for terminals only."""

    def __init__(self, total: int, stream: IO[str], label: str, width: int = 30) -> None:
        self.total = total
        self.done = 0
        self._stream = stream
        self._label = label
        self._width = width
        self._started = time.perf_counter()
        self._draw()

    def update(self, n: int) -> None:
        self.done = min(self.total, self.done + n)
        self._draw()

    def _draw(self) -> None:
        filled = self._width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(f"\r{self._label} [{bar}] {self.done}/{self.total}")
        self._stream.flush()

    def close(self) -> None:
        elapsed = time.perf_counter() - self._started
        self._stream.write(f"\r\x1b[K{self._label}: {self.done}/{self.total} in {elapsed:.2f} s\n")
        self._stream.flush()
