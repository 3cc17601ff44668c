"""Rotation functions: the four steps of a Secrets Manager rotation, with AWS's checks built in.

Subclass :class:`RotationHandler` (or one of the strategies, :class:`SingleUserRotation` and
:class:`AlternatingUsersRotation`), give it a client, and export its :meth:`lambda_handler`::

    lambda_handler = MyRotation(SecretsManagerClient()).lambda_handler

Before any step runs, the handler makes the checks of AWS's rotation templates: rotation is
enabled on the secret, the event's token is a version of it, a version that is already
``AWSCURRENT`` ends the step without change, and any other version must carry ``AWSPENDING``.
Logs name the secret, the step and version ids, never a value.

This module is an add-on: ``import secretsmanager_async`` does not import it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args

import attrs

from secretsmanager_async import ResourceNotFoundException, SecretsManagerError
from secretsmanager_async._protocol.jsondoc import JsonDocumentError, decode

if TYPE_CHECKING:
    from secretsmanager_async import DescribeSecretResponse, SecretsManagerClient

__all__ = [
    "AlternatingUsersRotation",
    "CredentialsRejectedError",
    "InvalidTokenError",
    "MalformedEventError",
    "PasswordOptions",
    "RotationError",
    "RotationEvent",
    "RotationHandler",
    "RotationNotEnabledError",
    "RotationStep",
    "SecretFormatError",
    "SecretValue",
    "SingleUserRotation",
    "StepName",
]

logger = logging.getLogger("secretsmanager_async.rotation")

CURRENT = "AWSCURRENT"
PENDING = "AWSPENDING"
PREVIOUS = "AWSPREVIOUS"

StepName = Literal["createSecret", "setSecret", "testSecret", "finishSecret"]
_STEPS: tuple[str, ...] = get_args(StepName)
_METHODS = {
    "createSecret": "create_secret",
    "setSecret": "set_secret",
    "testSecret": "test_secret",
    "finishSecret": "finish_secret",
}


# -- errors ---------------------------------------------------------------------------------------


class RotationError(SecretsManagerError):
    """A rotation step refused to run or failed. Messages never contain a secret's value."""


class MalformedEventError(RotationError, ValueError):
    """The Lambda event is not a Secrets Manager rotation event."""


class RotationNotEnabledError(RotationError):
    """The secret does not have rotation enabled."""


class InvalidTokenError(RotationError):
    """The event's token is not a version of the secret, or that version is not AWSPENDING."""


class SecretFormatError(RotationError, ValueError):
    """A version's value is not the JSON object the step needs (or lacks a key)."""


class CredentialsRejectedError(RotationError):
    """The protected service refused every credential the step could try."""


# -- the event ------------------------------------------------------------------------------------


def _check_str(event: Mapping[str, Any], key: str, low: int, high: int) -> str:
    value = event.get(key)
    if not isinstance(value, str):
        got = "missing" if value is None else f"a {type(value).__name__}"
        raise MalformedEventError(f"{key}: must be a string; got {got}")
    if not low <= len(value) <= high:
        raise MalformedEventError(
            f"{key}: must be {low} to {high} characters long; got {len(value)}"
        )
    return value


@attrs.frozen(kw_only=True)
class RotationEvent:
    """The event Secrets Manager sends a rotation function, one per step.

    ``rotation_token`` (sent by newer invocations; passed on to PutSecretValue) is a credential
    and is left out of the repr.
    """

    secret_id: str
    client_request_token: str
    step: StepName
    rotation_token: str | None = attrs.field(default=None, repr=False)

    @property
    def token(self) -> str:
        """The version id this rotation creates (``ClientRequestToken``)."""
        return self.client_request_token

    @classmethod
    def from_dict(cls, event: Mapping[str, Any]) -> RotationEvent:
        """Parse a Lambda event; :class:`MalformedEventError` names the field that is wrong."""
        if not isinstance(event, Mapping):
            raise MalformedEventError(
                f"event: must be a mapping (the Lambda event); got a {type(event).__name__}"
            )
        secret_id = _check_str(event, "SecretId", 1, 2048)
        token = _check_str(event, "ClientRequestToken", 32, 64)
        step = event.get("Step")
        if step not in _STEPS:
            shown = repr(step)[:40] if isinstance(step, str) else type(step).__name__
            raise MalformedEventError(f"Step: must be one of {', '.join(_STEPS)}; got {shown}")
        rotation_token = None
        if event.get("RotationToken") is not None:
            # a credential: the message names the rule, never the value
            rotation_token = _check_str(event, "RotationToken", 36, 256)
        return cls(
            secret_id=secret_id,
            client_request_token=token,
            step=step,
            rotation_token=rotation_token,
        )


