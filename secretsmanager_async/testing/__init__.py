"""Testing code that uses ``secretsmanager_async``: fakes, stubs, moto and pytest fixtures.

- :class:`FakeSecretsManager`: a stateful in-memory Secrets Manager behind the transport seam;
  ``fake.client()`` gives a client wired to it.
- :class:`Stubber`: botocore's Stubber, for this client.
- :class:`MotoTransport`: this client inside moto's ``mock_aws``, sharing state with boto3.
- :class:`FakeTransport`: canned HTTP responses, for wire-level tests.
- The pytest plugin (``secretsmanager_async.testing.pytest_plugin``, registered as a ``pytest11``
  entry point) provides the fixtures ``sm_fake`` and ``sm_client``.

Importing this module imports neither moto nor aioresponses. If aioresponses is (or later gets)
imported and needs it under aiohttp >= 3.14, a small compatibility fix is applied to it
(aioresponses#289; see ``_aioresponses_compat``).

The core package never imports this module.

.. versionadded:: 0.2
"""

from . import _aioresponses_compat
from ._fake import FakeCall, FakeSecretsManager, Fault, RotationHandler
from ._moto import MotoTransport
from ._stub import ANY, StubAssertionError, Stubber, StubResponseError, UnStubbedResponseError
from ._transport import FakeTransport, error_response, json_response

__all__ = [
    "ANY",
    "FakeCall",
    "FakeSecretsManager",
    "FakeTransport",
    "Fault",
    "MotoTransport",
    "RotationHandler",
    "StubAssertionError",
    "StubResponseError",
    "Stubber",
    "UnStubbedResponseError",
    "error_response",
    "json_response",
]

_aioresponses_compat.apply()
