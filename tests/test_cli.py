"""Bad input gets one clear line on stderr and exit code 2; nothing written is lost."""

import json
import subprocess
import sys

import pytest

from cosmos3_eval.cli.main import main
from tests.helpers.toybench import CKPT, FLAKY, TOY


def _run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_error_line(err):
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def bad_task_dir(toy_task, tmp_path):
    d = tmp_path / "tasks"
    (d / "typo-key-v1.yaml").write_text(
        f"task: typo-key-v1\ntype: {TOY}\ndescription: x\nconfig: {{sise: 3}}\n"
    )
    (d / "top-key-v1.yaml").write_text(
        f"task: top-key-v1\ntype: {TOY}\ndescription: x\nconfg: {{}}\n"
    )
    (d / "bad-yaml-v1.yaml").write_text("task: [unclosed\n")
    (d / "bad-type-v1.yaml").write_text("task: bad-type-v1\ntype: push-blok\ndescription: x\n")
    (d / "bad-value-v1.yaml").write_text(
        f"task: bad-value-v1\ntype: {TOY}\ndescription: x\nconfig: {{size: many}}\n"
    )
    return d


BAD = [
    (["run", "--model", "oracle", "--tasks", "toy-qa-v2"], "did you mean 'toy-qa-v1'"),
    (["run", "--model", "oracel", "--tasks", "toy-qa-v1"], "did you mean 'oracle'"),
    (["run", "--model", "oracle", "--tasks", "toy-qa-v1", "--model-args", "k"], "key=value"),
    (
        ["run", "--model", FLAKY, "--tasks", "toy-qa-v1", "--model-args", "kk=3"],
        "did you mean 'k'",
    ),
    (["run", "--model", "oracle", "--tasks", "typo-key-v1"], "unknown key 'sise'"),
    (["run", "--model", "oracle", "--tasks", "top-key-v1"], "unknown key 'confg'"),
    (["run", "--model", "oracle", "--tasks", "bad-yaml-v1"], "not valid YAML"),
    (["run", "--model", "oracle", "--tasks", "bad-type-v1"], "did you mean 'push-block'"),
    (["run", "--model", "oracle", "--tasks", "bad-value-v1"], "bad value for 'size'"),
    (["run", "--model", "oracle", "--tasks", "/nonexistent/t-v1.yaml"], "not found"),
    (["run", "--model", "oracle", "--suite", "quik"], "unknown suite"),
    (["run", "--model", "oracle", "--tasks", "toy-qa-v1", "--limit", "abc"], "whole number"),
    (["run", "--model", "oracle", "--tasks", "toy-qa-v1", "--limit", "0"], "at least 1"),
    (
        ["run", "--model", "oracle", "--tasks", "toy-qa-v1", "--limit", "3", "--episodes", "3"],
        "not both",
    ),
    (["run", "--model", "oracle"], "required"),
    (["list", "taks"], "invalid choice"),
    (["leaderboard", "/nonexistent/results"], "no such results path"),
    (["compare", "/nonexistent/a", "/nonexistent/b"], "no such results path"),
]


