"""Response cache (``--cache DIR``): a wrapper that stores any model's outputs on disk.

The key of one output is sha256 over

* the **model fingerprint**: name, revision, checkpoint sha256, model args, privileged flag
  and declared action spec (:func:`model_fingerprint`) — a different checkpoint or argument
  never hits an entry of another;
* the **capability** (method name);
* the **request content**: every field, media bytes included (dtype, shape and raw bytes of
  each array), ``privileged`` too (only an oracle ever receives it).

A model whose outputs are not reproducible (``model.deterministic is False``, e.g. sampling
without a seed) bypasses the cache. Entries are one ``.npz`` file per key in sharded
directories, written to a temporary file and moved into place with :func:`os.replace`, so
concurrent writers (threads or processes) never leave a torn entry. No pickle: arrays are
stored as arrays and the rest as JSON inside the same file.

For a server-backed model (``openai``, ``vllm-omni``, ``openpi``) the weights are behind the
URL: set ``revision=`` to what the server runs, or a changed server hits old entries.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from cosmos3_eval.api.model import Capability, call_batched, capabilities, close_model
from cosmos3_eval.api.types import ActionChunk, ImageOutput, TextOutput, VideoOutput

CACHE_FORMAT = 1
"""Bumped when the key or the entry layout changes (old entries then simply miss)."""

_META = "__meta__"


def _feed(h: Any, obj: Any) -> None:
    """Feed a canonical, type-tagged encoding of ``obj`` into hash ``h``."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        h.update(json.dumps([type(obj).__name__, obj]).encode())
    elif isinstance(obj, (np.ndarray, np.generic)):
        arr = np.ascontiguousarray(obj)
        h.update(f"nd|{arr.dtype.str}|{arr.shape}|".encode())
        h.update(arr.tobytes())
    elif is_dataclass(obj) and not isinstance(obj, type):
        h.update(f"dc|{type(obj).__qualname__}|".encode())
        for f in fields(obj):
            h.update(f"{f.name}=".encode())
            _feed(h, getattr(obj, f.name))
    elif isinstance(obj, dict):
        h.update(f"dict|{len(obj)}|".encode())
        for k in sorted(obj, key=str):
            _feed(h, str(k))
            _feed(h, obj[k])
    elif isinstance(obj, (list, tuple)):
        h.update(f"seq|{len(obj)}|".encode())
        for item in obj:
            _feed(h, item)
    else:  # anything else (Path, Enum, ...) by its type and repr
        h.update(f"obj|{type(obj).__qualname__}|{obj!r}".encode())


def content_hash(obj: Any) -> str:
    """sha256 hex digest of a request (or any nest of dataclasses, arrays and JSON values)."""
    h = hashlib.sha256()
    _feed(h, obj)
    return h.hexdigest()


def model_fingerprint(model: Any) -> str:
    """What identifies a model's behaviour: its info (checkpoint sha256, revision, args).

    Args named in the model's optional ``transport_params`` attribute are left out.
    """
    info = model.info
    # Transport settings (timeouts, concurrency, retries) cannot change an output.
    transport = set(getattr(model, "transport_params", ()))
    params = {k: v for k, v in info.params.items() if k not in transport}
    return content_hash(
        {
            "name": info.name,
            "revision": info.revision,
            "checkpoint_sha256": info.checkpoint_sha256,
            "params": params,
            "privileged": info.privileged,
            "action_spec": info.action_spec,
        }
    )


def _encode(output: Any) -> dict[str, np.ndarray] | None:
    if isinstance(output, TextOutput):
        meta: dict[str, Any] = {"type": "text", "text": output.text}
        return {_META: np.frombuffer(json.dumps(meta).encode(), np.uint8)}
    for cls, attr in ((ImageOutput, "image"), (VideoOutput, "video"), (ActionChunk, "actions")):
        if isinstance(output, cls):
            meta = {"type": attr}
            return {
                _META: np.frombuffer(json.dumps(meta).encode(), np.uint8),
                attr: np.asarray(getattr(output, attr)),
            }
    return None  # unknown output types (and per-sample exceptions) are not cached


