"""An asyncio-native client for AWS Secrets Manager."""

from ._version import __version__

__all__ = ["__version__"]
