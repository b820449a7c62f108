"""The run directory: ``manifest.json``, ``samples.jsonl``, ``metrics.json``, ``artifacts/``.

* ``manifest.json`` — schema version, run id, model info, task (id, version, config), seeds,
  code version (package version, source hash, git commit + dirty flag), package versions,
  simulator / renderer fingerprint, status; on completion the sha256 of ``samples.jsonl``.
* ``samples.jsonl`` — one JSON record per sample or episode, appended, flushed and fsynced as
  it finishes. A crash can at worst leave a torn last line, which resume drops.
* ``metrics.json`` — ``{"schema_version", "task", "task_version", "model", "main_metric",
  "n_samples", "n_errors", "metrics": {name: {value, stderr, ci95, n, higher_is_better,
  level, on_error[, source, stratify_by]}}}``.

Readers load every file through the typed records of :mod:`cosmos3_eval.api.records`.

A run directory belongs to exactly one *fingerprint* (task config + version, model identity,
base seed, code version): reopening it with another fingerprint is refused, so results of
different configs or code never mix.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cosmos3_eval.api.records import SCHEMA_VERSION, Manifest, MetricsFile, SampleRecord, parse
from cosmos3_eval.errors import DataError, UserError
from cosmos3_eval.results.jsonio import (
    dumps,
    file_sha256,
    read_json,
    to_jsonable,
    write_json_atomic,
)

MANIFEST = "manifest.json"
SAMPLES = "samples.jsonl"
METRICS = "metrics.json"
ARTIFACTS = "artifacts"
LOCK = ".lock"













@functools.lru_cache(maxsize=1)
def source_sha256() -> str:
    """Hash of the package's Python sources: the code version used in run fingerprints.

    Computed once per process, so one invocation sees one code version throughout.
    """
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        h.update(str(p.relative_to(root)).encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def fingerprint_of(identity: dict[str, Any]) -> str:
    """Stable hash of the things that make two runs' records comparable and mergeable."""
    return hashlib.sha256(dumps(identity).encode()).hexdigest()


DIGEST_KEY = "manifest_sha256"


def manifest_digest(manifest: dict[str, Any]) -> str:
    """sha256 of a manifest's canonical JSON without its own checksum field.

    Written when the run completes and checked by every reader, so a field edited afterwards
    (the label, the model's name or revision, the task, the profile) is refused.
    """
    body = {k: v for k, v in manifest.items() if k != DIGEST_KEY}
    return hashlib.sha256(dumps(body).encode()).hexdigest()


