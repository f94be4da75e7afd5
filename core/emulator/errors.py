"""Errors the emulator returns, as Bedrock returns them: status, `x-amzn-ErrorType`, JSON message."""

from __future__ import annotations

from dataclasses import dataclass

_STATUS = {
    "ValidationException": 400,
    "ServiceQuotaExceededException": 400,
    "AccessDeniedException": 403,
    "MissingAuthenticationTokenException": 403,
    "ResourceNotFoundException": 404,
    "ModelTimeoutException": 408,
    "ModelErrorException": 424,
    "ModelStreamErrorException": 424,
    "ThrottlingException": 429,
    "ModelNotReadyException": 429,
    "InternalServerException": 500,
    "ServiceUnavailableException": 503,
}

INVALID_MODEL = "The provided model identifier is invalid."
NO_STREAMING = "The model is unsupported for streaming."
TOO_LONG = "Input is too long for requested model."


@dataclass
class BedrockError(Exception):
    """An error response. `code` is the modelled shape name (ThrottlingException, ...)."""

    code: str
    message: str

    @property
    def status(self) -> int:
        return _STATUS[self.code]


def validation(message: str) -> BedrockError:
    return BedrockError("ValidationException", message)


def malformed(problems: list[str]) -> BedrockError:
    """The message Bedrock's JSON-schema check writes for an InvokeModel body it cannot accept."""
    return validation("Malformed input request: " + "".join(problems) + ", please reformat your input and try again.")


def model_error(message: str) -> BedrockError:
    """What Converse says when the underlying model rejected the request."""
    return validation("The model returned the following errors: " + message)
