"""A corpus of bad inputs and model faults: one stderr line, no traceback, nothing changed.

Every case runs ``cosmos3-eval`` in-process on a scratch tree (task files, JSONL data, a
results folder) and asserts: exit code 2 and not one file of the tree changed (a user error
is caught before anything is written), or, for faults at run time, exit 1 and the run's
manifest says ``failed``. Either way stderr is exactly one line and never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from cosmos3_eval.cli.main import main
from cosmos3_eval.results.rundir import RunDir
from tests.helpers.toybench import TOY

FAULTY = "tests.helpers.faulty_models:FaultyQA"
RUN = ["run", "--no-progress", "--out", "{tmp}/out"]
TOY_BASE = [*RUN, "--model", "random", "--limit", "4"]
TOY_RUN = [*TOY_BASE, "--tasks", "toy-qa-v1"]
JQ = "{tmp}/jq/jq-v1.yaml"
JQ_RUN = [*RUN, "--model", "random", "--tasks", JQ]


@dataclass(frozen=True)
class Case:
    """One bad input: the files it needs, the command, and what must happen."""

    name: str
    kind: str
    argv: list[str]
    files: dict[str, bytes | str] = field(default_factory=dict)
    code: int = 2
    before: list[list[str]] = field(default_factory=list)  # commands that must succeed first
    hold_lock: str | None = None  # a run directory another writer holds


def _task(name: str, body: str) -> dict[str, str]:
    return {f"tasks/{name}.yaml": f"task: {name}\ntype: {TOY}\ndescription: x\n{body}"}


def _jsonl(*lines: str) -> dict[str, str]:
    return {"jq/d.jsonl": "\n".join(lines) + "\n"}


GOOD = '{"id": "q1", "question": "Q?", "image": "a.png", "answer": 1}'


def _num(flag: str, value: str) -> Case:
    return Case(f"{flag}={value}", "cli", [*TOY_RUN, flag, value])


CASES: list[Case] = [
    # -- CLI numbers: finite, in range, bounded plans ------------------------------------
    *(_num("--limit", v) for v in ("1000000000000", "-1", "0", "abc", "1e3", "nan")),
    _num("--episodes", "99999999999"),
    *(_num("--seed", v) for v in ("-1", "2147483648", "nan")),
    *(_num("--batch-size", v) for v in ("0", "100000000")),
    *(_num("--workers", v) for v in ("0", "100000")),
    *(_num("--replan-every", v) for v in ("0", "-3")),
    *(_num("--episode-timeout", v) for v in ("-1", "nan", "inf", "0")),
    *(_num("--sample-timeout", v) for v in ("nan", "-5", "1e9")),
    _num("--max-errors", "-1"),
    _num("--video", "-1"),
    _num("--save-media", "100000000000"),
    Case("limit+episodes", "cli", [*TOY_RUN, "--episodes", "3"]),
    Case("bad executor", "cli", [*TOY_RUN, "--executor", "bogus"]),
    Case("bad placement", "cli", [*TOY_RUN, "--model-placement", "bogus"]),
    Case("unknown option", "cli", [*TOY_RUN, "--limt", "3"]),
    Case("empty --tasks", "cli", [*RUN, "--model", "random", "--tasks", ","]),
    Case("unknown task", "cli", [*RUN, "--model", "random", "--tasks", "toy-qa-v9"]),
    Case("unknown model", "cli", [*RUN, "--model", "randum", "--tasks", "toy-qa-v1"]),
    Case("no subcommand", "cli", []),
    # -- model args --------------------------------------------------------------------
    *(
        Case(f"model-args {a}", "model-args", [*TOY_RUN, "--model", FAULTY, "--model-args", a])
        for a in ("after=nan", "after=inf", "hang_s=-inf", "novalue", "=3", "mode=ok,mode=ok")
    ),
    Case("unknown model arg", "model-args", [*TOY_RUN, "--model-args", "temprature=1"]),
    Case("--sweep missing key", "model-args", [*TOY_RUN, "--sweep", "checkpoint"]),
    Case(
        "--sweep not a glob",
        "model-args",
        [*TOY_RUN, "--model", FAULTY, "--model-args", "mode=ok", "--sweep", "mode"],
    ),
    Case(
        "checkpoint glob matches nothing",
        "model-args",
        [*TOY_RUN, "--model-args", "checkpoint={tmp}/none/step_*.json"],
    ),
    # -- file system --------------------------------------------------------------------
    Case("--out is a file", "fs", [*TOY_RUN, "--out", "{tmp}/afile"]),
    Case("--out under a file", "fs", [*TOY_RUN, "--out", "{tmp}/afile/sub"]),
    Case("--out read-only", "fs", [*TOY_RUN, "--out", "{ro}/out"]),
    Case("--cache is a file", "fs", [*TOY_RUN, "--cache", "{tmp}/afile"]),
    Case("--cache read-only", "fs", [*TOY_RUN, "--cache", "{ro}/cache"]),
    Case(
        "report --out is a file",
        "fs",
        ["report", "{tmp}/out", "--out", "{tmp}/afile"],
        before=[TOY_RUN],
    ),
    Case(
        "report --out read-only",
        "fs",
        ["report", "{tmp}/out", "--out", "{ro}/rep"],
        before=[TOY_RUN],
    ),
    Case("report no results", "fs", ["report", "{tmp}/nothing", "--out", "{tmp}/rep"]),
    Case("leaderboard no results", "fs", ["leaderboard", "{tmp}/nothing"]),
    Case(
        "leaderboard --out is a file",
        "fs",
        ["leaderboard", "{tmp}/out", "--out", "{tmp}/afile"],
        before=[TOY_RUN],
    ),
    Case("missing task file", "fs", [*RUN, "--model", "random", "--tasks", "{tmp}/no-v1.yaml"]),
    Case("run dir locked", "fs", TOY_RUN, hold_lock="out/random__toy-qa-v1"),
    Case("different seed same dir", "fs", [*TOY_RUN, "--seed", "5"], before=[TOY_RUN]),
    Case(
        "leaderboard over duplicate ids",
        "fs",
        ["leaderboard", "{tmp}/out", "--out", "{tmp}/lb"],
        files={"out/random__toy-qa-v1/samples.jsonl": "DUP"},
        before=[TOY_RUN],
    ),
    Case(
        "resume over duplicate ids",
        "fs",
        [*TOY_RUN, "--limit", "8"],
        files={"out/random__toy-qa-v1/samples.jsonl": "DUP"},
        before=[TOY_RUN],
    ),
    # -- task YAML ----------------------------------------------------------------------
    Case(
        "yaml not utf-8",
        "yaml",
        [*TOY_BASE, "--tasks", "bin-v1"],
        files={"tasks/bin-v1.yaml": b"task: bin-v1\ndescription: \xff\xfe\n"},
    ),  # fmt: skip
    *(
        Case(
            f"yaml type {t}",
            "yaml",
            [*TOY_BASE, "--tasks", "ty-v1"],
            files={"tasks/ty-v1.yaml": f"task: ty-v1\ntype: {t}\ndescription: x\n"},
        )  # fmt: skip
        for t in ("os:system", "os:nothing", "nosuchmod:X", "push-blok", "json:loads")
    ),
    *(
        Case(
            f"yaml {body.strip()}",
            "yaml",
            [*TOY_BASE, "--tasks", "bad-v1"],
            files=_task("bad-v1", body),
        )  # fmt: skip
        for body in (
            "config: {size: .nan}\n",
            "config: {size: -5}\n",
            "config: {size: .inf}\n",
            "config: {sise: 3}\n",
            "config: {size: many}\n",
            "confg: {}\n",
        )
    ),
    Case(
        "yaml a list",
        "yaml",
        [*TOY_BASE, "--tasks", "lst-v1"],
        files={"tasks/lst-v1.yaml": "- 1\n- 2\n"},
    ),  # fmt: skip
    Case(
        "yaml empty", "yaml", [*TOY_BASE, "--tasks", "emp-v1"], files={"tasks/emp-v1.yaml": ""}
    ),  # fmt: skip
    Case(
        "yaml syntax",
        "yaml",
        [*TOY_BASE, "--tasks", "syn-v1"],
        files={"tasks/syn-v1.yaml": "task: [unclosed\n"},
    ),  # fmt: skip
    Case(
        "yaml name mismatch",
        "yaml",
        [*TOY_BASE, "--tasks", "mis-v1"],
        files={"tasks/mis-v1.yaml": f"task: other-v1\ntype: {TOY}\ndescription: x\n"},
    ),  # fmt: skip
    *(
        Case(
            f"suite {body}",
            "yaml",
            [*RUN, "--model", "random", "--suite", "{tmp}/s.yaml"],
            files={"s.yaml": f"suite: s\nversion: 1\ndescription: x\ntasks: {body}\n"},
        )  # fmt: skip
        for body in (
            "[{task: toy-qa-v1, limit: -1}]",
            "[{task: toy-qa-v1, limit: 1000000000000}]",
            "[{task: toy-qa-v1, limit: .nan}]",
            "[{task: nope-v1}]",
        )
    ),
    Case(
        "suite not utf-8",
        "yaml",
        [*RUN, "--model", "random", "--suite", "{tmp}/s.yaml"],
        files={"s.yaml": b"suite: \xc3\x28\n"},
    ),  # fmt: skip
    Case("unknown suite", "yaml", [*RUN, "--model", "random", "--suite", "quik"]),
    # -- JSONL data (qa-jsonl) ----------------------------------------------------------
    *(
        Case(f"jsonl {name}", "jsonl", JQ_RUN, files=_jsonl(line))
        for name, line in (
            ("answer NaN", GOOD.replace('"answer": 1', '"answer": NaN')),
            ("answer Infinity", GOOD.replace('"answer": 1', '"answer": Infinity')),
            ("answer -Infinity", GOOD.replace('"answer": 1', '"answer": -Infinity')),
            ("fps NaN", GOOD[:-1] + ', "fps": NaN}'),
            ("fps -1", GOOD[:-1] + ', "fps": -1}'),
            ("fps true", GOOD[:-1] + ', "fps": true}'),
            ("fps 1e9", GOOD[:-1] + ', "fps": 1e9}'),
            ("malformed", GOOD[:-1]),
            ("missing question", GOOD.replace('"question": "Q?", ', "")),
            ("escaping media", GOOD.replace("a.png", "../a.png")),
            ("unknown field", GOOD[:-1] + ', "answr": 1}'),
            ("answer a list", GOOD.replace('"answer": 1', '"answer": [1]')),
            ("not an object", "[1, 2]"),
            ("no items", ""),
        )
    ),
    Case("jsonl duplicate id", "jsonl", JQ_RUN, files=_jsonl(GOOD, GOOD)),
    Case("jsonl not utf-8", "jsonl", JQ_RUN, files={"jq/d.jsonl": b'{"id": "\xff"}\n'}),
    # -- model faults at run time: exit 1 and status failed ------------------------------
    *(
        Case(
            f"model {mode}",
            "model",
            [*TOY_RUN, "--model", FAULTY, "--model-args", f"mode={mode},after=0"],
            code=1,
        )  # fmt: skip
        for mode in ("sysexit", "keyboard")
    ),
    Case(
        "model sysexit later",
        "model",
        [
            *TOY_RUN,
            "--limit",
            "20",
            "--batch-size",
            "4",
            "--model",
            FAULTY,
            "--model-args",
            "mode=sysexit,after=2",
        ],
        code=1,
    ),  # fmt: skip
    Case(
        "error budget",
        "model",
        [
            *TOY_RUN,
            "--model",
            "tests.helpers.toybench:FlakyModel",
            "--model-args",
            "k=1",
            "--max-errors",
            "0",
        ],
        code=1,
    ),  # fmt: skip
]


def _snapshot(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file (``dir`` for folders) under ``root``."""
    out = {}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def ro_dir(tmp_path_factory):
    """A read-only tmpfs (root ignores permission bits, not a read-only mount)."""
    d = tmp_path_factory.mktemp("ro")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(d)],
                      capture_output=True).returncode:  # fmt: skip
        yield None
        return
    yield d
    subprocess.run(["umount", str(d)], check=False)