def _decode(entry: Any) -> Any:
    meta = json.loads(bytes(entry[_META]).decode())
    kind = meta["type"]
    if kind == "text":
        return TextOutput(meta["text"])
    cls = {"image": ImageOutput, "video": VideoOutput, "actions": ActionChunk}[kind]
    return cls(np.array(entry[kind]))


@dataclass(frozen=True)
class CacheStats:
    """Counters of one :class:`CachedModel`.

    Attributes:
        hits: Outputs served from the cache.
        misses: Outputs computed by the model (and stored when cacheable).
        bypassed: Outputs computed without looking at the cache (non-deterministic model).
    """

    hits: int
    misses: int
    bypassed: int

    @property
    def hit_rate(self) -> float | None:
        """Hits / (hits + misses), ``None`` before any lookup."""
        total = self.hits + self.misses
        return self.hits / total if total else None

    def __str__(self) -> str:
        rate = "n/a" if self.hit_rate is None else f"{100 * self.hit_rate:.1f}%"
        return f"hit rate {rate} ({self.hits} hits, {self.misses} misses, {self.bypassed} bypassed)"

    def to_json(self) -> dict[str, Any]:
        """For the run summary / manifest."""
        return {
            "hits": self.hits,
            "misses": self.misses,
            "bypassed": self.bypassed,
            "hit_rate": self.hit_rate,
        }


class CachedModel:
    """Wraps a model's capability methods with an on-disk response cache.

    Args:
        model: Any model (``info`` plus capability methods).
        cache_dir: Cache root; created if missing; safe to share between runs and processes.
    """

    def __init__(self, model: Any, cache_dir: str | os.PathLike[str]):
        self.model = model
        self.info = model.info
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.capabilities = frozenset(c.value for c in capabilities(model))
        self.deterministic = getattr(model, "deterministic", True) is not False
        self._fingerprint = model_fingerprint(model)
        self._lock = threading.Lock()
        self._hits = self._misses = self._bypassed = 0

    def __repr__(self) -> str:
        return f"CachedModel({self.model!r}, {str(self.cache_dir)!r})"

    def key(self, method: str, request: Any) -> str:
        """The cache key of one request to ``method``."""
        return content_hash([CACHE_FORMAT, self._fingerprint, method, request])

    def _path(self, key: str) -> Path:
        return self.cache_dir / key[:2] / f"{key}.npz"

    def _load(self, key: str) -> Any:
        path = self._path(key)
        try:
            with np.load(path, allow_pickle=False) as entry:
                return _decode(entry)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError):  # unreadable entry: recompute and overwrite
            return None

    def _store(self, key: str, output: Any) -> None:
        arrays = _encode(output)
        if arrays is None:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".npz")
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, path)  # atomic: readers see the old entry or the whole new one
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _call(self, method: str, requests: list[Any]) -> list[Any]:
        fn = getattr(self.model, method)
        if not self.deterministic:
            with self._lock:
                self._bypassed += len(requests)
            return call_batched(fn, requests)
        keys = [self.key(method, r) for r in requests]
        results: list[Any] = [self._load(k) for k in keys]
        todo = [i for i, r in enumerate(results) if r is None]
        with self._lock:
            self._hits += len(requests) - len(todo)
            self._misses += len(todo)
        if todo:
            fresh = call_batched(fn, [requests[i] for i in todo])
            for i, out in zip(todo, fresh):
                results[i] = out
                if not isinstance(out, Exception):
                    self._store(keys[i], out)
        return results

    def answer(self, requests: list[Any]) -> list[Any]:
        """Cached :meth:`answer`."""
        return self._call(Capability.ANSWER.value, requests)

    def generate_images(self, requests: list[Any]) -> list[Any]:
        """Cached :meth:`generate_images`."""
        return self._call(Capability.GENERATE_IMAGES.value, requests)

    def generate_videos(self, requests: list[Any]) -> list[Any]:
        """Cached :meth:`generate_videos`."""
        return self._call(Capability.GENERATE_VIDEOS.value, requests)

    def act(self, requests: list[Any]) -> list[Any]:
        """Cached :meth:`act`."""
        return self._call(Capability.ACT.value, requests)

    def stats(self) -> CacheStats:
        """Hit / miss / bypass counters since construction."""
        with self._lock:
            return CacheStats(self._hits, self._misses, self._bypassed)

    def close(self) -> None:
        """Close the wrapped model."""
        close_model(self.model)
