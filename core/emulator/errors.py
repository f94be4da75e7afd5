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
# The two lifecycle 404s, word for word (bedrock-2026.md: GenAIIDP#708; amazon-bedrock-workshop#386, llmeter#35).
END_OF_LIFE = ("This model version has reached the end of its life. Please refer to the AWS documentation for more "
               "details.")
LEGACY_UNUSED = ("Access denied. This Model is marked by provider as Legacy and you have not been actively using the "
                 "model in the last 30 days. Please upgrade to an active model on Amazon Bedrock")


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


def not_found(message: str) -> BedrockError:
    return BedrockError("ResourceNotFoundException", message)


def model_error(message: str) -> BedrockError:
    """What Converse says when the underlying model rejected the request."""
    return validation("The model returned the following errors: " + message)