@pytest.mark.parametrize("argv,needle", BAD, ids=[" ".join(a[:4]) + "…" for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(bad_task_dir, capsys, argv, needle):
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert needle in _one_error_line(err)


def test_rerun_with_other_seed_is_refused_and_keeps_files(toy_task, tmp_path, capsys):
    out = str(tmp_path / "res")
    assert _run(capsys, "run", "--model", "random", "--tasks", toy_task, "--out", out)[0] == 0
    run_dir = tmp_path / "res" / f"random__{toy_task}"
    before = {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()}
    code, _, err = _run(
        capsys, "run", "--model", "random", "--tasks", toy_task, "--out", out, "--seed", "7"
    )
    assert code == 2
    assert "different base_seed" in _one_error_line(err)
    assert {p.name: p.read_bytes() for p in run_dir.iterdir() if p.is_file()} == before


def test_tampered_run_is_refused_by_leaderboard_and_compare(toy_task, tmp_path, capsys):
    out = str(tmp_path / "res")
    assert _run(capsys, "run", "--model", "oracle", "--tasks", toy_task, "--out", out)[0] == 0
    samples = tmp_path / "res" / f"oracle__{toy_task}" / "samples.jsonl"
    lines = samples.read_text().splitlines(keepends=True)
    rec = json.loads(lines[0])
    rec["scores"]["accuracy"] = 0.0
    samples.write_text(json.dumps(rec) + "\n" + "".join(lines[1:]))
    code, _, err = _run(capsys, "leaderboard", out, "--out", str(tmp_path / "lb"))
    assert code == 2
    assert "samples.jsonl" in _one_error_line(err) and "tampered" in err
    code, _, err = _run(capsys, "compare", out, out)
    assert code == 2


def test_run_prints_metrics_and_exit_0(toy_task, tmp_path, capsys):
    code, out, _ = _run(
        capsys, "run", "--model", "oracle", "--tasks", toy_task, "--out", str(tmp_path)
    )
    assert code == 0
    # One summary line per task (main metric, CI, n, run dir); every metric only with -v.
    assert out.startswith("toy-qa-v1  accuracy 1.000 [") and "n=40" in out
    assert "oracle__toy-qa-v1/" in out and len(out.splitlines()) == 1


def test_error_budget_exceeded_exit_1(toy_task, tmp_path, capsys):
    code, _, err = _run(
        capsys, "run", "--model", FLAKY, "--model-args", "k=2", "--tasks", toy_task,
        "--out", str(tmp_path), "--max-errors", "2",
    )  # fmt: skip
    assert code == 1
    assert "error budget exceeded" in err


def test_console_script_is_installed_and_light():
    proc = subprocess.run(
        [sys.executable, "-c", "import sys, cosmos3_eval.cli.main, cosmos3_eval.engine.runner; "
         "print(sorted(m for m in ('torch','mujoco','robosuite','ray','transformers') "
         "if m in sys.modules))"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert proc.stdout.strip() == "[]"


def test_checkpoint_glob_runs_a_sweep_with_steps(toy_task, tmp_path, capsys):
    ckpts = tmp_path / "ckpts"
    ckpts.mkdir()
    for step, skill in [(100, 0.2), (2000, 0.9), (300, 0.5)]:
        (ckpts / f"step_{step}.json").write_text(json.dumps({"skill": skill}))
    (ckpts / "final.json").write_text(json.dumps({"skill": 1.0}))
    out = tmp_path / "sweep"
    code, _, err = _run(
        capsys, "run", "--model", CKPT, "--tasks", toy_task, "--out", str(out),
        "--model-args", f"checkpoint={ckpts}/step_*.json",
    )  # fmt: skip
    assert code == 0, err
    acc = {}
    for step in (100, 300, 2000):
        m = json.loads(
            (out / f"{CKPT.replace(':', '_')}@step_{step}__{toy_task}/metrics.json").read_text()
        )
        acc[step] = m["metrics"]["accuracy"]["value"]
    assert acc[100] < acc[300] < acc[2000]
    # A checkpoint whose step cannot be told is a user error.
    code, _, err = _run(
        capsys, "run", "--model", CKPT, "--tasks", toy_task, "--out", str(out),
        "--model-args", f"checkpoint={ckpts}/*.json",
    )  # fmt: skip
    assert code == 2 and "final.json" in _one_error_line(err)


def test_action_space_mismatch_is_one_line_before_any_file(tmp_path, capsys):
    out = tmp_path / "res"
    code, _, err = _run(
        capsys, "run", "--model", "zero", "--model-args", "convention=cosmos_10d",
        "--tasks", "push-block-v1", "--episodes", "1", "--out", str(out),
    )  # fmt: skip
    line = _one_error_line(err)
    assert code == 2
    assert "action space mismatch" in line and "push-block-v1" in line and "zero" in line
    assert not out.exists()


def test_only_the_checkpoint_arg_is_a_glob(toy_task, tmp_path, capsys):
    """``?``, ``*`` and ``[`` in other model args are text (a prompt), not a sweep."""
    from cosmos3_eval.cli.run import _expand_sweep

    args = {"system_prompt": "Are you sure? [y/n] *"}
    assert _expand_sweep("m", args, None) == [(None, args)]
    (tmp_path / "step_5.json").write_text("{}")
    swept = _expand_sweep("m", {"weights": f"{tmp_path}/step_*.json"}, None, sweep="weights")
    assert swept == [("m@step_5", {"weights": f"{tmp_path}/step_5.json"})]
