"""cosmos3_eval.evaluate(): typed results, model instances, and scripts without a main guard."""

import subprocess
import sys
import textwrap

import pytest

import cosmos3_eval
from cosmos3_eval.models.baselines import OracleModel


def test_evaluate_by_name_and_by_instance_returns_typed_results(toy_task, tmp_path):
    res = cosmos3_eval.evaluate("oracle", toy_task, limit=10, out=tmp_path / "a")
    assert isinstance(res[0], cosmos3_eval.TaskResult)
    assert res[0].value == 1.0 and res[0].n == 10 and res[0].main_metric == "accuracy"
    assert res[0].metrics["accuracy"].ci95 is not None
    assert (res[0].run_dir / "metrics.json").is_file()
    inst = cosmos3_eval.evaluate(OracleModel(), [toy_task], limit=10, out=tmp_path / "b")
    assert inst[0].value == res[0].value


def test_bad_option_and_model_without_info_are_clear_errors(toy_task, tmp_path):
    with pytest.raises(cosmos3_eval.errors.UserError, match="did you mean 'workers'"):
        cosmos3_eval.evaluate("oracle", toy_task, workerz=2)
    with pytest.raises(cosmos3_eval.errors.UserError, match="has no .info"):
        cosmos3_eval.evaluate(object(), toy_task, out=tmp_path)


def test_to_pandas_needs_pandas(toy_task, tmp_path, monkeypatch):
    res = cosmos3_eval.evaluate("oracle", toy_task, limit=5, out=tmp_path)
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        res.to_pandas()


def test_plain_script_without_main_guard_runs_a_policy_task_with_workers(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import cosmos3_eval

            res = cosmos3_eval.evaluate(
                "oracle", ["push-block-v1"], limit=2, workers=2, out={str(tmp_path / "r")!r}
            )
            print("RESULT", res[0].value, res[0].n)
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "RESULT 1.0 2" in proc.stdout
    assert proc.stdout.count("RESULT") == 1  # the script ran once, not once per worker


def test_import_stays_light():
    code = "import sys, cosmos3_eval; print('cosmos3_eval.engine' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