def _fill(text: str, tmp: Path, ro: Path | None) -> str:
    return text.replace("{tmp}", str(tmp)).replace("{ro}", str(ro))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_one_line(case, toy_task, tmp_path, ro_dir, capsys, monkeypatch):
    if "{ro}" in " ".join(case.argv) and ro_dir is None:
        pytest.skip("cannot mount a read-only tmpfs here (needs root)")
    monkeypatch.chdir(tmp_path)  # anything written to the cwd (MUJOCO_LOG.TXT) is caught
    (tmp_path / "afile").write_text("not a directory\n")
    (tmp_path / "jq" / "media").mkdir(parents=True)
    (tmp_path / "jq" / "media" / "a.png").write_bytes(b"png")
    (tmp_path / "jq" / "jq-v1.yaml").write_text(
        "task: jq-v1\ntype: qa-jsonl\ndescription: x\nconfig: {data: d.jsonl, media_root: media}\n"
    )
    (tmp_path / "jq" / "d.jsonl").write_text(GOOD + "\n")
    for argv in case.before:
        assert main([_fill(a, tmp_path, ro_dir) for a in argv]) == 0
    for rel, data in case.files.items():
        path = tmp_path / rel
        if data == "DUP":  # repeat the first record: what two racing writers leave behind
            first = path.read_text().splitlines()[0]
            data = path.read_text() + first + "\n"
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    capsys.readouterr()
    holder = RunDir(tmp_path / case.hold_lock).lock() if case.hold_lock else None
    if holder:
        holder.__enter__()
    before = _snapshot(tmp_path)
    try:
        code = main([_fill(a, tmp_path, ro_dir) for a in case.argv])
    finally:
        if holder:
            holder.__exit__(None, None, None)
    err = capsys.readouterr().err
    lines = [x for x in err.splitlines() if x.strip()]
    assert "Traceback" not in err
    assert len(lines) == 1, err
    assert code == case.code, err
    if case.hold_lock:
        assert "in use by another run" in lines[0], lines[0]
    if code == 2:
        after = _snapshot(tmp_path)
        if holder:  # the holder's pid is in the lock file only while it holds it
            before.pop(f"{case.hold_lock}/.lock"), after.pop(f"{case.hold_lock}/.lock")
        assert after == before, "a refused command changed files"
    else:
        manifests = list((tmp_path / "out").rglob("manifest.json"))
        assert [json.loads(m.read_text())["status"] for m in manifests] == ["failed"]
        assert "run failed" in lines[0]


def test_corpus_is_large_and_spans_every_class():
    kinds = {c.kind for c in CASES}
    assert len(CASES) >= 60
    assert kinds == {"cli", "model-args", "fs", "yaml", "jsonl", "model"}
