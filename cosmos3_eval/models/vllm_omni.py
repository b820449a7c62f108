"""``vllm-omni``: a generator behind vLLM-Omni's HTTP endpoints (or ``cosmos3-eval serve``).

The wire format (JSON ``/v1/images/generations``, multipart ``/v1/videos/sync`` with the
cosmos3-eval extensions for conditioning videos and actions) is
:mod:`cosmos3_eval.protocols.vllm_omni`, shared with ``serve --protocol vllm-omni``.

Every response is validated: decodable media, the requested size and frame count; otherwise
that sample records a :class:`~cosmos3_eval.errors.ModelOutputError`. Transport faults follow
the shared retry policy (:mod:`cosmos3_eval.models.http_retry`).
"""

from __future__ import annotations

import time
from typing import Any

from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.model_args import declare_args
from cosmos3_eval.api.redact import redact_url
from cosmos3_eval.api.types import (
    ActionChunk,
    I2VRequest,
    ImageOutput,
    InverseDynamicsRequest,
    T2IRequest,
    VideoActionOutput,
    VideoActRequest,
    VideoOutput,
)
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
from cosmos3_eval.protocols import vllm_omni as wire
from cosmos3_eval.protocols import vllm_omni_policy as policy_wire


class HTTPStatusFault(Exception):
    """A non-2xx response (kept separate from httpx's so the classifier sees the headers)."""

    def __init__(self, status: int, body: str, headers: dict[str, str]):
        super().__init__(f"HTTP {status}: {body[:200]}")
        self.status = status
        self.headers = headers


def classify_httpx_error(exc: BaseException) -> Verdict:
    """Retry 429 (with its Retry-After), 5xx, timeouts and dropped connections."""
    import httpx

    if isinstance(exc, HTTPStatusFault):
        return Verdict(retryable_status(exc.status), parse_retry_after(exc.headers))
    if isinstance(exc, httpx.TransportError):  # timeouts, connect errors, dropped connections
        return Verdict(True)
    return Verdict(False)


