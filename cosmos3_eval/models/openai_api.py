"""``openai``: a reasoner behind an OpenAI-compatible chat completions API (vLLM, NIM, serve).

Messages follow the Qwen3-VL conventions that vLLM serves; the codec (images, the three
``video_mode`` options, ``"A. ..."`` multiple-choice lines) is
:mod:`cosmos3_eval.protocols.openai`, shared with ``serve``.

``seed`` and ``temperature`` are passed through. The request seed makes a sampling server
reproducible; if sampling (``temperature > 0``) is asked for without sending the seed the
adapter reports ``deterministic = False`` and the response cache bypasses it.

The API key is read from the environment variable named by ``api_key_env``; it is never
stored on the model's info, never logged, never written to results.
"""

from __future__ import annotations

import os
from typing import Any

from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.model_args import declare_args
from cosmos3_eval.api.redact import redact_url
from cosmos3_eval.api.types import QARequest, TextOutput
from cosmos3_eval.api.wire import WireCounter
from cosmos3_eval.errors import ConfigError, ModelOutputError, UserError
from cosmos3_eval.models.http_retry import (
    RetryPolicy,
    Verdict,
    call_with_retry,
    map_concurrent,
    parse_retry_after,
    public_params,
    retryable_status,
)
from cosmos3_eval.protocols.openai import VIDEO_MODES, build_messages


def classify_openai_error(exc: BaseException) -> Verdict:
    """Retry 429 (with its Retry-After), 5xx, timeouts and connection errors."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        headers = exc.response.headers if exc.response is not None else None
        return Verdict(retryable_status(exc.status_code), parse_retry_after(headers))
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return Verdict(True)
    return Verdict(False)


@declare_args
class OpenAIChatModel:
    """Answers questions through an OpenAI-compatible ``/v1/chat/completions`` endpoint.

    Args:
        base_url: API root, e.g. ``http://127.0.0.1:8000/v1``.
        model: Served model name sent in each request.
        api_key_env: Name of the environment variable holding the API key (``None``: no key,
            as vLLM without ``--api-key``).
        max_concurrency: Requests in flight at once.
        timeout: Per-request timeout in seconds.
        max_retries: Retries per request (429, 5xx, timeouts, dropped connections).
        backoff: First retry delay in seconds (doubles each retry, plus jitter).
        max_backoff: Cap on one delay, including a server's Retry-After.
        temperature: Sampling temperature (0 = greedy).
        max_tokens: Completion length limit.
        send_seed: Send each request's seed (makes sampling reproducible and cacheable).
        image_format: ``png`` (lossless) or ``jpeg``.
        video_mode: ``frames``, ``video_url`` or ``images`` (see the module docstring).
        system_prompt: Optional system message.
        revision: Free-form revision recorded in the manifest (e.g. checkpoint step).
    """

    transport_params = ("max_concurrency", "timeout", "max_retries", "backoff", "max_backoff")
    """Args that change how requests travel, never what comes back (kept out of cache keys)."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000/v1",
        model: str = "default",
        api_key_env: str | None = None,
        max_concurrency: int = 8,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        temperature: float = 0.0,
        max_tokens: int = 64,
        send_seed: bool = True,
        image_format: str = "png",
        video_mode: str = "frames",
        system_prompt: str | None = None,
        revision: str = "",
    ):
        import openai

        if video_mode not in VIDEO_MODES:
            raise ConfigError(
                f"openai: video_mode must be one of {VIDEO_MODES}, not {video_mode!r}"
            )
        if image_format not in ("png", "jpeg"):
            raise ConfigError(f"openai: image_format must be png or jpeg, not {image_format!r}")
        if max_concurrency < 1 or timeout <= 0 or max_retries < 0:
            raise ConfigError("openai: need max_concurrency >= 1, timeout > 0, max_retries >= 0")
        api_key = "EMPTY"  # vLLM's convention for a server started without --api-key
        if api_key_env:
            if api_key_env not in os.environ:
                raise UserError(f"openai: environment variable '{api_key_env}' is not set")
            api_key = os.environ[api_key_env]
        # max_retries=0: the retry policy is ours (see http_retry), the same for every adapter.
        self.wire = WireCounter()
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key,
            max_retries=0,
            timeout=timeout,
            http_client=openai.DefaultHttpxClient(event_hooks=self.wire.httpx_hooks()),
        )
        self.model = model
        self.temperature = float(temperature)
        self.max_tokens = int(max_tokens)
        self.send_seed = bool(send_seed)
        self.image_format = image_format
        self.video_mode = video_mode
        self.system_prompt = system_prompt
        self.max_concurrency = int(max_concurrency)
        self.policy = RetryPolicy(int(max_retries), float(backoff), float(max_backoff))
        self.deterministic = self.temperature == 0.0 or self.send_seed
        """False when sampling is not reproducible: the cache must not store its outputs."""
        params = public_params(
            {
                "base_url": base_url,
                "model": model,
                "api_key_env": api_key_env,
                "max_concurrency": max_concurrency,
                "timeout": timeout,
                "max_retries": max_retries,
                "temperature": temperature,
                "max_tokens": max_tokens,
                "send_seed": send_seed,
                "image_format": image_format,
                "video_mode": video_mode,
                "system_prompt": system_prompt,
            }
        )
        self.info = ModelInfo(name="openai", revision=revision or model, params=params)

    def __repr__(self) -> str:  # the client's repr is never shown: it holds the key
        url = redact_url(str(self._client.base_url))
        return f"OpenAIChatModel(base_url={url}, model={self.model!r})"

    def _one(self, request: QARequest) -> TextOutput:
        messages = build_messages(request, self.image_format, self.video_mode, self.system_prompt)
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.send_seed:
            kwargs["seed"] = int(request.seed)
        import openai

        try:
            response = call_with_retry(
                lambda: self._client.chat.completions.create(**kwargs),
                self.policy,
                classify_openai_error,
            )
        except (ValueError, openai.APIResponseValidationError) as exc:
            # A 200 whose body is not a chat completion (malformed JSON, wrong schema).
            raise ModelOutputError(f"openai: malformed response ({exc})") from exc
        choices = getattr(response, "choices", None)
        if not choices:
            raise ModelOutputError(f"openai: response has no choices ({type(response).__name__})")
        text = choices[0].message.content
        return TextOutput(text if isinstance(text, str) else "")

    def answer(self, requests: list[QARequest]) -> list[TextOutput | Exception]:
        """Answer each request over the API, ``max_concurrency`` at a time.

        A request that still fails after the retries yields its exception in its slot.
        """
        return map_concurrent(self._one, requests, self.max_concurrency)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()