@dataclass
class RunDir:
    """One run directory on disk.

    Args:
        path: The directory (``<out>/<model label>__<task id>``).
    """

    path: Path

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @property
    def samples_path(self) -> Path:
        return self.path / SAMPLES

    @property
    def metrics_path(self) -> Path:
        return self.path / METRICS

    @property
    def artifacts(self) -> Path:
        return self.path / ARTIFACTS

    def exists(self) -> bool:
        """Whether a manifest is present."""
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        """The parsed manifest."""
        return read_json(self.manifest_path)

    def open(self, identity: dict[str, Any], manifest: dict[str, Any]) -> bool:
        """Create the run, or reopen it for resume if its fingerprint matches.

        Args:
            identity: What must be equal for records to be mergeable.
            manifest: The manifest to write for a new run (``fingerprint``, ``run_id`` and
                ``status`` are filled in here).

        Returns:
            ``True`` if an existing run was reopened.

        Raises:
            UserError: The directory holds a run with a different fingerprint or schema.
        """
        fp = fingerprint_of(identity)
        if self.exists():
            old = self.manifest()
            if old.get("schema_version") != SCHEMA_VERSION:
                raise UserError(
                    f"{self.manifest_path}: schema version {old.get('schema_version')} "
                    f"!= {SCHEMA_VERSION}; use a new --out directory"
                )
            if old.get("fingerprint") != fp:
                diff = _first_difference(old.get("identity", {}), to_jsonable(identity))
                raise UserError(
                    f"{self.path} holds a run with a different {diff}; refusing to mix "
                    "results: use a new --out directory, or --restart to move that one aside"
                )
            return True
        self.path.mkdir(parents=True, exist_ok=True)
        self.artifacts.mkdir(exist_ok=True)
        manifest = dict(manifest)
        manifest.update(
            schema_version=SCHEMA_VERSION,
            fingerprint=fp,
            identity=identity,
            run_id=f"{self.path.name}-{fp[:10]}",
            status="running",
        )
        write_json_atomic(self.manifest_path, manifest)
        self.samples_path.touch()
        return False

    def update_manifest(self, **fields: Any) -> None:
        """Merge ``fields`` into the manifest (atomic rewrite)."""
        m = self.manifest()
        m.update(fields)
        write_json_atomic(self.manifest_path, m)

    def complete(self, **fields: Any) -> None:
        """Mark the run complete, with the checksums of its files and of the manifest itself.

        ``fields``, the sha256 of ``samples.jsonl`` and ``metrics.json`` and the manifest's
        own checksum (:func:`manifest_digest`) are written in one atomic rewrite.
        """
        m = self.manifest()
        m.update(fields, status="complete", samples_sha256=file_sha256(self.samples_path))
        m["metrics_sha256"] = file_sha256(self.metrics_path)
        m[DIGEST_KEY] = manifest_digest(m)
        write_json_atomic(self.manifest_path, m)

    def set_status_in_place(self, status: str) -> None:
        """Set the manifest's status by rewriting it in place (no temp file).

        The fallback when the atomic rewrite fails on a full disk: ``failed`` is shorter than
        ``running``, so the file shrinks and needs no new block.
        """
        m = self.manifest()
        m["status"] = status
        with open(self.manifest_path, "r+") as f:
            json.dump(to_jsonable(m), f, indent=2, sort_keys=True)
            f.write("\n")
            f.truncate()
            f.flush()
            os.fsync(f.fileno())

    def repair(self) -> int:
        """Drop a torn final line left by a crash mid-write; return bytes dropped."""
        p = self.samples_path
        if not p.exists():
            return 0
        size = p.stat().st_size
        if size == 0:
            return 0
        with open(p, "rb+") as f:
            f.seek(-1, os.SEEK_END)
            if f.read(1) == b"\n":
                return 0
            # Find the last newline and truncate after it.
            pos = size - 1
            block = 1 << 16
            while pos > 0:
                start = max(0, pos - block)
                f.seek(start)
                data = f.read(pos - start)
                nl = data.rfind(b"\n")
                if nl >= 0:
                    keep = start + nl + 1
                    break
                pos = start
            else:
                keep = 0
            f.truncate(keep)
            f.flush()
            os.fsync(f.fileno())
            return size - keep

    def typed_manifest(self) -> Manifest:
        """The manifest, validated (:class:`DataError` naming the field if malformed)."""
        return parse(Manifest, self.manifest(), str(self.manifest_path))

    def metrics(self) -> MetricsFile:
        """``metrics.json``, validated (:class:`DataError` naming the field if malformed)."""
        return parse(MetricsFile, read_json(self.metrics_path), str(self.metrics_path))

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the run directory exclusively (``flock`` on ``.lock``); creates the directory.

        The lock file holds the writer's pid while it is held and is empty otherwise, so a
        finished directory's bytes do not depend on who last held it.

        Raises:
            UserError: Another process holds it (the message names its pid).
        """
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
                raise UserError(
                    f"{self.path} is in use by another run (pid {holder}); wait for it to "
                    "finish or use another --out"
                ) from None
            _rewrite(fd, f"{os.getpid()}\n".encode())
            try:
                yield
            finally:
                _rewrite(fd, b"")
        finally:
            os.close(fd)  # closing releases the lock, also when the process is killed

    def drop_artifact_errors(self) -> int:
        """Remove the records whose media failed, so a resume redoes them; return how many.

        Their scores are fine but their artifacts are missing: an uninterrupted run would have
        them, so a resumed one must too. The file is rewritten atomically.
        """
        if not self.samples_path.exists():
            return 0
        with open(self.samples_path) as f:
            lines = f.readlines()
        keep = [ln for ln in lines if '"artifact_error"' not in ln or not _has_artifact_error(ln)]
        if len(keep) == len(lines):
            return 0
        tmp = self.samples_path.with_name(f".{SAMPLES}.tmp{os.getpid()}")
        try:
            with open(tmp, "w") as f:
                f.writelines(keep)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.samples_path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return len(lines) - len(keep)

    def records(self) -> Iterator[dict[str, Any]]:
        """Stream the records of ``samples.jsonl``.

        Each is validated as a :class:`SampleRecord` (a malformed one is a
        :class:`DataError` naming file, line and field) and yielded as the dict it was.

        Raises:
            DataError: A malformed record, or an id that occurs twice (two writers, or a file
                edited by hand: either way its metrics would count that sample twice).
        """
        seen: set[str] = set()
        if not self.samples_path.exists():
            return
        with open(self.samples_path) as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DataError(
                        f"{self.samples_path}:{lineno}: corrupt record ({exc.msg})"
                    ) from exc
                parse(SampleRecord, rec, f"{self.samples_path}:{lineno}")
                if rec["id"] in seen:
                    raise DataError(
                        f"{self.samples_path}:{lineno}: duplicate record for id '{rec['id']}'"
                    )
                seen.add(rec["id"])
                yield rec

    def completed_ids(self) -> dict[str, bool]:
        """Id -> whether that record is an error, for every completed sample."""
        return {r["id"]: r.get("error") is not None for r in self.records()}


class SampleWriter:
    """Appends records to ``samples.jsonl``: one line each, flushed and fsynced.

    Args:
        path: The samples file.
    """

    def __init__(self, path: Path):
        self._f = open(path, "a")

    def append(self, record: dict[str, Any]) -> None:
        """Write one record durably."""
        self._f.write(dumps(record) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def close(self) -> None:
        """Close the file."""
        self._f.close()

    def __enter__(self) -> SampleWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _rewrite(fd: int, data: bytes) -> None:
    """Replace a small file's content; best effort (a full disk must not hide the real error)."""
    try:
        os.ftruncate(fd, 0)
        if data:
            os.pwrite(fd, data, 0)
    except OSError:
        pass


