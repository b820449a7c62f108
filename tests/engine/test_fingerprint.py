"""The fingerprint covers model code and target, task files and assets; --restart moves aside."""

import json
import shutil
import sys

import pytest

from cosmos3_eval.api.resources import data_path
from cosmos3_eval.cli.main import main
from cosmos3_eval.engine.tasks import load_benchmark
from cosmos3_eval.results.rundir import find_runs

MODEL_SRC = """
from cosmos3_eval.api.model import ModelInfo
from cosmos3_eval.api.types import TextOutput


class {cls}:
    def __init__(self):
        self.info = ModelInfo(name="same-name")

    def answer(self, requests):
        return [TextOutput("{letter}") for _ in requests]
"""


@pytest.fixture
def model_module(tmp_path, monkeypatch):
    """A third-party model module ``fp_model`` with classes A and B, both named 'same-name'."""
    src = tmp_path / "mods" / "fp_model.py"
    src.parent.mkdir()
    src.write_text(MODEL_SRC.format(cls="A", letter="A") + MODEL_SRC.format(cls="B", letter="B"))
    monkeypatch.syspath_prepend(str(src.parent))
    sys.modules.pop("fp_model", None)  # each test imports its own copy
    yield src
    sys.modules.pop("fp_model", None)


def _run(capsys, out, model, task="qa-sample-v1", *extra):
    code = main(["run", "--model", model, "--tasks", task, "--limit", "2", "--out", str(out),
                 "--label", "m", "--no-progress", *extra])  # fmt: skip
    return code, capsys.readouterr().err


def test_an_edited_model_is_refused_naming_the_field(model_module, tmp_path, capsys):
    out = tmp_path / "r"
    assert _run(capsys, out, "fp_model:A")[0] == 0
    before = (out / "m__qa-sample-v1" / "samples.jsonl").read_bytes()
    model_module.write_text(model_module.read_text() + "\n# tuned\n")
    code, err = _run(capsys, out, "fp_model:A")
    assert code == 2 and "different model.source_sha256" in err and "--restart" in err
    assert (out / "m__qa-sample-v1" / "samples.jsonl").read_bytes() == before


def test_two_classes_sharing_a_name_do_not_resume_each_other(model_module, tmp_path, capsys):
    out = tmp_path / "r"
    assert _run(capsys, out, "fp_model:A")[0] == 0
    code, err = _run(capsys, out, "fp_model:B")
    assert code == 2 and "different model.target" in err


@pytest.fixture
def task_copy(tmp_path, monkeypatch):
    """A copy of the shipped task folder, searched first (COSMOS3_EVAL_TASKS)."""
    tasks = tmp_path / "tasks"
    shutil.copytree(data_path("tasks"), tasks)
    monkeypatch.setenv("COSMOS3_EVAL_TASKS", str(tasks))
    return tasks


def test_an_edited_media_file_is_refused(task_copy, tmp_path, capsys):
    out = tmp_path / "r"
    assert _run(capsys, out, "random")[0] == 0
    with open(task_copy / "data" / "qa-sample" / "media" / "q000.png", "ab") as f:
        f.write(b"\0")
    code, err = _run(capsys, out, "random")
    assert code == 2 and "different task_files.data/qa-sample/media/q000.png" in err


def test_push_block_loads_and_fingerprints_its_own_mjcf(task_copy, tmp_path, capsys):
    bench = load_benchmark("push-block-v1")
    assert bench.env_spec().kwargs["xml"] == str(task_copy / "assets" / "push_block.xml")
    assert bench.assets() == [task_copy / "assets" / "push_block.xml"]
    out = tmp_path / "r"
    assert _run(capsys, out, "zero", "push-block-v1")[0] == 0
    xml = task_copy / "assets" / "push_block.xml"
    xml.write_text(xml.read_text().replace("<mujoco", "<!-- edited -->\n<mujoco", 1))
    code, err = _run(capsys, out, "zero", "push-block-v1")
    assert code == 2 and "different task_files.assets/push_block.xml" in err


def test_restart_moves_the_old_run_aside_and_starts_fresh(model_module, tmp_path, capsys):
    out = tmp_path / "r"
    assert _run(capsys, out, "fp_model:A")[0] == 0
    old_manifest = (out / "m__qa-sample-v1" / "manifest.json").read_text()
    code, err = _run(capsys, out, "fp_model:B", "qa-sample-v1", "--restart")
    assert code == 0
    (moved,) = out.glob("m__qa-sample-v1.old-*")
    assert f"moved the old run {out / 'm__qa-sample-v1'} to {moved}" in err
    assert (moved / "manifest.json").read_text() == old_manifest
    new = json.loads((out / "m__qa-sample-v1" / "manifest.json").read_text())
    assert new["identity"]["model"]["target"] == "fp_model:B"
    # Leaderboards and reports skip runs moved aside (unless named directly).
    assert [r.path for r in find_runs([out])] == [out / "m__qa-sample-v1"]
    assert [r.path for r in find_runs([moved])] == [moved]
