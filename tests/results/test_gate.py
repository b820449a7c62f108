"""The CI gate: missing tasks, power, reproduction profiles and thresholds give exit 2."""

import json

import pytest

from cosmos3_eval.cli.main import main
from cosmos3_eval.engine import manifest as runner  # the manifest builder calls reproduction_profile
from cosmos3_eval.engine.runner import RunOptions, evaluate
from cosmos3_eval.results.gate import required_n

TASKS = [("qa-sample-v1", None), ("physqa-sim-v1", 30)]


def _run(out, args=None, tasks=TASKS):
    return evaluate("oracle", args or {}, tasks, RunOptions(out=out, progress=False))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("gate")
    _run(root / "base")
    _run(root / "same")
    _run(root / "one", tasks=TASKS[:1])
    mp = pytest.MonkeyPatch()
    real = runner.reproduction_profile

    def hotter(model, manifest):
        prof = real(model, manifest)
        prof["generation"]["temperature"] = 0.7
        return prof

    mp.setattr(runner, "reproduction_profile", hotter)
    _run(root / "hot")
    mp.undo()
    return root


def _gate(capsys, *args):
    code = main(["compare", *map(str, args)])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_missing_baseline_task_is_refused_naming_it(runs, capsys):
    code, _, err = _gate(capsys, runs / "base", runs / "one")
    assert code == 2 and "physqa-sim-v1" in err and "--allow-missing" in err
    code, out, _ = _gate(capsys, runs / "base", runs / "one", "--allow-missing")
    assert code == 0 and "missing in NEW" in out and "physqa-sim-v1" in out


def test_underpowered_task_is_marked_and_require_power_refuses(runs, capsys):
    code, out, _ = _gate(capsys, runs / "base", runs / "same", "--max-drop", "0.02")
    assert code == 0 and "UNDERPOWERED" in out and "n≥" in out
    code, out, _ = _gate(capsys, runs / "base", runs / "same", "--require-power")
    assert code == 2 and "--require-power" in out
    # A threshold the runs can see is powered: no refusal.
    code, out, _ = _gate(capsys, runs / "base", runs / "same", "--max-drop", "0.9",
                         "--require-power")  # fmt: skip
    assert code == 0 and "UNDERPOWERED (" not in out and "UNDERPOWERED (cannot" not in out


def test_profile_difference_is_refused_unless_allowed(runs, capsys):
    code, _, err = _gate(capsys, runs / "base", runs / "hot")
    assert code == 2 and "generation.temperature" in err
    code, out, _ = _gate(capsys, runs / "base", runs / "hot", "--allow-profile-diff")
    assert code == 0 and "generation.temperature: None != 0.7" in out


@pytest.mark.parametrize("bad", [["--max-drop", "nan"], ["--max-drop", "-1"],
                                 ["--alpha", "nan"], ["--alpha", "1.5"]])  # fmt: skip
def test_thresholds_must_be_finite_and_in_range(runs, capsys, bad):
    code, _, err = _gate(capsys, runs / "base", runs / "same", *bad)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_json_verdict(runs, capsys):
    code, out, _ = _gate(capsys, runs / "base", runs / "same", "--json")
    verdict = json.loads(out)
    assert code == verdict["exit_code"] == 0
    assert {t["task"] for t in verdict["tasks"]} == {"qa-sample-v1", "physqa-sim-v1"}
    assert all("mde" in t and "n_needed" in t for t in verdict["tasks"])


def test_required_n_reaches_the_threshold():
    from cosmos3_eval.scorers.stats import minimum_detectable_effect

    mde = minimum_detectable_effect(0.3, 50)
    n = required_n(mde, 50, 0.05, 0.05)
    assert minimum_detectable_effect(0.3, n) <= 0.05 < minimum_detectable_effect(0.3, n - 1)
    assert required_n(mde, 50, 0.0, 0.05) is None