def _has_artifact_error(line: str) -> bool:
    try:
        return json.loads(line).get("artifact_error") is not None
    except (ValueError, AttributeError):
        return False  # a torn line is repair()'s business


def _first_difference(old: Any, new: Any, prefix: str = "") -> str:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                return _first_difference(old.get(key), new.get(key), f"{prefix}{key}.")

    def short(v: Any) -> str:
        text = repr(v)
        # Hashes are recognisable from their first 12 hex digits.
        if isinstance(v, str) and len(v) > 16 and all(c in "0123456789abcdef" for c in v):
            text = repr(v[:12])
        return text if len(text) <= 70 else text[:67] + "..."

    return (prefix.rstrip(".") or "fingerprint") + f" ({short(old)} != {short(new)})"


def now_iso() -> str:
    """UTC timestamp for manifests."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


_MOVED_ASIDE = re.compile(r"\.old-\d{8}T\d{6}Z(-\d+)?$")


def move_aside(path: Path) -> Path:
    """Rename a run directory to ``<path>.old-<UTC time>[-k]`` (never deleted) and return it."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    dest = path.with_name(f"{path.name}.old-{stamp}")
    k = 1
    while dest.exists():  # two restarts within one second keep both old runs
        dest = path.with_name(f"{path.name}.old-{stamp}-{k}")
        k += 1
    os.rename(path, dest)
    return dest


def find_runs(paths: list[Path]) -> list[RunDir]:
    """Every run directory at or below the given paths (sorted, de-duplicated).

    Runs moved aside by ``--restart`` are skipped unless named directly.
    """
    found: dict[Path, RunDir] = {}
    for root in paths:
        if not root.exists():
            raise DataError(f"no such results path: {root}")
        if (root / MANIFEST).is_file():
            candidates = [root / MANIFEST]
        else:
            candidates = [m for m in root.rglob(MANIFEST) if not _MOVED_ASIDE.search(m.parent.name)]
        for m in candidates:
            found[m.parent.resolve()] = RunDir(m.parent)
    return [found[k] for k in sorted(found)]
