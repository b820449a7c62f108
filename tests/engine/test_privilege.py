"""Privilege is granted by the registry to the built-in references, never declared by a model."""

import json

import pytest

from cosmos3_eval.api.registry import MODELS
from cosmos3_eval.cli.main import main
from cosmos3_eval.engine.factory import check_privilege, create_model
from cosmos3_eval.engine.options import RunOptions
from cosmos3_eval.engine.runner import run_task
from cosmos3_eval.errors import PrivilegeError
from cosmos3_eval.models.do_nothing_video import TwinModel, twin_lag
from tests.helpers.attackers import ORACLE_SUBCLASS, SELF_DECLARED, SelfDeclaredOracle


@pytest.mark.parametrize("model", [SELF_DECLARED, ORACLE_SUBCLASS])
def test_a_self_declared_privileged_model_is_refused_and_nothing_is_created(
    model, tmp_path, capsys
):
    out = tmp_path / "results"
    code = main(["run", "--model", model, "--tasks", "physqa-sim-v1", "--limit", "3",
                 "--out", str(out), "--no-progress"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and "privileged" in lines[0] and "Traceback" not in err
    assert not out.exists()


def test_a_re_registered_oracle_name_is_not_granted(monkeypatch):
    monkeypatch.setitem(MODELS._entries, "oracle", SELF_DECLARED)
    with pytest.raises(PrivilegeError, match="granted only to the built-in"):
        create_model("oracle")


def test_run_task_refuses_a_self_declared_instance_before_the_run_dir(tmp_path):
    opts = RunOptions(out=tmp_path / "r", progress=False)
    with pytest.raises(PrivilegeError):
        run_task(SelfDeclaredOracle(), "physqa-sim-v1", opts, limit=2)
    assert not (tmp_path / "r").exists()


def test_the_built_in_references_are_granted():
    assert check_privilege(create_model("oracle"), "oracle") is True
    assert check_privilege(TwinModel(), "twin") is True
    assert check_privilege(twin_lag(), "twin-lag") is True
    assert check_privilege(create_model("random"), "random") is False


def test_the_oracle_still_solves_physqa_and_its_manifest_says_privileged(tmp_path, capsys):
    out = tmp_path / "results"
    for model in ("oracle", "random"):
        assert main(["run", "--model", model, "--tasks", "physqa-sim-v1", "--limit", "4",
                     "--out", str(out), "--no-progress"]) == 0  # fmt: skip
    oracle = out / "oracle__physqa-sim-v1"
    metrics = json.loads((oracle / "metrics.json").read_text())
    assert metrics["metrics"]["accuracy"]["value"] == 1.0
    assert json.loads((oracle / "manifest.json").read_text())["privileged"] is True
    random_manifest = json.loads((out / "random__physqa-sim-v1" / "manifest.json").read_text())
    assert random_manifest["privileged"] is False
