"""The wire protocol, AWS JSON 1.1: everything between a model and the bytes of a request.

- ``operation``: :class:`Operation`, one per API call, validates and encodes an input model
  and decodes a response body into an output model;
- ``converters``: the cattrs converter the codec uses (imported on first use: cattrs is not
  paid for at import);
- ``wire``: names shared by the codec, the converter and the generated models
  (:class:`ResponseMetadata`, :class:`EmptyResponse`, the wire-name key);
- ``http``: the library's own request, response and per-call context types, the only types
  the middleware stack and the transport speak;
- ``jsondoc``: the one JSON decoder for what arrives (response bodies, secret values), whose
  single error type holds a position, never the document.

Imports go one way: ``operation`` and ``converters`` build on ``wire``; nothing here imports
the client, the stages or the generated code.
"""

from .http import CallContext, HttpRequest, HttpResponse
from .operation import I, O, Operation, converter
from .wire import METADATA_KEY, NO_METADATA, WIRE, EmptyResponse, Request, ResponseMetadata

__all__ = [
    "METADATA_KEY",
    "NO_METADATA",
    "WIRE",
    "CallContext",
    "EmptyResponse",
    "HttpRequest",
    "HttpResponse",
    "I",
    "O",
    "Operation",
    "Request",
    "ResponseMetadata",
    "converter",
]
