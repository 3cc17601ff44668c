"""Our own descriptions of the operations' parameters and errors, for the generated docstrings.

``codegen/generate.py`` carries these into each method's docstring, together with the type and
the constraints (length, range, pattern, allowed values) it reads from the service model. The
model's documentation prose is not copied: every sentence here is ours. A test fails when an
operation parameter or a modeled error has no entry.

``PARAMETERS`` is keyed by the member name in the model; ``OVERRIDES`` by
``"Operation.Member"`` where one operation gives a member a different meaning.
"""

from __future__ import annotations

PARAMETERS: dict[str, str] = {
    "AddReplicaRegions": "Regions to replicate the secret to, each with an optional KMS key.",
    "BlockPublicPolicy": "Refuse a policy that would grant broad access to the secret.",
    "ClientRequestToken": (
        "Idempotency token that becomes the new version's id; omit it and the client sends a "
        "fresh UUID, the same on every retry of this call."
    ),
    "CrossAccountPrimaryARN": "ARN of the primary secret in the other account.",
    "CrossAccountReplicaARN": "ARN of the replica secret in the other account.",
    "Description": "Free text shown with the secret's details.",
    "ExcludeCharacters": "Characters the password must not contain.",
    "ExcludeLowercase": "Leave lowercase letters out of the password.",
    "ExcludeNumbers": "Leave digits out of the password.",
    "ExcludePunctuation": "Leave punctuation out of the password.",
    "ExcludeUppercase": "Leave uppercase letters out of the password.",
    "ExternalSecretRotationMetadata": "Key/value settings passed to an external rotation partner.",
    "ExternalSecretRotationRoleArn": "Role the service assumes to rotate an external secret.",
    "Filters": "Filters on name, description, tags and more; a secret must match all of them.",
    "ForceDeleteWithoutRecovery": (
        "Delete at once, with no recovery window (the secret cannot be restored)."
    ),
    "ForceOverwriteReplicaSecret": (
        "Overwrite a secret of the same name that already exists in a replica region."
    ),
    "IncludeDeprecated": "Also list versions that have no staging label.",
    "IncludePlannedDeletion": "Also list secrets scheduled for deletion.",
    "IncludeSpace": "Allow the space character in the password.",
    "KmsKeyId": "KMS key (id, ARN or alias) that encrypts the value; default: the AWS managed key.",
    "MaxResults": "Largest number of entries on one page; the service may return fewer.",
    "MoveToVersionId": "Version that receives the label.",
    "Name": "Name of the new secret; a path such as ``prod/db`` is fine.",
    "NextToken": "Token from the previous page's ``next_token``, to read the next page.",
    "PasswordLength": "Length of the password (default 32).",
    "PolicyName": "Name of the resource policy.",
    "RecoveryWindowInDays": "Days before the deletion becomes final (7 to 30; default 30).",
    "RemoveFromVersionId": "Version that currently holds the label and loses it.",
    "RemoveReplicaRegions": "Regions whose replicas are deleted.",
    "ReplicaRestriction": "Which accounts the replica may live in.",
    "ReplicationRoleARN": "Role the service assumes to write the replica.",
    "RequireEachIncludedType": "Include at least one character of every allowed kind.",
    "ResourcePolicy": "The policy document, as JSON text.",
    "RotateImmediately": "Start a rotation now (default) rather than at the next scheduled time.",
    "RotationLambdaARN": "ARN of the Lambda function that rotates the secret.",
    "RotationRules": "When rotation runs: every N days, or on a schedule expression.",
    "RotationToken": (
        "Token of a rotation in progress, passed on by a rotation function (kept out of reprs)."
    ),
    "SecretBinary": "The value as bytes; give this or ``secret_string`` (kept out of reprs).",
    "SecretId": "The secret's name, full ARN or partial ARN.",
    "SecretIdList": "Names or ARNs of the secrets to read; give this or ``filters``.",
    "SecretString": "The value as text; give this or ``secret_binary`` (kept out of reprs).",
    "SortBy": "Field the listing is sorted by.",
    "SortOrder": "Sort direction.",
    "TagKeys": "Keys of the tags to remove.",
    "Tags": "Labels to attach, as ``Tag(key=..., value=...)``.",
    "Type": "Kind of secret, for secrets managed by a partner.",
    "VersionId": "Id of the version to read; default: the version labelled ``AWSCURRENT``.",
    "VersionStage": "Staging label of the version to read (default ``AWSCURRENT``).",
    "VersionStages": "Staging labels to attach to the new version (default ``AWSCURRENT``).",
}

OVERRIDES: dict[str, str] = {
    "BatchGetSecretValue.MaxResults": "Largest number of secrets on one page (with ``filters``).",
    "DescribeSecret.SecretId": "The secret's name, full ARN or partial ARN.",
    "ListSecretVersionIds.MaxResults": "Largest number of versions on one page.",
    "ListSecrets.Filters": "Filters on name, description, tags and more; all must match.",
    "PutSecretValue.ClientRequestToken": (
        "Idempotency token that becomes the new version's id; omit it and the client sends a "
        "fresh UUID, the same on every retry of this call."
    ),
    "ReplicateSecretToRegions.SecretId": "The primary secret's name or ARN.",
    "RotateSecret.ClientRequestToken": (
        "Idempotency token that becomes the id of the version the rotation creates; omit it "
        "and the client sends a fresh UUID, the same on every retry of this call."
    ),
    "StopReplicationToReplica.SecretId": "ARN of the replica, called in the replica's region.",
    "UpdateSecret.Description": "New description.",
    "UpdateSecret.KmsKeyId": "New KMS key for the value; the next new version uses it.",
    "UpdateSecretVersionStage.VersionStage": "The staging label to move.",
    "CancelRotateSecret.SecretId": "The secret's name or ARN.",
    "AssociateCrossAccountReplica.SecretId": "The local secret's name or ARN.",
    "DisassociateCrossAccountReplica.SecretId": "The local secret's name or ARN.",
}

ERRORS: dict[str, str] = {
    "DecryptionFailure": "KMS could not decrypt the value with the key it was encrypted with.",
    "EncryptionFailure": "KMS could not encrypt the value (key disabled, wrong key, no access).",
    "InternalServiceError": "The service failed; retried, then raised.",
    "InvalidNextTokenException": "The pagination token is not valid.",
    "InvalidParameterException": "A parameter value is not valid for the service.",
    "InvalidRequestException": (
        "The request is not valid in the secret's current state (e.g. scheduled for deletion)."
    ),
    "LimitExceededException": "A quota was reached (e.g. number of versions or secrets).",
    "MalformedPolicyDocumentException": "The policy document is not valid.",
    "PreconditionNotMetException": "A condition for the request is not met.",
    "PublicPolicyException": "The policy would grant broad access and ``block_public_policy``.",
    "ResourceExistsException": "A secret with this name, or a version with this token, exists.",
    "ResourceNotFoundException": "No such secret (or no such version or label).",
}

#: errors every operation may raise, after the modeled ones
COMMON_ERRORS: dict[str, str] = {
    "ParamValidationError": "An argument breaks a rule above; raised before anything is sent.",
    "ServiceError": "Any other error code from the service (throttling after retries, ...).",
    "TransportError": "Connection failure, timeout or oversized response (after retries).",
    "NoCredentialsError": "No credentials were found in the chain.",
}
