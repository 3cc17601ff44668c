"""``FakeSecretsManager``: a stateful, in-memory Secrets Manager behind the transport seam.

It answers the client's real HTTP requests (AWS JSON 1.1 bodies, ``X-Amz-Target``) with real
HTTP responses, so the client's serialization, signing, error parsing and retries all run as in
production; only the network is gone. State is kept per region (read from each request's
signature scope), in wire form (JSON values), which is what the service stores and returns.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import secrets as _secrets
import string
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .._protocol import HttpRequest, HttpResponse
from ..exceptions import ConnectionClosedError, TransportError

if TYPE_CHECKING:
    from .._client import SecretsManagerClient

__all__ = ["FakeCall", "FakeSecretsManager", "Fault", "RotationHandler"]

Wire = dict[str, Any]
#: a rotation function: receives the Lambda event (``Step``, ``SecretId``,
#: ``ClientRequestToken``) for each step, like a rotation Lambda does
RotationHandler = Callable[[Wire], "Awaitable[None] | None"]

_CURRENT, _PREVIOUS, _PENDING = "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"
_DEFAULT_KMS = "alias/aws/secretsmanager"
#: what ListSecretVersionIds names the AWS managed key by
_DEFAULT_KEY_ID = "DefaultEncryptionKey"
_DAY = 86400.0
_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
#: deprecated (unlabelled) versions the service keeps before dropping the oldest
_MAX_DEPRECATED_VERSIONS = 100
#: request fields holding secret material: kept out of :class:`FakeCall` reprs
_SECRET_FIELDS = frozenset({"SecretString", "SecretBinary", "RotationToken"})


class _Error(Exception):
    """A service error answered as an HTTP error response."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def _not_found() -> _Error:
    return _Error("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")


def _marked_deleted() -> _Error:
    return _Error(
        "InvalidRequestException",
        "You can't perform this operation on the secret because it was marked for deletion.",
    )


def _replica_only() -> _Error:
    return _Error(
        "InvalidParameterException",
        "Operation not permitted on a replica secret. "
        "Call must be made in primary secret's region.",
    )


def _redacted_params(params: Mapping[str, Any]) -> str:
    return repr({k: "<redacted>" if k in _SECRET_FIELDS else v for k, v in params.items()})


@attrs.frozen
class FakeCall:
    """One request the fake received: the operation, its region and its wire parameters."""

    operation: str
    region: str
    params: Mapping[str, Any] = attrs.field(repr=_redacted_params)


@attrs.define(eq=False)
class Fault:
    """An injected fault; :meth:`FakeSecretsManager.fail` and friends create these.

    It matches calls of ``operation`` (any if None) naming ``secret_id`` (any if None), and
    fires ``times`` times (forever if None). ``hits`` counts the calls it answered.
    """

    operation: str | None
    secret_id: str | None
    times: int | None
    code: str | None = None
    message: str = ""
    status: int = 400
    delay: float = 0.0
    error: TransportError | None = None
    headers: Mapping[str, str] = attrs.Factory(dict)
    hits: int = 0

    def _matches(self, operation: str, params: Mapping[str, Any]) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.operation is not None and self.operation != operation:
            return False
        if self.secret_id is None:
            return True
        wanted = self.secret_id
        named = params.get("SecretId")
        ids = params.get("SecretIdList") or ()
        return _same_secret(named, wanted) or any(_same_secret(i, wanted) for i in ids)


def _same_secret(given: object, wanted: str) -> bool:
    if not isinstance(given, str):
        return False
    if given == wanted:
        return True
    # a name matches its full or partial ARN and the reverse
    short_given, short_wanted = _arn_name(given), _arn_name(wanted)
    return short_given == short_wanted or short_given.rsplit("-", 1)[0] == short_wanted


def _arn_name(value: str) -> str:
    return value.split(":secret:", 1)[1] if ":secret:" in value else value


class _Version:
    __slots__ = ("binary", "created", "id", "last_accessed", "stages", "string")

    def __init__(
        self, version_id: str, string: str | None, binary: str | None, created: float
    ) -> None:
        self.id = version_id
        self.string = string
        self.binary = binary  # base64 text, as on the wire
        self.stages: list[str] = []
        self.created = created
        self.last_accessed: float | None = None

    def same_value(self, string: str | None, binary: str | None) -> bool:
        return self.string == string and self.binary == binary


class _Secret:
    """One secret in one region. A replica shares its primary's versions and metadata."""

    def __init__(self, name: str, arn: str, region: str, now: float) -> None:
        self.name = name
        self.arn = arn
        self.region = region
        self.description: str | None = None
        self.kms_key_id: str | None = None
        self.tags: list[Wire] = []
        self.versions: dict[str, _Version] = {}
        self.created = now
        self.last_changed = now
        self.last_accessed: float | None = None
        self.deleted: float | None = None
        self.policy: str | None = None
        self.rotation_enabled: bool | None = None
        self.rotation_lambda: str | None = None
        self.rotation_rules: Wire | None = None
        self.last_rotated: float | None = None
        self.next_rotation: float | None = None
        self.owning_service: str | None = None
        self.type: str | None = None
        self.primary_region: str | None = None  # set on replicas
        self.replicas: list[Wire] = []  # ReplicationStatus entries, on primaries
        self.cross_account: list[Wire] = []

    def stage_owner(self, stage: str) -> _Version | None:
        for version in self.versions.values():
            if stage in version.stages:
                return version
        return None

    def version_map(self) -> dict[str, list[str]]:
        return {v.id: list(v.stages) for v in self.versions.values() if v.stages}


class _Clock:
    __slots__ = ("offset", "source")

    def __init__(self, source: Callable[[], float]) -> None:
        self.source = source
        self.offset = 0.0

    def __call__(self) -> float:
        return self.source() + self.offset


