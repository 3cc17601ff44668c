"""Transports: the bottom of the stack, the only layer that does network I/O."""
