"""The retry policy shared by the network adapters (``openai``, ``vllm-omni``).

One rule for every HTTP model: retry HTTP 429 (honouring ``Retry-After``), 5xx, timeouts and
dropped connections with exponential backoff plus jitter; never retry other 4xx (a bad
request stays bad). A request that still fails is returned as an exception in place of that
sample's output, so only that sample records the error and the run goes on.

The policy is ours rather than the HTTP clients' built-in retries so that it is the same for
every adapter and testable against a real faulty server.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from cosmos3_eval.api.redact import redact_value

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter.

    Attributes:
        max_retries: Retries after the first attempt (0 = no retry).
        backoff: Delay before the first retry, in seconds; doubles each retry.
        max_backoff: Cap on any single delay, including a server's ``Retry-After``.
        jitter: Random extra delay as a fraction of the delay (spreads synchronized clients).
    """

    max_retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    jitter: float = 0.25

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_backoff)
        base = min(self.backoff * (2**attempt), self.max_backoff)
        # Jitter only changes timing, never results, so an unseeded generator is fine here.
        return base * (1.0 + self.jitter * random.random())


@dataclass(frozen=True)
class Verdict:
    """How one failed attempt is handled: retry or not, and any server-given delay."""

    retry: bool
    retry_after: float | None = None


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), else ``None``."""
    if not headers:
        return None
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def retryable_status(status: int) -> bool:
    """429 and every 5xx are worth retrying; other statuses are final."""
    return status == 429 or status >= 500


def call_with_retry(
    fn: Callable[[], R],
    policy: RetryPolicy,
    classify: Callable[[BaseException], Verdict],
    sleep: Callable[[float], None] = time.sleep,
) -> R:
    """Call ``fn`` until it succeeds, a failure is final, or the retries are used up.

    Args:
        fn: One attempt.
        policy: Backoff policy.
        classify: Maps an exception to a :class:`Verdict`.
        sleep: Injected for tests of the delay schedule.

    Returns:
        ``fn()``'s result.

    Raises:
        The last exception when no attempt succeeded.
    """
    attempt = 0
    while True:
        try:
            return fn()
        except Exception as exc:
            verdict = classify(exc)
            if not verdict.retry or attempt >= policy.max_retries:
                raise
            sleep(policy.delay(attempt, verdict.retry_after))
            attempt += 1


def map_concurrent(
    fn: Callable[[T], R], items: list[T], max_concurrency: int
) -> list[R | Exception]:
    """Apply ``fn`` to each item with at most ``max_concurrency`` in flight, keeping order.

    A failing item yields its exception in its slot (the model protocol's per-sample error).
    """

    def guarded(item: T) -> R | Exception:
        try:
            return fn(item)
        except Exception as exc:
            return exc

    if max_concurrency <= 1 or len(items) <= 1:
        return [guarded(i) for i in items]
    with ThreadPoolExecutor(max_workers=min(max_concurrency, len(items))) as pool:
        return list(pool.map(guarded, items))


def public_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """Model args safe for ``ModelInfo.params``: drops anything that looks like a secret value.

    Adapters take the *name* of an environment variable (``api_key_env``), never a key, but a
    user might still pass ``api_key=...``; it must not reach the manifest.
    """
    secret_words = ("key", "token", "secret", "password")
    # A key may also hide inside a value (``base_url=http://user:KEY@host/v1?api_key=...``).
    return {
        k: redact_value(v)
        for k, v in params.items()
        if k.endswith("_env") or not any(w in k.lower() for w in secret_words)
    }