# -- values ---------------------------------------------------------------------------------------

_INVALID = object()


@attrs.frozen(kw_only=True)
class SecretValue:
    """One version of the secret as a step sees it; the value stays out of the repr."""

    version_id: str
    stages: tuple[str, ...]
    string: str | None = attrs.field(default=None, repr=False)
    binary: bytes | None = attrs.field(default=None, repr=False)

    def json(self) -> dict[str, Any]:
        """The value as a JSON object, or :class:`SecretFormatError` (which holds no value)."""
        data: Any = _INVALID
        if self.string is not None:
            # The error is raised below, not in an except block: the decode error holds the
            # whole document, and would stay reachable as the new error's __context__.
            with contextlib.suppress(JsonDocumentError):  # bad or too deeply nested JSON
                data = decode(self.string)
        if not isinstance(data, dict):
            raise SecretFormatError(f"version {self.version_id}: the value is not a JSON object")
        return data


@attrs.frozen(kw_only=True)
class PasswordOptions:
    """Arguments for GetRandomPassword; the defaults are those of AWS's database templates."""

    password_length: int = 32
    exclude_characters: str | None = ":/@\"'\\"
    exclude_numbers: bool = False
    exclude_punctuation: bool = False
    exclude_uppercase: bool = False
    exclude_lowercase: bool = False
    include_space: bool = False
    require_each_included_type: bool = True


# -- one invocation ---------------------------------------------------------------------------


class RotationStep:
    """One step of one rotation: the event, the client, and the secret's versions on demand.

    Values are read by stage (never by default, which some servers resolve to the pending
    version during a rotation) and kept for the rest of the step.
    """

    def __init__(
        self,
        event: RotationEvent,
        client: SecretsManagerClient,
        description: DescribeSecretResponse,
    ) -> None:
        self.event = event
        self.client = client
        #: DescribeSecret as read before the step ran
        self.description = description
        self._values: dict[str, SecretValue | None] = {}

    @property
    def secret_id(self) -> str:
        """The secret being rotated, as the event names it."""
        return self.event.secret_id

    @property
    def token(self) -> str:
        """The version id of the rotation (the pending version)."""
        return self.event.client_request_token

    @property
    def name(self) -> StepName:
        """``createSecret``, ``setSecret``, ``testSecret`` or ``finishSecret``."""
        return self.event.step

    @property
    def versions(self) -> dict[str, list[str]]:
        """Version id -> staging labels, as read before the step ran."""
        return dict(self.description.version_ids_to_stages or {})

    async def current(self) -> SecretValue:
        """The AWSCURRENT version (ResourceNotFoundException if it has no value)."""
        value = await self._read(CURRENT, None, missing_ok=False)
        assert value is not None
        return value

    async def pending(self) -> SecretValue:
        """The AWSPENDING version this rotation created (it must exist)."""
        value = await self.pending_or_none()
        if value is None:
            raise InvalidTokenError(
                f"{self.name}: secret {self.secret_id} has no {PENDING} value "
                f"for version {self.token}; createSecret has not run"
            )
        return value

    async def pending_or_none(self) -> SecretValue | None:
        """The AWSPENDING version with this rotation's token, or None if it has no value yet."""
        return await self._read(PENDING, self.token)

    async def previous(self) -> SecretValue | None:
        """The AWSPREVIOUS version, or None if there is none."""
        return await self._read(PREVIOUS, None)

    async def _read(
        self, stage: str, version_id: str | None, *, missing_ok: bool = True
    ) -> SecretValue | None:
        key = f"{stage}/{version_id}"
        if key in self._values:
            return self._values[key]
        try:
            got = await self.client.get_secret_value(
                secret_id=self.secret_id, version_stage=stage, version_id=version_id
            )
        except ResourceNotFoundException:
            if not missing_ok:
                raise
            value = None
        else:
            value = SecretValue(
                version_id=got.version_id or "",
                stages=tuple(got.version_stages or ()),
                string=got.secret_string,
                binary=got.secret_binary,
            )
        self._values[key] = value
        return value


