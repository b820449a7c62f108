"""list / describe / global flags: output fits $COLUMNS, --json parses, cards are complete."""

import json

import pytest

from cosmos3_eval import __version__
from cosmos3_eval.cli.main import main


def _run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("columns", [80, 100])
@pytest.mark.parametrize(
    "argv",
    [
        ["list", "tasks"],
        ["list", "models"],
        ["list", "suites"],
        ["describe", "push-block-v1"],
        ["describe", "robosuite-lift-v1"],
        ["describe", "openpi"],
    ],
)
def test_output_fits_columns(capsys, monkeypatch, argv, columns):
    monkeypatch.setenv("COLUMNS", str(columns))
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= columns


def test_list_json_has_main_metric_and_model_args(capsys):
    _, out, _ = _run(capsys, "list", "tasks", "--json")
    tasks = {t["task"]: t for t in json.loads(out)}
    assert tasks["physqa-sim-v1"]["main_metric"] == "accuracy"
    assert "seconds_per_sample" in tasks["push-block-v1"]
    _, out, _ = _run(capsys, "list", "models", "--json")
    models = {m["model"]: m for m in json.loads(out)}
    assert models["openai"]["capabilities"] == ["answer"]
    assert "base_url" in models["openai"]["args"]
    assert models["all-black"]["capabilities"] == ["generate_videos"]  # via the return type


def test_describe_policy_task_documents_observation_and_action(capsys):
    _, out, _ = _run(capsys, "describe", "robosuite-lift-v1", "--json")
    card = json.loads(out)
    assert card["main_metric"] == "success"
    assert set(card["observation"]) == {
        "images['agentview']",
        "images['robot0_eye_in_hand']",
        "proprio['eef_pos']",
        "proprio['eef_quat']",
        "proprio['gripper_qpos']",
    }
    assert card["action"]["dim"] == 7 and card["action"]["gripper"]


def test_describe_model_prints_typed_args(capsys):
    _, out, _ = _run(capsys, "describe", "oracle")
    assert "degrade" in out and "float" in out and "0.0" in out


def test_describe_unknown_name_is_one_line_exit_2(capsys):
    code, _, err = _run(capsys, "describe", "push-blok-v1")
    assert code == 2 and "did you mean 'push-block-v1'" in err and len(err.splitlines()) == 1


def test_version_and_verbosity_flags(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and __version__ in capsys.readouterr().out
    # -q / -v are accepted before and after the subcommand.
    assert _run(capsys, "-q", "list", "suites")[0] == 0
    assert _run(capsys, "list", "suites", "-v")[0] == 0


def test_run_verbose_prints_metric_table_quiet_prints_only_summary(toy_task, tmp_path, capsys):
    code, out, err = _run(
        capsys, "run", "-q", "--model", "oracle", "--tasks", toy_task, "--out", str(tmp_path)
    )
    assert code == 0 and len(out.splitlines()) == 1 and err == ""
    code, out, _ = _run(
        capsys, "run", "-v", "--model", "oracle", "--tasks", toy_task, "--out", str(tmp_path)
    )
    assert "accuracy *" in out and "95% CI" in out
