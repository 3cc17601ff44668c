"""An asyncio-native client for AWS Secrets Manager.

Everything public is importable from here; the modules behind it are private. The models and
the cache, bulk, paginator and aiobotocore names are imported on first access (PEP 562), so
``import secretsmanager_async`` costs only what a client call needs.

The layout, and the path of a call from a method to the socket and back: ``ARCHITECTURE.md``.
"""

from typing import TYPE_CHECKING

from ._client import ClientView, SecretsManagerClient
from ._config import ClientConfig
from ._credentials.base import Credentials, CredentialsProvider
from ._endpoints import resolve_endpoint
from ._generated import models as _models
from ._middleware.base import Handler, Middleware, MiddlewareStack
from ._protocol import CallContext, EmptyResponse, HttpRequest, HttpResponse, ResponseMetadata
from ._protocol.http import fresh_reads
from ._version import __version__
from .exceptions import (
    AttemptTimeoutError,
    CallTimeoutError,
    ClientClosedError,
    ClientLoopError,
    ConfigurationError,
    ConnectError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    DecryptionFailure,
    EncryptionFailure,
    InternalServiceError,
    InvalidNextTokenException,
    InvalidParameterException,
    InvalidRequestException,
    LimitExceededException,
    MalformedPolicyDocumentException,
    NoCredentialsError,
    ParamValidationError,
    PreconditionNotMetException,
    PublicPolicyException,
    ReadTimeoutError,
    ResourceExistsException,
    ResourceNotFoundException,
    ResponseParseError,
    ResponseTooLargeError,
    SecretsManagerError,
    ServiceError,
    TLSError,
    TransportError,
    TransportTimeoutError,
)

if TYPE_CHECKING:
    from ._bulk import BulkResult
    from ._cache import CacheStats, SecretCache
    from ._credentials.aiobotocore import AioBotocoreCredentialsProvider
    from ._generated.models import (
        APIErrorType,
        AssociateCrossAccountReplicaRequest,
        AssociateCrossAccountReplicaResponse,
        BatchGetSecretValueRequest,
        BatchGetSecretValueResponse,
        CancelRotateSecretRequest,
        CancelRotateSecretResponse,
        CreateSecretRequest,
        CreateSecretResponse,
        CrossAccountPrimaryType,
        CrossAccountReplicaEntry,
        DeleteResourcePolicyRequest,
        DeleteResourcePolicyResponse,
        DeleteSecretRequest,
        DeleteSecretResponse,
        DescribeSecretRequest,
        DescribeSecretResponse,
        DisassociateCrossAccountReplicaRequest,
        DisassociateCrossAccountReplicaResponse,
        ExternalSecretRotationMetadataItem,
        Filter,
        GetRandomPasswordRequest,
        GetRandomPasswordResponse,
        GetResourcePolicyRequest,
        GetResourcePolicyResponse,
        GetSecretValueRequest,
        GetSecretValueResponse,
        ListResourcePoliciesRequest,
        ListResourcePoliciesResponse,
        ListSecretsRequest,
        ListSecretsResponse,
        ListSecretVersionIdsRequest,
        ListSecretVersionIdsResponse,
        PutResourcePolicyRequest,
        PutResourcePolicyResponse,
        PutSecretValueRequest,
        PutSecretValueResponse,
        RemoveRegionsFromReplicationRequest,
        RemoveRegionsFromReplicationResponse,
        ReplicaRegionType,
        ReplicateSecretToRegionsRequest,
        ReplicateSecretToRegionsResponse,
        ReplicationStatusType,
        ResourcePolicySummary,
        RestoreSecretRequest,
        RestoreSecretResponse,
        RotateSecretRequest,
        RotateSecretResponse,
        RotationRulesType,
        SecretListEntry,
        SecretValueEntry,
        SecretVersionsListEntry,
        StopReplicationToReplicaRequest,
        StopReplicationToReplicaResponse,
        Tag,
        TagResourceRequest,
        UntagResourceRequest,
        UpdateSecretRequest,
        UpdateSecretResponse,
        UpdateSecretVersionStageRequest,
        UpdateSecretVersionStageResponse,
        ValidateResourcePolicyRequest,
        ValidateResourcePolicyResponse,
        ValidationErrorsEntry,
    )
    from ._paginators import Paginator
    from ._transport.agent import AgentTransport
    from ._typed import Secret