# -- the handler ------------------------------------------------------------------------------


class RotationHandler(ABC):
    """The four steps of a rotation; subclass it and implement :meth:`set_secret` and
    :meth:`test_secret`.

    :meth:`create_secret` and :meth:`finish_secret` do what AWS's templates do; override them
    (or :meth:`new_value`) to change that. ``password_key`` names the field of the JSON secret
    that :meth:`create_secret` replaces with a password from GetRandomPassword (``password``).

    ``await handler.handle(event)`` runs one step inside your event loop. :meth:`lambda_handler`
    is the synchronous Lambda entry point: it keeps one private event loop for the execution
    environment, so the client and its connections are reused across invocations.
    """

    def __init__(
        self,
        client: SecretsManagerClient,
        *,
        password_key: str = "password",  # noqa: S107 - a key name, not a password
        password: PasswordOptions | None = None,
    ) -> None:
        self.client = client
        self.password_key = password_key
        self.password_options = password or PasswordOptions()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_lock = threading.Lock()
        self._closed = False

    # -- entry points --------------------------------------------------------------------

    async def handle(self, event: RotationEvent | Mapping[str, Any]) -> None:
        """Check the secret and the token, then run the step the event names."""
        if not isinstance(event, RotationEvent):
            event = RotationEvent.from_dict(event)
        secret_id, token, name = event.secret_id, event.client_request_token, event.step
        description = await self.client.describe_secret(secret_id=secret_id)
        if description.rotation_enabled is not True:
            logger.error("%s: secret %s is not enabled for rotation", name, secret_id)
            raise RotationNotEnabledError(f"secret {secret_id} is not enabled for rotation")
        stages = (description.version_ids_to_stages or {}).get(token)
        if stages is None:
            logger.error("%s: version %s is not a version of secret %s", name, token, secret_id)
            raise InvalidTokenError(f"version {token} is not a version of secret {secret_id}")
        if CURRENT in stages:
            logger.info(
                "%s: version %s of secret %s is already %s; nothing to do",
                name,
                token,
                secret_id,
                CURRENT,
            )
            return
        if PENDING not in stages:
            logger.error("%s: version %s of secret %s is not %s", name, token, secret_id, PENDING)
            raise InvalidTokenError(f"version {token} of secret {secret_id} is not {PENDING}")
        step = RotationStep(event, self.client, description)
        logger.info("%s: secret %s, version %s", name, secret_id, token)
        await getattr(self, _METHODS[name])(step)

    def lambda_handler(self, event: Mapping[str, Any], context: object = None) -> None:
        """The synchronous Lambda handler: run one step on this environment's private loop."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise RuntimeError(
                "lambda_handler runs its own event loop; in async code, "
                "await handler.handle(event) instead"
            )
        # Lambda sends one event at a time per environment; the lock keeps the loop to one
        # thread if something else does not.
        with self._loop_lock:
            if self._closed:
                raise RotationError("the rotation handler is closed")
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.handle(event))

    def close(self) -> None:
        """Close the client and the private loop :meth:`lambda_handler` used (if any).

        Lambda never needs this (the environment ends with the process); tests and scripts do.
        """
        with self._loop_lock:
            if self._closed:
                return
            self._closed = True
            loop, self._loop = self._loop, None
            if loop is not None:
                try:
                    loop.run_until_complete(self.client.close())
                    loop.run_until_complete(loop.shutdown_asyncgens())
                finally:
                    loop.close()

    # -- the steps -----------------------------------------------------------------------

    async def create_secret(self, step: RotationStep) -> None:
        """Put a new AWSPENDING version with the event's token, unless it already exists."""
        current = await step.current()
        if await step.pending_or_none() is not None:
            logger.info(
                "createSecret: version %s of secret %s already has a value",
                step.token,
                step.secret_id,
            )
            return
        value = await self.new_value(step, current)
        await self.client.put_secret_value(
            secret_id=step.secret_id,
            client_request_token=step.token,
            secret_string=value,
            version_stages=[PENDING],
            rotation_token=step.event.rotation_token,
        )
        logger.info(
            "createSecret: put version %s of secret %s as %s", step.token, step.secret_id, PENDING
        )

    async def new_value(self, step: RotationStep, current: SecretValue) -> str:
        """The pending value: the current JSON object with a new password at ``password_key``."""
        data = current.json()
        data[self.password_key] = await self.random_password()
        return json.dumps(data)

    async def random_password(self) -> str:
        """A new password from GetRandomPassword, with :attr:`password_options`."""
        got = await self.client.get_random_password(**attrs.asdict(self.password_options))
        if not got.random_password:
            raise RotationError("GetRandomPassword returned no password")
        return got.random_password

    @abstractmethod
    async def set_secret(self, step: RotationStep) -> None:
        """Make the protected service accept the pending value (``await step.pending()``)."""

    @abstractmethod
    async def test_secret(self, step: RotationStep) -> None:
        """Check that the pending value works; raise to stop the rotation."""

    async def finish_secret(self, step: RotationStep) -> None:
        """Move AWSCURRENT to the token's version, removing it from the version that had it."""
        current_version = next(
            (v for v, stages in step.versions.items() if CURRENT in stages), None
        )
        if current_version == step.token:  # pragma: no cover - handle() returns before this
            return
        await self.client.update_secret_version_stage(
            secret_id=step.secret_id,
            version_stage=CURRENT,
            move_to_version_id=step.token,
            remove_from_version_id=current_version,
        )
        logger.info(
            "finishSecret: moved %s of secret %s from version %s to version %s",
            CURRENT,
            step.secret_id,
            current_version,
            step.token,
        )


