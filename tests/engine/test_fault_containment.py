"""Model faults: a hung call times out per batch, a model that exits ends the run as failed."""

import json

from cosmos3_eval.cli.main import main

FAULTY = "tests.helpers.faulty_models:FaultyQA"


def _run(tmp_path, *extra):
    return main(["run", "--no-progress", "--out", str(tmp_path / "out"), "--tasks", "toy-qa-v1",
                 *extra])  # fmt: skip


def test_a_hung_answer_records_an_error_and_the_run_goes_on(toy_task, tmp_path, capsys):
    code = _run(
        tmp_path, "--model", FAULTY, "--model-args", "mode=hang,after=1,hang_s=3",
        "--limit", "8", "--batch-size", "4", "--sample-timeout", "0.3", "--max-errors", "8",
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    lines = (tmp_path / "out" / "faulty-hang__toy-qa-v1" / "samples.jsonl").read_text()
    errors = [json.loads(x)["error"] for x in lines.splitlines()]
    assert errors[:4] == [None] * 4  # the first batch answered
    assert all("did not return within 0.3 s" in e for e in errors[4:]), errors


def test_os_exit_in_a_process_worker_fails_the_run_in_one_line(toy_task, tmp_path, capsys):
    code = _run(
        tmp_path, "--model", FAULTY, "--model-args", "mode=os_exit", "--limit", "4",
        "--executor", "process", "--workers", "1",
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert "worker died" in err
    manifest = json.loads(
        (tmp_path / "out" / "faulty-os_exit__toy-qa-v1/manifest.json").read_text()
    )
    assert manifest["status"] == "failed"


def test_sysexit_in_a_process_worker_fails_the_run(toy_task, tmp_path, capsys):
    code = _run(
        tmp_path, "--model", FAULTY, "--model-args", "mode=sysexit", "--limit", "4",
        "--executor", "process", "--workers", "1",
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "SystemExit" in err and "Traceback" not in err, err