__all__ = [
    "APIErrorType",
    "AgentTransport",
    "AioBotocoreCredentialsProvider",
    "AssociateCrossAccountReplicaRequest",
    "AssociateCrossAccountReplicaResponse",
    "AttemptTimeoutError",
    "BatchGetSecretValueRequest",
    "BatchGetSecretValueResponse",
    "BulkResult",
    "CacheStats",
    "CallContext",
    "CallTimeoutError",
    "CancelRotateSecretRequest",
    "CancelRotateSecretResponse",
    "ClientClosedError",
    "ClientConfig",
    "ClientLoopError",
    "ClientView",
    "ConfigurationError",
    "ConnectError",
    "ConnectTimeoutError",
    "ConnectionClosedError",
    "CreateSecretRequest",
    "CreateSecretResponse",
    "CredentialRetrievalError",
    "Credentials",
    "CredentialsProvider",
    "CrossAccountPrimaryType",
    "CrossAccountReplicaEntry",
    "DecryptionFailure",
    "DeleteResourcePolicyRequest",
    "DeleteResourcePolicyResponse",
    "DeleteSecretRequest",
    "DeleteSecretResponse",
    "DescribeSecretRequest",
    "DescribeSecretResponse",
    "DisassociateCrossAccountReplicaRequest",
    "DisassociateCrossAccountReplicaResponse",
    "EmptyResponse",
    "EncryptionFailure",
    "ExternalSecretRotationMetadataItem",
    "Filter",
    "GetRandomPasswordRequest",
    "GetRandomPasswordResponse",
    "GetResourcePolicyRequest",
    "GetResourcePolicyResponse",
    "GetSecretValueRequest",
    "GetSecretValueResponse",
    "Handler",
    "HttpRequest",
    "HttpResponse",
    "InternalServiceError",
    "InvalidNextTokenException",
    "InvalidParameterException",
    "InvalidRequestException",
    "LimitExceededException",
    "ListResourcePoliciesRequest",
    "ListResourcePoliciesResponse",
    "ListSecretVersionIdsRequest",
    "ListSecretVersionIdsResponse",
    "ListSecretsRequest",
    "ListSecretsResponse",
    "MalformedPolicyDocumentException",
    "Middleware",
    "MiddlewareStack",
    "NoCredentialsError",
    "Paginator",
    "ParamValidationError",
    "PreconditionNotMetException",
    "PublicPolicyException",
    "PutResourcePolicyRequest",
    "PutResourcePolicyResponse",
    "PutSecretValueRequest",
    "PutSecretValueResponse",
    "ReadTimeoutError",
    "RemoveRegionsFromReplicationRequest",
    "RemoveRegionsFromReplicationResponse",
    "ReplicaRegionType",
    "ReplicateSecretToRegionsRequest",
    "ReplicateSecretToRegionsResponse",
    "ReplicationStatusType",
    "ResourceExistsException",
    "ResourceNotFoundException",
    "ResourcePolicySummary",
    "ResponseMetadata",
    "ResponseParseError",
    "ResponseTooLargeError",
    "RestoreSecretRequest",
    "RestoreSecretResponse",
    "RotateSecretRequest",
    "RotateSecretResponse",
    "RotationRulesType",
    "Secret",
    "SecretCache",
    "SecretListEntry",
    "SecretValueEntry",
    "SecretVersionsListEntry",
    "SecretsManagerClient",
    "SecretsManagerError",
    "ServiceError",
    "StopReplicationToReplicaRequest",
    "StopReplicationToReplicaResponse",
    "TLSError",
    "Tag",
    "TagResourceRequest",
    "TransportError",
    "TransportTimeoutError",
    "UntagResourceRequest",
    "UpdateSecretRequest",
    "UpdateSecretResponse",
    "UpdateSecretVersionStageRequest",
    "UpdateSecretVersionStageResponse",
    "ValidateResourcePolicyRequest",
    "ValidateResourcePolicyResponse",
    "ValidationErrorsEntry",
    "__version__",
    "fresh_reads",
    "resolve_endpoint",
]

#: the lazily imported names that are not models, by the module defining them
_ELSEWHERE = {
    "AgentTransport": "._transport.agent",
    "AioBotocoreCredentialsProvider": "._credentials.aiobotocore",
    "BulkResult": "._bulk",
    "CacheStats": "._cache",
    "Paginator": "._paginators",
    "Secret": "._typed",
    "SecretCache": "._cache",
}


def __getattr__(name: str) -> object:
    # Called only for names not (yet) in this module's globals; the value is stored there, so
    # the next access is a plain lookup.
    if name in _models.__all__:
        value = getattr(_models, name)
    elif name in _ELSEWHERE:
        import importlib

        value = getattr(importlib.import_module(_ELSEWHERE[name], __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