# -- strategies for database-style credentials ----------------------------------------------------


def _require(data: Mapping[str, Any], key: str, stage: str) -> Any:
    if key not in data:
        raise SecretFormatError(f"the {stage} value has no {key!r} key")
    return data[key]


class _UserRotation(RotationHandler):
    """What both strategies share: a login check, and testSecret built on it."""

    #: keys that must be equal in the pending and the working credentials (when present)
    match_keys: ClassVar[tuple[str, ...]] = ("host",)

    def __init__(
        self,
        client: SecretsManagerClient,
        *,
        username_key: str = "username",
        password_key: str = "password",  # noqa: S107 - a key name, not a password
        password: PasswordOptions | None = None,
    ) -> None:
        super().__init__(client, password_key=password_key, password=password)
        self.username_key = username_key

    @abstractmethod
    async def login_works(self, credentials: dict[str, Any]) -> bool:
        """Whether ``credentials`` (a secret's JSON object) can log in to the service."""

    def _require_match(
        self, step: RotationStep, pending: Mapping[str, Any], other: Mapping[str, Any], label: str
    ) -> None:
        for key in self.match_keys:
            if pending.get(key) != other.get(key):
                raise SecretFormatError(
                    f"{step.name}: the {key!r} of the {PENDING} value differs from the {label} "
                    f"value's (secret {step.secret_id})"
                )

    async def test_secret(self, step: RotationStep) -> None:
        """The pending credentials must log in."""
        if not await self.login_works((await step.pending()).json()):
            logger.error(
                "testSecret: the %s credentials of secret %s (version %s) do not log in",
                PENDING,
                step.secret_id,
                step.token,
            )
            raise CredentialsRejectedError(
                f"testSecret: the {PENDING} credentials of secret {step.secret_id} "
                f"(version {step.token}) do not log in"
            )
        logger.info("testSecret: the %s credentials of secret %s log in", PENDING, step.secret_id)


class SingleUserRotation(_UserRotation):
    """AWS's single-user scheme: one user whose password is changed in place.

    Implement :meth:`login_works` and :meth:`change_password`. setSecret logs in with the
    current credentials (or, if they no longer work, the previous ones) and sets the user's
    password to the pending one; it does nothing if the pending credentials already work.
    """

    match_keys: ClassVar[tuple[str, ...]] = ("username", "host")

    @abstractmethod
    async def change_password(self, login: dict[str, Any], new_password: str) -> None:
        """Log in with ``login`` and set that user's password to ``new_password``."""

    async def set_secret(self, step: RotationStep) -> None:
        """Set the pending password, logging in with the current or previous credentials."""
        pending = (await step.pending()).json()
        new_password = _require(pending, self.password_key, PENDING)
        if await self.login_works(pending):
            logger.info(
                "setSecret: the %s credentials of secret %s already log in",
                PENDING,
                step.secret_id,
            )
            return
        current = (await step.current()).json()
        self._require_match(step, pending, current, CURRENT)
        login: dict[str, Any] | None = current if await self.login_works(current) else None
        if login is None:
            previous_value = await step.previous()
            if previous_value is not None:
                previous = previous_value.json()
                self._require_match(step, pending, previous, PREVIOUS)
                if await self.login_works(previous):
                    login = previous
        if login is None:
            logger.error(
                "setSecret: neither the pending, current nor previous credentials of secret %s "
                "log in",
                step.secret_id,
            )
            raise CredentialsRejectedError(
                f"setSecret: neither the pending, current nor previous credentials of secret "
                f"{step.secret_id} log in"
            )
        await self.change_password(login, new_password)
        logger.info("setSecret: set the %s password of secret %s", PENDING, step.secret_id)


