"""Typed errors: the only place that reads botocore error codes and urllib3 exceptions.

    LabError                      every error a user can see; .title, .action and .code
    ├── ThrottledError            429 ThrottlingException, ServiceQuotaExceededException, throttlingException
    ├── ModelNotReadyError        429 ModelNotReadyException
    ├── AccessDeniedError         403 AccessDeniedException
    ├── CredentialsError          no credentials, expired or unrecognised ones, unsigned requests
    ├── ModelNotFoundError        unknown model id or ARN, a model this app cannot speak to
    │   ├── ProfileRequiredError  the model needs an inference profile (us., eu., apac., global.)
    │   ├── ModelRetiredError     404: the model reached the end of its life (names its replacement)
    │   └── ModelLegacyError      404: a Legacy model this account has not used lately (names its replacement)
    ├── ValidationError           400 ValidationException: Bedrock rejected the request
    │   ├── ContextWindowError    the conversation does not fit the model's context window
    │   ├── CacheNotSupportedError  prompt-cache points the model or the request cannot take (Bedrock says
    │   │                         403 AccessDeniedException for it)
    │   └── InvalidRequestError   the lab's own refusal, before anything is sent (core.validation)
    ├── ModelTimeoutError         408 ModelTimeoutException, or no byte within the read timeout
    ├── ServiceError              500 / 503 / 424 before the stream: Bedrock or the model failed
    ├── StreamInterruptedError    the stream broke after it started (exception event, bad chunk)
    │   └── StreamIncompleteError the stream ended cleanly but without its closing events
    └── ConnectionLostError       the connection dropped or could not be made
        └── StreamSilentError     no byte for the idle guard's time once the answer had started
                                  (a half-open connection: no FIN, no RST)

Every message is written for the person using the app: what happened and what to do. The technical
code (`ThrottlingException`, `modelStreamErrorException`, `ProtocolError`, ...) is kept in `code`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import urllib3.exceptions
from botocore import exceptions as botocore_errors


class LabError(Exception):
    """An error shown to the user: `title` in plain words, `action` saying what to do, `code` for experts."""

    title = "Something went wrong"
    action = "Try again. If it keeps happening, check the technical details."
    transient = False  # worth retrying as is

    def __init__(self, detail: str = "", *, code: str = "", status: int | None = None,
                 action: str | None = None, field: str | None = None) -> None:
        self.detail = detail
        self.code = code or type(self).__name__
        self.status = status
        self.field = field  # the request field at fault, where one is (a refused parameter)
        if action is not None:
            self.action = action
        super().__init__(self.message)

    @property
    def message(self) -> str:
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.title}{detail}. {self.action}"


class ThrottledError(LabError):
    title = "Bedrock is throttling requests to this model"
    action = "Wait a few seconds and retry, or pick another model or region; a quota increase helps for good."
    transient = True


class ModelNotReadyError(LabError):
    title = "The model is not ready yet"
    action = "Wait a moment and retry."
    transient = True


class AccessDeniedError(LabError):
    title = "Your AWS account has no access to this model"
    action = "Request model access in the Bedrock console (Model access), or check the IAM permissions."


class CredentialsError(LabError):
    title = "No usable AWS credentials"
    action = ("Sign in from a terminal with `aws configure` (an access key) or `aws sso login --profile NAME` "
              "(single sign-on, then use that profile), or export a Bedrock API key in AWS_BEARER_TOKEN_BEDROCK and "
              "restart; or use the emulator backend, which needs none.")
    # The same advice for a screen that can show the commands in a code block, where no name wraps.
    steps = ("Sign in from a terminal with one of these (for single sign-on, type the profile in Profile), then "
             "check again:")

    @staticmethod
    def commands(profile: str | None = None) -> str:
        """The commands of `action`, one a line under a short comment, for `profile` where one is named; short
        lines, as a sidebar is narrow."""
        return (f"# an access key\naws configure{f' --profile {profile}' if profile else ''}\n"
                f"# single sign-on (SSO)\naws sso login --profile {profile or 'NAME'}\n"
                "# or a Bedrock API key,\n# then restart the app\nexport AWS_BEARER_TOKEN_BEDROCK=KEY")


class ModelNotFoundError(LabError):
    title = "Bedrock does not know this model id"
    action = "Pick a model from the list; check the region, and the id's spelling and version suffix."


class ProfileRequiredError(ModelNotFoundError):
    title = "This model is only available through an inference profile"
    action = "Use the id with a geography prefix, such as us. or eu. (us.anthropic.claude-...), or its profile ARN."


class ModelRetiredError(ModelNotFoundError):
    title = "This model has reached the end of its life on Bedrock"
    action = "Pick a current model from the list."

    def naming(self, name: str, replacement_name: str | None, replacement_id: str | None) -> ModelRetiredError:
        """The same error, saying which model was retired and which current model replaces it."""
        action = (f"{name} is no longer served. Pick {replacement_name} (`{replacement_id}`) instead: it replaces it."
                  if replacement_name else f"{name} is no longer served. Pick a current model from the list.")
        return type(self)(self.detail, code=self.code, status=self.status, action=action)


class ModelLegacyError(ModelRetiredError):
    title = "This model is Legacy and this account can no longer call it"
    action = "Legacy models stay open only to accounts that used them in the last weeks; pick a current model."

    def naming(self, name: str, replacement_name: str | None, replacement_id: str | None) -> ModelRetiredError:
        pick = (f"Pick {replacement_name} (`{replacement_id}`) instead: it replaces it." if replacement_name
                else "Pick a current model from the list.")
        action = f"{name} is Legacy: accounts that have not used it lately are refused. {pick}"
        return type(self)(self.detail, code=self.code, status=self.status, action=action)


class ValidationError(LabError):
    title = "Bedrock rejected the request"
    action = "Check the parameters against the model's limits (max tokens, temperature, top_p, stop sequences)."


class ContextWindowError(ValidationError):
    title = "The conversation is longer than the model's context window"
    action = "Shorten the conversation or the prompt, clear older turns, or pick a model with a larger window."


class CacheNotSupportedError(ValidationError):
    title = "This model or request does not take prompt caching"
    action = "Turn the prompt cache off for this model (Claude and Nova models take it), or check the cache points."


class InvalidRequestError(ValidationError):
    title = "The request was not sent"
    action = "Change what the details name and send again; nothing reached Bedrock."


class ModelTimeoutError(LabError):
    title = "The model took too long to answer"
    action = "Retry; for long answers raise the read timeout or lower max tokens."
    transient = True


class ServiceError(LabError):
    title = "Bedrock or the model failed to process the request"
    action = "Retry in a moment; if it persists, check the AWS Health Dashboard for Bedrock in this region."
    transient = True


class StreamInterruptedError(LabError):
    title = "The answer stopped part-way"
    action = "The text so far is kept. Retry to get a complete answer."
    transient = True


class StreamIncompleteError(StreamInterruptedError):
    title = "The answer ended without Bedrock's closing events"
    action = ("The text so far is kept, but it may be cut short and its token counts are unknown. "
              "Retry to get a complete answer.")


class ConnectionLostError(LabError):
    title = "The connection to Bedrock was lost"
    action = "Check the network (or that the endpoint is running) and retry; the text so far is kept."
    transient = True


class StreamSilentError(ConnectionLostError):
    title = "The connection went silent"
    action = ("No data arrived for a while after the answer had started, though the connection stayed open "
              "(a half-open connection). The text so far is kept; retry, or raise the idle guard for models "
              "that pause for long.")


_BY_CODE: dict[str, type[LabError]] = {
    "ThrottlingException": ThrottledError,
    "ServiceQuotaExceededException": ThrottledError,
    "TooManyRequestsException": ThrottledError,
    "ModelNotReadyException": ModelNotReadyError,
    "AccessDeniedException": AccessDeniedError,
    "ResourceNotFoundException": ModelNotFoundError,
    "ValidationException": ValidationError,
    "ModelTimeoutException": ModelTimeoutError,
    "InternalServerException": ServiceError,
    "ServiceUnavailableException": ServiceError,
    "ModelErrorException": ServiceError,
    "ModelStreamErrorException": StreamInterruptedError,
    "MissingAuthenticationTokenException": CredentialsError,
    "UnrecognizedClientException": CredentialsError,
    "InvalidSignatureException": CredentialsError,
    "ExpiredTokenException": CredentialsError,
    "ExpiredToken": CredentialsError,
    "IncompleteSignatureException": CredentialsError,
    "InvalidClientTokenId": CredentialsError,
}
# Exception events inside a stream arrive with lowerCamel codes (botocore's EventStreamError).
_IN_STREAM: dict[str, type[LabError]] = {
    "throttlingException": ThrottledError,
    "modelStreamErrorException": StreamInterruptedError,
    "internalServerException": StreamInterruptedError,
    "serviceUnavailableException": StreamInterruptedError,
    "modelTimeoutException": ModelTimeoutError,
    "validationException": ValidationError,
}
# The codes a run records when Bedrock throttled it (before or during the stream), for throttling rates.
THROTTLING_CODES = frozenset(code for table in (_BY_CODE, _IN_STREAM) for code, kind in table.items()
                             if kind is ThrottledError)


def _from_client_error(error: botocore_errors.ClientError) -> LabError:
    info: dict[str, Any] = error.response.get("Error", {})
    code = str(info.get("Code", "Unknown"))
    message = str(info.get("Message", ""))
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    in_stream = isinstance(error, botocore_errors.EventStreamError)
    kind = (_IN_STREAM if in_stream else _BY_CODE).get(code) or _BY_CODE.get(code[:1].upper() + code[1:], LabError)
    if kind is AccessDeniedError and "did not allow prompt caching" in message.lower():
        kind = CacheNotSupportedError  # Bedrock's 403 for a cache point on a model or request without caching
    if kind is ModelNotFoundError:
        lowered = message.lower()
        if "end of its life" in lowered:
            kind = ModelRetiredError
        elif "as legacy" in lowered:
            kind = ModelLegacyError
    if kind is ValidationError:
        lowered = message.lower()
        if "too long" in lowered or "context window" in lowered or "context length" in lowered:
            kind = ContextWindowError
        elif "inference profile" in lowered:
            kind = ProfileRequiredError
        elif "model identifier is invalid" in lowered:
            kind = ModelNotFoundError
    return kind(message, code=code, status=status)


def classify(error: BaseException) -> LabError:
    """The LabError for anything boto3, botocore or urllib3 raised while running a request."""
    if isinstance(error, LabError):
        return error
    if isinstance(error, botocore_errors.ClientError):  # includes EventStreamError
        return _from_client_error(error)
    if isinstance(error, (botocore_errors.NoCredentialsError, botocore_errors.PartialCredentialsError,
                          botocore_errors.NoAuthTokenError)):
        return CredentialsError(str(error), code=type(error).__name__)
    if isinstance(error, botocore_errors.TokenRetrievalError | botocore_errors.SSOTokenLoadError):
        return CredentialsError("the SSO session has expired", code=type(error).__name__)
    if isinstance(error, botocore_errors.ProfileNotFound):
        return CredentialsError(str(error), code="ProfileNotFound")
    if isinstance(error, (botocore_errors.ReadTimeoutError, urllib3.exceptions.ReadTimeoutError)):
        return ModelTimeoutError("no data within the read timeout", code="ReadTimeoutError")
    if isinstance(error, (botocore_errors.ConnectTimeoutError, botocore_errors.EndpointConnectionError,
                          botocore_errors.ConnectionClosedError, botocore_errors.ResponseStreamingError,
                          urllib3.exceptions.ProtocolError, urllib3.exceptions.HTTPError, ConnectionError)):
        return ConnectionLostError(str(error).split(":")[0], code=type(error).__name__)
    return LabError(f"{type(error).__name__}: {error}", code=type(error).__name__)


def _kinds(kind: type[LabError] = LabError) -> Iterator[type[LabError]]:
    yield kind
    for sub in kind.__subclasses__():
        yield from _kinds(sub)


def explain(code: str, message: str) -> tuple[str, str]:
    """The title and the advice of an error a record describes by its code and message (a reopened conversation):
    the error type whose title the message starts with (the longest: the most specific), its advice as the message
    says it (a custom one included), else the code's type."""
    kinds = sorted((kind for kind in _kinds() if message.startswith(kind.title)), key=lambda k: -len(k.title))
    if not kinds:
        kind = _IN_STREAM.get(code) or _BY_CODE.get(code) or _BY_CODE.get(code[:1].upper() + code[1:], LabError)
        return kind.title, kind.action
    kind = kinds[0]
    if message.endswith(kind.action):
        return kind.title, kind.action
    rest = message[len(kind.title):]
    if rest.startswith(" ("):  # "Title (detail). Advice": the detail may hold ". " itself
        closing = rest.rfind("). ")
        rest = rest[closing + 1:] if closing >= 0 else rest
    return kind.title, rest.removeprefix(".").strip() or kind.action