class FakeSecretsManager:
    """An in-memory Secrets Manager for unit tests: a :class:`Transport` with the service's
    semantics for all 26 operations.

    ``fake.client()`` returns a :class:`SecretsManagerClient` wired to it. Seed and inspect state
    directly with :meth:`put`, :meth:`value`, :meth:`stages` and :meth:`describe`; inject
    faults with :meth:`fail`, :meth:`throttle`, :meth:`server_error`, :meth:`delay` and
    :meth:`disconnect`; move time with :meth:`advance`. Every request received is in
    :attr:`calls`.

    .. versionadded:: 0.2
    """

    def __init__(
        self,
        *,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        clock: Callable[[], float] = time.time,
        seed: int | None = None,
    ) -> None:
        self.region = region
        self.account_id = account_id
        self._clock = _Clock(clock)
        self._random = random.Random(seed)
        self._regions: dict[str, dict[str, _Secret]] = {}
        self._faults: list[Fault] = []
        self._rotation_functions: dict[str, RotationHandler | None] = {}
        #: every request received, in order
        self.calls: list[FakeCall] = []
        self.closed = False

    # -- the transport -------------------------------------------------------------------------

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Answer one request as the service would (the :class:`Transport` interface)."""
        target = request.headers.get("X-Amz-Target") or request.headers.get("x-amz-target", "")
        operation = target.rpartition(".")[2]
        region = _signed_region(request.headers) or self.region
        try:
            params = json.loads(request.body) if request.body else {}
        except ValueError:
            return _error_response(_Error("SerializationException", "Malformed JSON body"))
        if not isinstance(params, dict):
            return _error_response(_Error("SerializationException", "Body must be an object"))
        self.calls.append(FakeCall(operation, region, params))
        if self._faults:
            fault = self._fault_for(operation, params)
            if fault is not None:
                answered = await self._apply(fault)
                if answered is not None:
                    return answered
        handler = _HANDLERS.get(operation)
        if handler is None:
            return _error_response(
                _Error("UnknownOperationException", f"Unknown operation {operation!r}")
            )
        try:
            result: Any = handler(self, region, params)
            if asyncio.iscoroutine(result):
                result = await result
        except _Error as e:
            return _error_response(e)
        return _json_response(200, result)

    async def close(self) -> None:
        """Mark the fake closed; its state stays inspectable."""
        self.closed = True

    def client(self, *, backoff: bool = False, **kwargs: Any) -> SecretsManagerClient:
        """A client wired to this fake; no region, credentials or network needed.

        ``kwargs`` go to :class:`SecretsManagerClient`. Retries stay on but, unless
        ``backoff=True``, without their waits, so injected faults cost no time.
        """
        from .._client import SecretsManagerClient
        from .._credentials.base import Credentials

        kwargs.setdefault("region", self.region)
        kwargs.setdefault("credentials", Credentials("AKIDFAKESECRETSMANAGER", "fake-secret-key"))
        client = SecretsManagerClient(transport=self, **kwargs)
        client.middleware["retry"].backoff = backoff  # type: ignore[attr-defined]
        return client

    # -- faults --------------------------------------------------------------------------------

    def fail(
        self,
        operation: str | None = None,
        *,
        code: str = "InternalServiceError",
        message: str = "",
        status: int = 400,
        secret_id: str | None = None,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """Answer matching calls with the error ``code`` and HTTP ``status``."""
        return self._add(
            Fault(
                _operation_name(operation),
                secret_id,
                times,
                code=code,
                message=message,
                status=status,
                headers=dict(headers or {}),
            )
        )

    def throttle(
        self, operation: str | None = None, *, secret_id: str | None = None, times: int | None = 1
    ) -> Fault:
        """Answer matching calls with ``ThrottlingException`` (HTTP 400), as the service does."""
        return self.fail(
            operation,
            code="ThrottlingException",
            message="Rate exceeded",
            status=400,
            secret_id=secret_id,
            times=times,
        )

    def server_error(
        self,
        operation: str | None = None,
        *,
        status: int = 500,
        secret_id: str | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Answer matching calls with ``InternalServiceError`` and a 5xx status."""
        return self.fail(
            operation, code="InternalServiceError", status=status, secret_id=secret_id, times=times
        )

    def delay(
        self,
        seconds: float,
        operation: str | None = None,
        *,
        secret_id: str | None = None,
        times: int | None = None,
    ) -> Fault:
        """Wait ``seconds`` (with ``asyncio.sleep``) before answering matching calls."""
        return self._add(Fault(_operation_name(operation), secret_id, times, delay=seconds))

    def disconnect(
        self, operation: str | None = None, *, secret_id: str | None = None, times: int | None = 1
    ) -> Fault:
        """Fail matching calls with a network error (:class:`ConnectionClosedError`)."""
        error = ConnectionClosedError("the fake closed the connection")
        return self._add(Fault(_operation_name(operation), secret_id, times, error=error))

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        self._faults.clear()

    def _add(self, fault: Fault) -> Fault:
        self._faults.append(fault)
        return fault

    def _fault_for(self, operation: str, params: Mapping[str, Any]) -> Fault | None:
        for fault in self._faults:
            if fault._matches(operation, params):
                fault.hits += 1
                return fault
        return None

    async def _apply(self, fault: Fault) -> HttpResponse | None:
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.error is not None:
            raise fault.error
        if fault.code is None:
            return None  # a pure delay: answer normally afterwards
        return _error_response(_Error(fault.code, fault.message, fault.status), fault.headers)

    # -- time and rotation functions -----------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the fake's clock forward: recovery windows and rotation dates follow it."""
        self._clock.offset += seconds

    def now(self) -> float:
        """The fake's current time (epoch seconds)."""
        return self._clock()

    def add_rotation_function(self, arn: str, handler: RotationHandler | None = None) -> None:
        """Make a rotation Lambda ``arn`` exist; ``handler`` plays it (sync or async).

        RotateSecret invokes it for ``createSecret``, ``setSecret``, ``testSecret`` and
        ``finishSecret`` (only ``testSecret`` with ``RotateImmediately=False``), awaiting each
        step, with the event a rotation Lambda receives. A handler may call the client.
        """
        self._rotation_functions[arn] = handler

    # -- seeding and inspection (no API call, no fault, not recorded) --------------------------

    def put(
        self,
        name: str,
        value: str | bytes | None = None,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        kms_key_id: str | None = None,
        version_id: str | None = None,
        stages: Sequence[str] = (_CURRENT,),
        region: str | None = None,
    ) -> str:
        """Create the secret (or add a version to it) directly; return its ARN.

        A new version takes ``stages``, moving them (and AWSCURRENT's AWSPREVIOUS) as
        PutSecretValue does. Tags given replace the secret's tags.
        """
        region = region or self.region
        secret = self._find(region, name, allow_deleted=True)
        now = self._clock()
        if secret is None:
            secret = self._new_secret(region, name, now)
        if description is not None:
            secret.description = description
        if kms_key_id is not None:
            secret.kms_key_id = kms_key_id
        if tags is not None:
            secret.tags = [{"Key": k, "Value": v} for k, v in tags.items()]
        if value is not None:
            string_value, binary = (
                (value, None)
                if isinstance(value, str)
                else (None, base64.b64encode(value).decode())
            )
            self._add_version(
                secret, version_id or str(uuid.uuid4()), string_value, binary, list(stages), now
            )
        return secret.arn

    def value(
        self,
        secret_id: str,
        *,
        version_stage: str = _CURRENT,
        version_id: str | None = None,
        region: str | None = None,
    ) -> str | bytes:
        """A secret version's value, read directly; ``KeyError`` if there is none."""
        secret = self._find(region or self.region, secret_id, allow_deleted=True)
        if secret is None:
            raise KeyError(secret_id)
        version = (
            secret.versions.get(version_id) if version_id else secret.stage_owner(version_stage)
        )
        if version is None:
            raise KeyError(f"{secret_id}: no version {version_id or version_stage}")
        if version.binary is not None:
            return base64.b64decode(version.binary)
        if version.string is None:
            raise KeyError(f"{secret_id}: version {version.id} has no value")
        return version.string

    def stages(self, secret_id: str, *, region: str | None = None) -> dict[str, list[str]]:
        """Version id -> staging labels, for versions that have labels."""
        secret = self._find(region or self.region, secret_id, allow_deleted=True)
        if secret is None:
            raise KeyError(secret_id)
        return secret.version_map()

    def describe(self, secret_id: str, *, region: str | None = None) -> Wire:
        """The secret's DescribeSecret answer (wire form), read directly."""
        secret = self._find(region or self.region, secret_id, allow_deleted=True)
        if secret is None:
            raise KeyError(secret_id)
        return self._describe(secret)

    def names(self, *, region: str | None = None, include_deleted: bool = True) -> list[str]:
        """The names of the secrets in a region, in creation order."""
        self._purge(region or self.region)
        store = self._regions.get(region or self.region, {})
        return [s.name for s in store.values() if include_deleted or s.deleted is None]

    def remove(self, secret_id: str, *, region: str | None = None) -> None:
        """Delete a secret at once, as if its recovery window had ended."""
        secret = self._find(region or self.region, secret_id, allow_deleted=True)
        if secret is None:
            raise KeyError(secret_id)
        del self._regions[secret.region][secret.name]

    def reset(self) -> None:
        """Forget every secret, call, fault, rotation function and clock offset."""
        self._regions.clear()
        self._faults.clear()
        self._rotation_functions.clear()
        self.calls.clear()
        self._clock.offset = 0.0

    # -- state helpers -------------------------------------------------------------------------

    def _store(self, region: str) -> dict[str, _Secret]:
        store = self._regions.get(region)
        if store is None:
            store = self._regions[region] = {}
        return store

    def _purge(self, region: str) -> None:
        """Drop secrets whose recovery window has ended (the service does it in the background)."""
        store = self._regions.get(region)
        if not store:
            return
        now = self._clock()
        for name in [n for n, s in store.items() if s.deleted is not None and s.deleted <= now]:
            del store[name]

    def _find(self, region: str, secret_id: str, *, allow_deleted: bool = False) -> _Secret | None:
        self._purge(region)
        store = self._regions.get(region)
        if not store:
            return None
        secret = store.get(secret_id)
        if secret is None and secret_id.startswith("arn:"):
            name = _arn_name(secret_id)
            for candidate in store.values():
                # a full ARN, or a partial one (without the six-character suffix)
                if candidate.arn == secret_id or candidate.name == name:
                    secret = candidate
                    break
        if secret is not None and secret.deleted is not None and not allow_deleted:
            raise _marked_deleted()
        return secret

    def _get(
        self, region: str, params: Mapping[str, Any], *, allow_deleted: bool = False
    ) -> _Secret:
        secret = self._find(region, params.get("SecretId") or "", allow_deleted=allow_deleted)
        if secret is None:
            raise _not_found()
        return secret

    def _get_primary(self, region: str, params: Mapping[str, Any]) -> _Secret:
        secret = self._get(region, params)
        if secret.primary_region is not None:
            raise _replica_only()
        return secret

    def _new_secret(self, region: str, name: str, now: float) -> _Secret:
        suffix = "".join(self._random.choices(string.ascii_letters + string.digits, k=6))
        prefix = f"arn:{_partition(region)}:secretsmanager:{region}:{self.account_id}:secret"
        arn = f"{prefix}:{name}-{suffix}"
        secret = self._store(region)[name] = _Secret(name, arn, region, now)
        return secret

    def _add_version(
        self,
        secret: _Secret,
        version_id: str,
        string_value: str | None,
        binary: str | None,
        stages: list[str],
        now: float,
    ) -> _Version:
        version = _Version(version_id, string_value, binary, now)
        if not secret.versions and _CURRENT not in stages:
            stages = [*stages, _CURRENT]  # the first version is always current
        secret.versions[version_id] = version
        for stage in dict.fromkeys(stages):
            self._move_stage(secret, stage, version)
        secret.last_changed = now
        self._drop_old_versions(secret)
        return version

    @staticmethod
    def _move_stage(secret: _Secret, stage: str, to: _Version | None) -> None:
        """Attach ``stage`` to ``to`` (detach it when None), with AWSCURRENT's AWSPREVIOUS move."""
        owner = secret.stage_owner(stage)
        if owner is to:
            return
        if owner is not None:
            owner.stages.remove(stage)
        if to is not None:
            to.stages.append(stage)
        if stage == _CURRENT and owner is not None and to is not None:
            previous = secret.stage_owner(_PREVIOUS)
            if previous is not None:
                previous.stages.remove(_PREVIOUS)
            owner.stages.append(_PREVIOUS)
            if _PREVIOUS in to.stages:
                to.stages.remove(_PREVIOUS)

    @staticmethod
    def _drop_old_versions(secret: _Secret) -> None:
        deprecated = [v for v in secret.versions.values() if not v.stages]
        for version in deprecated[: max(0, len(deprecated) - _MAX_DEPRECATED_VERSIONS)]:
            del secret.versions[version.id]

    def _touch(self, secret: _Secret, version: _Version) -> None:
        # the service records access dates, not times
        day = self._clock() // _DAY * _DAY
        secret.last_accessed = version.last_accessed = day

    def _value_entry(self, secret: _Secret, version: _Version) -> Wire:
        entry: Wire = {"ARN": secret.arn, "Name": secret.name, "VersionId": version.id}
        if version.string is not None:
            entry["SecretString"] = version.string
        if version.binary is not None:
            entry["SecretBinary"] = version.binary
        entry["VersionStages"] = list(version.stages)
        entry["CreatedDate"] = version.created
        return entry

    def _describe(self, secret: _Secret, *, list_entry: bool = False) -> Wire:
        d: Wire = {"ARN": secret.arn, "Name": secret.name}
        optional: Wire = {
            "Type": secret.type,
            "Description": secret.description,
            "KmsKeyId": secret.kms_key_id,
            "RotationEnabled": secret.rotation_enabled,
            "RotationLambdaARN": secret.rotation_lambda,
            "RotationRules": secret.rotation_rules,
            "LastRotatedDate": secret.last_rotated,
            "LastChangedDate": secret.last_changed,
            "LastAccessedDate": secret.last_accessed,
            "DeletedDate": secret.deleted,
            "NextRotationDate": secret.next_rotation,
            "Tags": list(secret.tags) if secret.tags else None,
            "OwningService": secret.owning_service,
            "CreatedDate": secret.created,
            "PrimaryRegion": secret.primary_region,
            "ReplicationStatus": [dict(r) for r in secret.replicas] or None,
            "CrossAccountReplicas": [dict(r) for r in secret.cross_account] or None,
        }
        d.update((k, v) for k, v in optional.items() if v is not None)
        versions = secret.version_map()
        if versions:
            d["SecretVersionsToStages" if list_entry else "VersionIdsToStages"] = versions
        return d

    def _check_token(
        self, secret: _Secret, token: str | None, string_value: str | None, binary: str | None
    ) -> _Version | None:
        """The version a repeated request already made (idempotency), or None for a new one."""
        if not token:
            return None
        existing = secret.versions.get(token)
        if existing is None:
            return None
        if existing.same_value(string_value, binary):
            return existing
        raise _Error(
            "ResourceExistsException",
            f"You can't use ClientRequestToken {token} because that value is already in use "
            f"for a version of secret {secret.arn}.",
        )

    # -- operations ----------------------------------------------------------------------------

    def _create_secret(self, region: str, p: Wire) -> Wire:
        name = p["Name"]
        string_value, binary = _value_of(p)
        token = p.get("ClientRequestToken")
        secret = self._find(region, name, allow_deleted=True)
        if secret is not None:
            if secret.deleted is not None:
                raise _Error(
                    "InvalidRequestException",
                    "You can't create this secret because a secret with this name is already "
                    "scheduled for deletion.",
                )
            if secret.primary_region is not None:
                raise _replica_only()
            repeated = self._check_token(secret, token, string_value, binary)
            if repeated is None:
                raise _Error(
                    "ResourceExistsException",
                    f"The operation failed because the secret {name} already exists.",
                )
            return _short(secret, repeated.id, replicas=True)
        replicas = p.get("AddReplicaRegions") or []
        for replica in replicas:
            if replica.get("Region") == region:
                raise _Error("InvalidParameterException", "Invalid replica region.")
        now = self._clock()
        secret = self._new_secret(region, name, now)
        secret.description = p.get("Description")
        secret.kms_key_id = p.get("KmsKeyId")
        secret.type = p.get("Type")
        secret.tags = [dict(t) for t in p.get("Tags") or []]
        version_id = None
        if string_value is not None or binary is not None:
            version_id = token or str(uuid.uuid4())
            self._add_version(secret, version_id, string_value, binary, [_CURRENT], now)
        self._replicate(secret, replicas, bool(p.get("ForceOverwriteReplicaSecret")))
        return _short(secret, version_id, replicas=True)

    def _replicate(self, secret: _Secret, regions: list[Wire], force: bool) -> None:
        for entry in regions:
            region = entry["Region"]
            if region == secret.region:
                raise _Error("InvalidParameterException", "Invalid replica region.")
            if any(r["Region"] == region for r in secret.replicas):
                continue
            status = {
                "Region": region,
                "KmsKeyId": entry.get("KmsKeyId") or _DEFAULT_KMS,
                "Status": "InSync",
                "StatusMessage": "Replication succeeded",
            }
            existing = self._find(region, secret.name, allow_deleted=True)
            if existing is not None and not force:
                status["Status"] = "Failed"
                status["StatusMessage"] = (
                    f"Replication failed: Secret name {secret.name} already exists in region "
                    f"{region}."
                )
            else:
                replica = _Secret(
                    secret.name,
                    secret.arn.replace(f":{secret.region}:", f":{region}:"),
                    region,
                    self._clock(),
                )
                # shared state: what changes on the primary shows on the replica
                replica.versions = secret.versions
                replica.tags = secret.tags
                replica.description = secret.description
                replica.kms_key_id = status["KmsKeyId"]
                replica.primary_region = secret.region
                self._store(region)[secret.name] = replica
            secret.replicas.append(status)

    def _get_secret_value(self, region: str, p: Wire) -> Wire:
        secret = self._get(region, p)
        version = self._pick_version(secret, p.get("VersionId"), p.get("VersionStage"))
        self._touch(secret, version)
        return self._value_entry(secret, version)

    def _pick_version(
        self, secret: _Secret, version_id: str | None, version_stage: str | None
    ) -> _Version:
        if version_id:
            version = secret.versions.get(version_id)
            if version is None:
                raise _Error(
                    "ResourceNotFoundException",
                    f"Secrets Manager can't find the specified secret value for VersionId: "
                    f"{version_id}",
                )
            if version_stage and version_stage not in version.stages:
                raise _Error(
                    "InvalidRequestException",
                    "You provided a VersionStage that is not associated to the provided VersionId.",
                )
        else:
            stage = version_stage or _CURRENT
            found = secret.stage_owner(stage)
            if found is None:
                raise _Error(
                    "ResourceNotFoundException",
                    f"Secrets Manager can't find the specified secret value for staging label: "
                    f"{stage}",
                )
            version = found
        if version.string is None and version.binary is None:
            raise _Error(
                "ResourceNotFoundException",
                f"Secrets Manager can't find the specified secret value for VersionId: "
                f"{version.id}",
            )
        return version

    def _put_secret_value(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        string_value, binary = _value_of(p)
        if string_value is None and binary is None:
            raise _Error(
                "InvalidRequestException", "You must provide either SecretString or SecretBinary."
            )
        token = p.get("ClientRequestToken")
        stages = list(p.get("VersionStages") or [_CURRENT])
        placeholder = secret.versions.get(token) if token else None
        if placeholder is not None and placeholder.same_value(None, None):
            # the version RotateSecret made for a rotation function: its value arrives now
            placeholder.string, placeholder.binary = string_value, binary
            for stage in dict.fromkeys(stages):
                self._move_stage(secret, stage, placeholder)
            secret.last_changed = self._clock()
            version = placeholder
        elif (repeated := self._check_token(secret, token, string_value, binary)) is not None:
            version = repeated
        else:
            version = self._add_version(
                secret, token or str(uuid.uuid4()), string_value, binary, stages, self._clock()
            )
        return {
            "ARN": secret.arn,
            "Name": secret.name,
            "VersionId": version.id,
            "VersionStages": list(version.stages),
        }

    def _update_secret(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        string_value, binary = _value_of(p)
        version_id = None
        if string_value is not None or binary is not None:
            token = p.get("ClientRequestToken")
            repeated = self._check_token(secret, token, string_value, binary)
            if repeated is not None:
                return _short(secret, repeated.id)
            version_id = token or str(uuid.uuid4())
            self._add_version(secret, version_id, string_value, binary, [_CURRENT], self._clock())
        if p.get("Description") is not None:
            secret.description = p["Description"]
        if p.get("KmsKeyId") is not None:
            secret.kms_key_id = p["KmsKeyId"]
        if p.get("Type") is not None:
            secret.type = p["Type"]
        secret.last_changed = self._clock()
        return _short(secret, version_id)

    def _describe_secret(self, region: str, p: Wire) -> Wire:
        return self._describe(self._get(region, p, allow_deleted=True))

    def _list_secrets(self, region: str, p: Wire) -> Wire:
        filters = _filters(p.get("Filters"))
        include_deleted = bool(p.get("IncludePlannedDeletion"))
        self._purge(region)
        found = [
            s
            for s in self._store(region).values()
            if (include_deleted or s.deleted is None) and _matches(s, filters)
        ]
        found = _sorted(found, p.get("SortBy"), p.get("SortOrder"))
        page, token = _page(found, p.get("NextToken"), p.get("MaxResults"), 100, "ListSecrets")
        out: Wire = {"SecretList": [self._describe(s, list_entry=True) for s in page]}
        if token:
            out["NextToken"] = token
        return out

    def _list_secret_version_ids(self, region: str, p: Wire) -> Wire:
        secret = self._get(region, p, allow_deleted=True)
        include = bool(p.get("IncludeDeprecated"))
        versions = [v for v in secret.versions.values() if include or v.stages]
        page, token = _page(
            versions, p.get("NextToken"), p.get("MaxResults"), 100, "ListSecretVersionIds"
        )
        entries = []
        for v in page:
            entry: Wire = {
                "VersionId": v.id,
                "VersionStages": list(v.stages),
                "CreatedDate": v.created,
                "KmsKeyIds": [secret.kms_key_id or _DEFAULT_KEY_ID],
            }
            if v.last_accessed is not None:
                entry["LastAccessedDate"] = v.last_accessed
            entries.append(entry)
        out: Wire = {"Versions": entries, "ARN": secret.arn, "Name": secret.name}
        if token:
            out["NextToken"] = token
        return out

    def _batch_get_secret_value(self, region: str, p: Wire) -> Wire:
        ids = p.get("SecretIdList")
        filters = p.get("Filters")
        if ids and filters:
            raise _Error(
                "InvalidParameterException",
                "Either 'SecretIdList' or 'Filters' must be provided, but not both.",
            )
        if not ids and not filters:
            raise _Error(
                "InvalidParameterException", "Either 'SecretIdList' or 'Filters' must be provided."
            )
        if p.get("MaxResults") is not None and not filters:
            raise _Error(
                "InvalidParameterException",
                "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' "
                "is provided.",
            )
        values: list[Wire] = []
        errors: list[Wire] = []
        token = None
        if ids:
            for secret_id in ids:
                try:
                    values.append(self._get_secret_value(region, {"SecretId": secret_id}))
                except _Error as e:
                    errors.append(
                        {"SecretId": secret_id, "ErrorCode": e.code, "Message": e.message}
                    )
        else:
            parsed = _filters(filters)
            self._purge(region)
            found = [
                s for s in self._store(region).values() if s.deleted is None and _matches(s, parsed)
            ]
            page, token = _page(
                found, p.get("NextToken"), p.get("MaxResults"), 20, "BatchGetSecretValue"
            )
            for secret in page:
                try:
                    version = self._pick_version(secret, None, None)
                except _Error as e:
                    errors.append(
                        {"SecretId": secret.arn, "ErrorCode": e.code, "Message": e.message}
                    )
                    continue
                self._touch(secret, version)
                values.append(self._value_entry(secret, version))
        out: Wire = {"SecretValues": values, "Errors": errors}
        if token:
            out["NextToken"] = token
        return out

    def _delete_secret(self, region: str, p: Wire) -> Wire:
        window = p.get("RecoveryWindowInDays")
        force = bool(p.get("ForceDeleteWithoutRecovery"))
        if window is not None and force:
            raise _Error(
                "InvalidParameterException",
                "You can't use ForceDeleteWithoutRecovery in conjunction with "
                "RecoveryWindowInDays.",
            )
        if window is not None and not 7 <= window <= 30:
            raise _Error(
                "InvalidParameterException",
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
            )
        secret = self._get(region, p, allow_deleted=True)
        if secret.primary_region is not None:
            raise _replica_only()
        if secret.replicas:
            regions = ",".join(r["Region"] for r in secret.replicas)
            raise _Error(
                "InvalidParameterException",
                f"You can't delete secret {secret.name} that still has replica regions [{regions}]",
            )
        now = self._clock()
        if force:
            del self._store(region)[secret.name]
            return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": now}
        if secret.deleted is not None:
            raise _marked_deleted()
        secret.deleted = now + (window or 30) * _DAY
        secret.last_changed = now
        return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": secret.deleted}

    def _restore_secret(self, region: str, p: Wire) -> Wire:
        secret = self._get(region, p, allow_deleted=True)
        if secret.primary_region is not None:
            raise _replica_only()
        secret.deleted = None
        secret.last_changed = self._clock()
        return {"ARN": secret.arn, "Name": secret.name}

    def _tag_resource(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        tags = {t["Key"]: t for t in secret.tags}
        for tag in p.get("Tags") or []:
            tags[tag["Key"]] = dict(tag)
        if len(tags) > 50:
            raise _Error("InvalidParameterException", "A secret can have at most 50 tags.")
        secret.tags[:] = tags.values()  # in place: replicas share the list
        secret.last_changed = self._clock()
        return {}

    def _untag_resource(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        keys = set(p.get("TagKeys") or ())
        secret.tags[:] = [t for t in secret.tags if t["Key"] not in keys]
        secret.last_changed = self._clock()
        return {}

    def _update_secret_version_stage(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        stage = p["VersionStage"]
        remove_from = p.get("RemoveFromVersionId")
        move_to = p.get("MoveToVersionId")
        for version_id in (remove_from, move_to):
            if version_id and version_id not in secret.versions:
                raise _Error("InvalidParameterException", f"Not a valid version: {version_id}")
        owner = secret.stage_owner(stage)
        if remove_from and (owner is None or owner.id != remove_from):
            raise _Error(
                "InvalidParameterException",
                f"Version stage {stage} not found in version {remove_from}",
            )
        target = secret.versions[move_to] if move_to else None
        if owner is not None and owner is not target and not remove_from:
            raise _Error(
                "InvalidParameterException",
                f"The parameter RemoveFromVersionId can't be empty. Staging label {stage} is "
                f"currently attached to version {owner.id}, so you must explicitly reference "
                "that version in RemoveFromVersionId.",
            )
        if stage == _CURRENT and target is None:
            raise _Error(
                "InvalidParameterException",
                "You can't remove the staging label AWSCURRENT without moving it to another "
                "version (MoveToVersionId).",
            )
        self._move_stage(secret, stage, target)
        secret.last_changed = self._clock()
        return {"ARN": secret.arn, "Name": secret.name}

    async def _rotate_secret(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        lambda_arn = p.get("RotationLambdaARN") or secret.rotation_lambda
        if not lambda_arn and secret.owning_service is None:
            raise _Error(
                "InvalidRequestException",
                "No Lambda rotation function ARN is associated with this secret.",
            )
        rules = p.get("RotationRules")
        if rules is not None:
            days = rules.get("AutomaticallyAfterDays")
            if days is not None and not 1 <= days <= 1000:
                raise _Error(
                    "InvalidParameterException",
                    "RotationRules.AutomaticallyAfterDays must be within 1-1000.",
                )
        pending = secret.stage_owner(_PENDING)
        if pending is not None and _CURRENT not in pending.stages:
            raise _Error(
                "InvalidRequestException",
                "A previous rotation isn't complete. That rotation will be reattempted.",
            )
        now = self._clock()
        secret.rotation_lambda = lambda_arn
        secret.rotation_enabled = True
        if rules is not None:
            secret.rotation_rules = dict(rules)
        days = (secret.rotation_rules or {}).get("AutomaticallyAfterDays")
        token = p.get("ClientRequestToken") or str(uuid.uuid4())
        secret.last_changed = now
        if lambda_arn:
            if lambda_arn not in self._rotation_functions:
                raise _Error(
                    "ResourceNotFoundException", f"Resource not found for ARN '{lambda_arn}'."
                )
            handler = self._rotation_functions[lambda_arn]
            immediately = p.get("RotateImmediately", True)
            if immediately and token not in secret.versions:
                # as the service does before it invokes the function: a version without a
                # value carries the token and AWSPENDING, for createSecret to fill
                self._add_version(secret, token, None, None, [_PENDING], now)
            steps = ("createSecret", "setSecret", "testSecret", "finishSecret")
            for step in steps if immediately else ("testSecret",):
                if handler is not None:
                    event = {"Step": step, "SecretId": secret.arn, "ClientRequestToken": token}
                    result = handler(event)
                    if asyncio.iscoroutine(result):
                        await result
            if immediately:
                # the rotation has finished: the service drops AWSPENDING from the new current
                pending = secret.stage_owner(_PENDING)
                if pending is not None and _CURRENT in pending.stages:
                    pending.stages.remove(_PENDING)
                secret.last_rotated = self._clock()
        if days:
            secret.next_rotation = (secret.last_rotated or now) + days * _DAY
        return {"ARN": secret.arn, "Name": secret.name, "VersionId": token}

    def _cancel_rotate_secret(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        if not secret.rotation_lambda and not secret.rotation_enabled:
            raise _Error(
                "InvalidRequestException",
                "Secrets Manager can't cancel rotation: rotation isn't configured for this secret.",
            )
        secret.rotation_enabled = False
        secret.next_rotation = None
        secret.last_changed = self._clock()
        pending = secret.stage_owner(_PENDING)
        return _short(secret, pending.id if pending is not None else None)

    def _get_random_password(self, region: str, p: Wire) -> Wire:
        length = p.get("PasswordLength", 32)
        excluded = set(p.get("ExcludeCharacters") or "")
        pools = []
        for flag, characters in (
            ("ExcludeLowercase", string.ascii_lowercase),
            ("ExcludeUppercase", string.ascii_uppercase),
            ("ExcludeNumbers", string.digits),
            ("ExcludePunctuation", _PUNCTUATION),
        ):
            if not p.get(flag):
                pool = "".join(c for c in characters if c not in excluded)
                if pool:
                    pools.append(pool)
        if p.get("IncludeSpace") and " " not in excluded:
            pools.append(" ")
        if not pools:
            raise _Error(
                "InvalidParameterException",
                "Password could not be generated: every character type is excluded.",
            )
        require_each = p.get("RequireEachIncludedType", True)
        if require_each and length < len(pools):
            raise _Error(
                "InvalidParameterException",
                "Password length is too short based on the required types.",
            )
        rng = _secrets.SystemRandom()
        alphabet = "".join(pools)
        chars = [rng.choice(pool) for pool in pools] if require_each else []
        chars += [rng.choice(alphabet) for _ in range(length - len(chars))]
        rng.shuffle(chars)
        return {"RandomPassword": "".join(chars)}

    def _put_resource_policy(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        policy = p["ResourcePolicy"]
        document = _policy_document(policy)
        if p.get("BlockPublicPolicy") and _is_public(document):
            raise _Error(
                "PublicPolicyException",
                "The BlockPublicPolicy parameter is set to true, and the resource policy did not "
                "prevent broad access to the secret.",
            )
        secret.policy = policy
        secret.last_changed = self._clock()
        return {"ARN": secret.arn, "Name": secret.name}

    def _get_resource_policy(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        out: Wire = {"ARN": secret.arn, "Name": secret.name}
        if secret.policy is not None:
            out["ResourcePolicy"] = secret.policy
        return out

    def _delete_resource_policy(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        secret.policy = None
        secret.last_changed = self._clock()
        return {"ARN": secret.arn, "Name": secret.name}

    def _list_resource_policies(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        policies = [{"PolicyName": "default"}] if secret.policy is not None else []
        page, token = _page(
            policies, p.get("NextToken"), p.get("MaxResults"), 100, "ListResourcePolicies"
        )
        out: Wire = {"ResourcePolicies": page}
        if token:
            out["NextToken"] = token
        return out

    def _validate_resource_policy(self, region: str, p: Wire) -> Wire:
        if p.get("SecretId"):
            self._get_primary(region, p)
        document = _policy_document(p["ResourcePolicy"])
        if _is_public(document):
            return {
                "PolicyValidationPassed": False,
                "ValidationErrors": [
                    {
                        "CheckName": "BlockPublicPolicy",
                        "ErrorMessage": "The policy allows broad access to the secret.",
                    }
                ],
            }
        return {"PolicyValidationPassed": True, "ValidationErrors": []}

    def _replicate_secret_to_regions(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        self._replicate(
            secret, p.get("AddReplicaRegions") or [], bool(p.get("ForceOverwriteReplicaSecret"))
        )
        secret.last_changed = self._clock()
        return {"ARN": secret.arn, "ReplicationStatus": [dict(r) for r in secret.replicas]}

    def _remove_regions_from_replication(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        regions = set(p.get("RemoveReplicaRegions") or ())
        for status in [r for r in secret.replicas if r["Region"] in regions]:
            secret.replicas.remove(status)
            replica = self._store(status["Region"]).get(secret.name)
            if replica is not None and replica.primary_region == secret.region:
                del self._store(status["Region"])[secret.name]
        secret.last_changed = self._clock()
        return {"ARN": secret.arn, "ReplicationStatus": [dict(r) for r in secret.replicas]}

    def _stop_replication_to_replica(self, region: str, p: Wire) -> Wire:
        replica = self._get(region, p)
        if replica.primary_region is None:
            raise _Error(
                "InvalidRequestException", f"Secret {replica.name} is not a replica secret."
            )
        primary = self._store(replica.primary_region).get(replica.name)
        if primary is not None:
            primary.replicas[:] = [r for r in primary.replicas if r["Region"] != region]
        # standalone from now on: its own copy of the versions and tags
        copies: dict[str, _Version] = {}
        for version in replica.versions.values():
            copy = _Version(version.id, version.string, version.binary, version.created)
            copy.stages = list(version.stages)
            copies[version.id] = copy
        replica.versions = copies
        replica.tags = [dict(t) for t in replica.tags]
        replica.primary_region = None
        replica.last_changed = self._clock()
        return {"ARN": replica.arn}

    def _associate_cross_account_replica(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        replica_arn = p["CrossAccountReplicaARN"]
        if any(r["ReplicaSecretARN"] == replica_arn for r in secret.cross_account):
            raise _Error(
                "InvalidRequestException", f"{replica_arn} is already associated with this secret."
            )
        entry: Wire = {
            "ReplicaSecretARN": replica_arn,
            "ReplicationStatus": "InSync",
            "StatusMessage": "Replication succeeded",
        }
        if p.get("ReplicationRoleARN"):
            entry["ReplicationRoleARN"] = p["ReplicationRoleARN"]
        secret.cross_account.append(entry)
        secret.last_changed = self._clock()
        return {
            "ARN": secret.arn,
            "CrossAccountReplicaARN": replica_arn,
            "ReplicationStatus": "InSync",
        }

    def _disassociate_cross_account_replica(self, region: str, p: Wire) -> Wire:
        secret = self._get_primary(region, p)
        replica_arn = p["CrossAccountReplicaARN"]
        kept = [r for r in secret.cross_account if r["ReplicaSecretARN"] != replica_arn]
        if len(kept) == len(secret.cross_account):
            raise _Error(
                "ResourceNotFoundException",
                f"{replica_arn} is not associated with this secret.",
            )
        secret.cross_account = kept
        secret.last_changed = self._clock()
        return {"ARN": secret.arn, "CrossAccountReplicaARN": replica_arn}


_Handler = Callable[[FakeSecretsManager, str, Wire], "Wire | Awaitable[Wire]"]

_HANDLERS: dict[str, _Handler] = {
    "AssociateCrossAccountReplica": FakeSecretsManager._associate_cross_account_replica,
    "BatchGetSecretValue": FakeSecretsManager._batch_get_secret_value,
    "CancelRotateSecret": FakeSecretsManager._cancel_rotate_secret,
    "CreateSecret": FakeSecretsManager._create_secret,
    "DeleteResourcePolicy": FakeSecretsManager._delete_resource_policy,
    "DeleteSecret": FakeSecretsManager._delete_secret,
    "DescribeSecret": FakeSecretsManager._describe_secret,
    "DisassociateCrossAccountReplica": FakeSecretsManager._disassociate_cross_account_replica,
    "GetRandomPassword": FakeSecretsManager._get_random_password,
    "GetResourcePolicy": FakeSecretsManager._get_resource_policy,
    "GetSecretValue": FakeSecretsManager._get_secret_value,
    "ListResourcePolicies": FakeSecretsManager._list_resource_policies,
    "ListSecretVersionIds": FakeSecretsManager._list_secret_version_ids,
    "ListSecrets": FakeSecretsManager._list_secrets,
    "PutResourcePolicy": FakeSecretsManager._put_resource_policy,
    "PutSecretValue": FakeSecretsManager._put_secret_value,
    "RemoveRegionsFromReplication": FakeSecretsManager._remove_regions_from_replication,
    "ReplicateSecretToRegions": FakeSecretsManager._replicate_secret_to_regions,
    "RestoreSecret": FakeSecretsManager._restore_secret,
    "RotateSecret": FakeSecretsManager._rotate_secret,
    "StopReplicationToReplica": FakeSecretsManager._stop_replication_to_replica,
    "TagResource": FakeSecretsManager._tag_resource,
    "UntagResource": FakeSecretsManager._untag_resource,
    "UpdateSecret": FakeSecretsManager._update_secret,
    "UpdateSecretVersionStage": FakeSecretsManager._update_secret_version_stage,
    "ValidateResourcePolicy": FakeSecretsManager._validate_resource_policy,
}

#: the operations the fake implements: all of the service model's
OPERATIONS = frozenset(_HANDLERS)


# -- wire helpers ------------------------------------------------------------------------------

_encode = json.JSONEncoder(separators=(",", ":")).encode


def _json_response(
    status: int, payload: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> HttpResponse:
    base = {"content-type": "application/x-amz-json-1.1", "x-amzn-requestid": str(uuid.uuid4())}
    if headers:
        base.update((k.lower(), v) for k, v in headers.items())
    return HttpResponse(status, base, _encode(payload).encode())


def _error_response(error: _Error, headers: Mapping[str, str] | None = None) -> HttpResponse:
    status = 500 if error.code == "InternalServiceError" and error.status == 400 else error.status
    return _json_response(status, {"__type": error.code, "message": error.message}, headers)


def _signed_region(headers: Mapping[str, str]) -> str | None:
    """The region of the SigV4 credential scope (``Credential=AKID/date/region/...``)."""
    auth = headers.get("Authorization") or headers.get("authorization")
    if not auth:
        return None
    start = auth.find("Credential=")
    if start < 0:
        return None
    parts = auth[start + 11 :].split("/", 4)
    return parts[2] if len(parts) > 3 else None


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _operation_name(operation: str | None) -> str | None:
    """Accept ``"GetSecretValue"`` or the method name ``"get_secret_value"``."""
    if operation is None or "_" not in operation:
        return operation
    return "".join(part.capitalize() for part in operation.split("_"))


def _value_of(p: Mapping[str, Any]) -> tuple[str | None, str | None]:
    string_value, binary = p.get("SecretString"), p.get("SecretBinary")
    if string_value is not None and binary is not None:
        raise _Error(
            "InvalidParameterException",
            "You can't specify both SecretString and SecretBinary in the same request.",
        )
    return string_value, binary


def _short(secret: _Secret, version_id: str | None, *, replicas: bool = False) -> Wire:
    out: Wire = {"ARN": secret.arn, "Name": secret.name}
    if version_id is not None:
        out["VersionId"] = version_id
    if replicas and secret.replicas:
        out["ReplicationStatus"] = [dict(r) for r in secret.replicas]
    return out


def _filters(raw: Any) -> list[tuple[str, list[str]]]:
    parsed = []
    for item in raw or ():
        key, values = item.get("Key"), item.get("Values")
        if key is None or not values:
            raise _Error("InvalidParameterException", f"Invalid filter values for key: {key}")
        parsed.append((key, list(values)))
    return parsed


def _attributes(secret: _Secret, key: str) -> list[str]:
    tags = secret.tags
    if key == "name":
        return [secret.name]
    if key == "description":
        return [secret.description] if secret.description else []
    if key == "tag-key":
        return [t["Key"] for t in tags]
    if key == "tag-value":
        return [t["Value"] for t in tags]
    if key == "primary-region":
        return (
            [secret.primary_region or secret.region]
            if secret.primary_region or secret.replicas
            else []
        )
    if key == "owning-service":
        return [secret.owning_service] if secret.owning_service else []
    # "all": every attribute above
    return [
        a for k in ("name", "description", "tag-key", "tag-value") for a in _attributes(secret, k)
    ]


def _match_one(key: str, value: str, attributes: list[str]) -> bool:
    if key in ("all", "description"):
        # word match, not case-sensitive
        words = value.lower().split()
        return any(all(w in a.lower() for w in words) for a in attributes)
    return any(a.startswith(value) for a in attributes)


def _matches(secret: _Secret, filters: list[tuple[str, list[str]]]) -> bool:
    # values of one filter are ORed, filters are ANDed; "!" negates a value
    for key, values in filters:
        attributes = _attributes(secret, key)
        positive = [v for v in values if not v.startswith("!")]
        negative = [v[1:] for v in values if v.startswith("!")]
        if positive and not any(_match_one(key, v, attributes) for v in positive):
            return False
        if any(_match_one(key, v, attributes) for v in negative):
            return False
    return True


_SORT_KEYS: dict[str, Callable[[_Secret], Any]] = {
    "created-date": lambda s: s.created,
    "last-accessed-date": lambda s: s.last_accessed or 0.0,
    "last-changed-date": lambda s: s.last_changed,
    "name": lambda s: s.name,
}


def _sorted(found: list[_Secret], sort_by: str | None, order: str | None) -> list[_Secret]:
    key = _SORT_KEYS.get(sort_by or "created-date", _SORT_KEYS["created-date"])
    # sorted() is stable: equal keys keep creation order
    return sorted(found, key=key, reverse=order == "desc")


def _page(
    items: list[Any], token: str | None, max_results: int | None, default: int, operation: str
) -> tuple[list[Any], str | None]:
    start = 0
    if token:
        try:
            op, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
            start = int(offset)
            if op != operation or start < 0:
                raise ValueError(token)
        except ValueError:
            raise _Error("InvalidNextTokenException", "The NextToken value is invalid.") from None
    end = start + (max_results or default)
    next_token = None
    if end < len(items):
        next_token = base64.urlsafe_b64encode(f"{operation}:{end}".encode()).decode()
    return items[start:end], next_token


def _policy_document(policy: str) -> Wire:
    try:
        document = json.loads(policy)
    except ValueError:
        document = None
    if not isinstance(document, dict) or "Statement" not in document:
        raise _Error("MalformedPolicyDocumentException", "The resource policy has syntax errors.")
    return document


def _is_public(document: Mapping[str, Any]) -> bool:
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    for statement in statements or ():
        if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
            continue
        principal = statement.get("Principal")
        if principal == "*" or (
            isinstance(principal, dict) and "*" in _as_list(principal.get("AWS"))
        ):
            return True
    return False


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