class AlternatingUsersRotation(_UserRotation):
    """AWS's alternating-users scheme: ``username`` and a clone take turns.

    Each rotation changes the password of the user that is *not* current, so the previous
    credentials keep working until the next rotation. An administrator's credentials, read from
    the secret named by the ``masterarn`` key of the current value (as in AWS's templates; see
    :meth:`admin_credentials`), create the clone on first use and set passwords. Implement
    :meth:`login_works` and :meth:`set_user_password`.
    """

    clone_suffix: ClassVar[str] = "_clone"
    #: the key of the current value naming the administrator's secret
    admin_key: ClassVar[str] = "masterarn"
    #: the longest user name the service accepts (None: no limit)
    max_username_length: ClassVar[int | None] = None

    def alternate_username(self, username: str) -> str:
        """``name`` <-> ``name_clone``."""
        if username.endswith(self.clone_suffix):
            return username[: -len(self.clone_suffix)]
        alternate = username + self.clone_suffix
        if self.max_username_length is not None and len(alternate) > self.max_username_length:
            raise SecretFormatError(
                f"the alternate user name would be longer than {self.max_username_length} "
                "characters"
            )
        return alternate

    async def new_value(self, step: RotationStep, current: SecretValue) -> str:
        """The current value with the other user name and a new password."""
        data = current.json()
        data[self.username_key] = self.alternate_username(
            _require(data, self.username_key, CURRENT)
        )
        data[self.password_key] = await self.random_password()
        return json.dumps(data)

    async def admin_credentials(
        self, step: RotationStep, current: dict[str, Any]
    ) -> dict[str, Any]:
        """The administrator's credentials: the AWSCURRENT value of the secret at ``masterarn``."""
        admin_id = _require(current, self.admin_key, CURRENT)
        got = await self.client.get_secret_value(secret_id=admin_id, version_stage=CURRENT)
        return SecretValue(
            version_id=got.version_id or "",
            stages=tuple(got.version_stages or ()),
            string=got.secret_string,
        ).json()

    @abstractmethod
    async def set_user_password(
        self, admin: dict[str, Any], user: dict[str, Any], like: dict[str, Any]
    ) -> None:
        """As ``admin``, give ``user``'s user name ``user``'s password.

        Create the user if it does not exist, with the privileges of ``like``'s user (the
        current user).
        """

    async def set_secret(self, step: RotationStep) -> None:
        """Set the pending user's password as the administrator."""
        pending = (await step.pending()).json()
        if await self.login_works(pending):
            logger.info(
                "setSecret: the %s credentials of secret %s already log in",
                PENDING,
                step.secret_id,
            )
            return
        current = (await step.current()).json()
        current_user = _require(current, self.username_key, CURRENT)
        if _require(pending, self.username_key, PENDING) != self.alternate_username(current_user):
            raise SecretFormatError(
                f"setSecret: the {PENDING} user of secret {step.secret_id} is not the "
                "current user's alternate"
            )
        self._require_match(step, pending, current, CURRENT)
        # Only rotate credentials that work now: a secret naming someone else's account must
        # not get that account a new password (the templates' confused-deputy check).
        if not await self.login_works(current):
            raise CredentialsRejectedError(
                f"setSecret: the current credentials of secret {step.secret_id} do not log in"
            )
        admin = await self.admin_credentials(step, current)
        self._require_match(step, current, admin, "administrator")
        if not await self.login_works(admin):
            raise CredentialsRejectedError(
                f"setSecret: the administrator credentials for secret {step.secret_id} "
                "do not log in"
            )
        await self.set_user_password(admin, pending, current)
        logger.info("setSecret: set the %s password of secret %s", PENDING, step.secret_id)