@declare_args
class VllmOmniModel:
    """Generates images and videos over vLLM-Omni's HTTP API.

    Args:
        base_url: Server root, e.g. ``http://127.0.0.1:8091`` (``/v1/...`` is appended).
        model: Served model name sent in each request.
        api_key_env: Name of the environment variable holding a bearer token, if any.
        max_concurrency: Requests in flight at once.
        timeout: Per-request timeout in seconds (video generation is slow: set it high).
        max_retries: Retries per request (429, 5xx, timeouts, dropped connections).
        backoff: First retry delay in seconds (doubles each retry, plus jitter).
        max_backoff: Cap on one delay, including a server's Retry-After.
        revision: Free-form revision recorded in the manifest.
    """

    transport_params = ("max_concurrency", "timeout", "max_retries", "backoff", "max_backoff")
    """Args that change how requests travel, never what comes back (kept out of cache keys)."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8091",
        model: str = "default",
        api_key_env: str | None = None,
        max_concurrency: int = 4,
        timeout: float = 600.0,
        max_retries: int = 4,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        revision: str = "",
    ):
        import os

        import httpx

        if max_concurrency < 1 or timeout <= 0 or max_retries < 0:
            raise ConfigError("vllm-omni: need max_concurrency >= 1, timeout > 0, max_retries >= 0")
        headers = {}
        if api_key_env:
            if api_key_env not in os.environ:
                raise UserError(f"vllm-omni: environment variable '{api_key_env}' is not set")
            headers["Authorization"] = f"Bearer {os.environ[api_key_env]}"
        self.wire = WireCounter()
        self._client = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers=headers,
            timeout=timeout,
            limits=httpx.Limits(max_connections=max_concurrency),
            event_hooks=self.wire.httpx_hooks(),
        )
        self.model = model
        self.max_concurrency = int(max_concurrency)
        self.policy = RetryPolicy(int(max_retries), float(backoff), float(max_backoff))
        params = public_params(
            {
                "base_url": base_url,
                "model": model,
                "api_key_env": api_key_env,
                "max_concurrency": max_concurrency,
                "timeout": timeout,
                "max_retries": max_retries,
            }
        )
        self.info = ModelInfo(name="vllm-omni", revision=revision or model, params=params)

    def __repr__(self) -> str:
        url = redact_url(str(self._client.base_url))
        return f"VllmOmniModel(base_url={url}, model={self.model!r})"

    def _post(self, path: str, request_id: str, **kwargs: Any) -> Any:
        def attempt() -> Any:
            resp = self._client.post(path, headers={"X-Request-Id": request_id}, **kwargs)
            if resp.status_code >= 400:
                raise HTTPStatusFault(resp.status_code, resp.text, dict(resp.headers))
            return resp

        return call_with_retry(attempt, self.policy, classify_httpx_error)

    def _image(self, r: T2IRequest) -> ImageOutput:
        resp = self._post(wire.IMAGES_PATH, r.id, json=wire.t2i_body(r, self.model))
        return wire.image_from_response(resp.content, r)

    def _video(self, r: I2VRequest) -> VideoOutput:
        form = wire.i2v_form(r, self.model)
        resp = self._post(wire.VIDEOS_PATH, r.id, data=form.fields, files=form.files)
        return wire.video_from_response(resp.content, r)

    def generate_images(self, requests: list[T2IRequest]) -> list[ImageOutput | Exception]:
        """One ``/v1/images/generations`` call per request, ``max_concurrency`` at a time."""
        return map_concurrent(self._image, requests, self.max_concurrency)

    def generate_videos(self, requests: list[I2VRequest]) -> list[VideoOutput | Exception]:
        """One ``/v1/videos/sync`` call per request, ``max_concurrency`` at a time."""
        return map_concurrent(self._video, requests, self.max_concurrency)

    def _get(self, path: str, request_id: str) -> Any:
        def attempt() -> Any:
            resp = self._client.get(path, headers={"X-Request-Id": request_id})
            if resp.status_code >= 400:
                raise HTTPStatusFault(resp.status_code, resp.text, dict(resp.headers))
            return resp

        return call_with_retry(attempt, self.policy, classify_httpx_error)

    def _job(self, form: wire.VideoForm, request_id: str) -> dict[str, Any]:
        """Create an async ``/v1/videos`` job and poll it until it completes."""
        created = self._post(policy_wire.JOBS_PATH, request_id, data=form.fields, files=form.files)
        job = created.json()
        deadline = time.monotonic() + float(self._client.timeout.read or 600.0)
        delay = 0.01
        while job.get("status") not in ("completed", "failed"):
            if time.monotonic() > deadline:
                raise ModelOutputError(f"vllm-omni: job {job.get('id')} did not finish in time")
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
            job = self._get(policy_wire.job_path(str(job["id"])), request_id).json()
        if job["status"] == "failed":
            message = (job.get("error") or {}).get("message", "")
            raise ModelOutputError(f"vllm-omni: job failed: {message}")
        return job

    def _video_act(self, r: VideoActRequest) -> VideoActionOutput:
        job = self._job(policy_wire.policy_form(r, self.model), r.id)
        content = self._get(policy_wire.content_path(str(job["id"])), r.id).content
        return policy_wire.policy_output(job, content, r)

    def _inverse(self, r: InverseDynamicsRequest) -> ActionChunk:
        job = self._job(policy_wire.inverse_form(r, self.model), r.id)
        return policy_wire.inverse_output(job, r)

    def act_with_video(
        self, requests: list[VideoActRequest]
    ) -> list[VideoActionOutput | Exception]:
        """Policy mode: one async ``/v1/videos`` job per request (``action_mode=policy``)."""
        return map_concurrent(self._video_act, requests, self.max_concurrency)

    def infer_actions(
        self, requests: list[InverseDynamicsRequest]
    ) -> list[ActionChunk | Exception]:
        """Inverse dynamics: one async ``/v1/videos`` job per request (``action_mode=inverse``)."""
        return map_concurrent(self._inverse, requests, self.max_concurrency)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()
