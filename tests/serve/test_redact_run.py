"""A key in a ``base_url`` reaches neither the run directory nor the console."""

import subprocess
import sys

from tests.helpers.servers import spawn_server

USER_KEY = "KEYuserinfo123"
QUERY_KEY = "SECRETquery456"


def test_base_url_credentials_are_written_nowhere(toy_task, tmp_path):
    with spawn_server("random", {}, "openai") as s:
        base_url = f"http://user:{USER_KEY}@127.0.0.1:{s.port}/v1?api_key={QUERY_KEY}"
        args = f"base_url={base_url},model=random,max_retries=0"
        proc = subprocess.run(
            [sys.executable, "-m", "cosmos3_eval.cli", "run", "--model", "openai",
             "--model-args", args, "--tasks", toy_task, "--out", str(tmp_path / "runs"),
             "--max-errors", "1000"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    written = [proc.stdout, proc.stderr]
    files = [p for p in (tmp_path / "runs").rglob("*") if p.is_file()]
    assert any(p.name == "manifest.json" for p in files), proc.stderr[-2000:]
    written += [p.read_bytes().decode(errors="replace") for p in files]
    for text in written:
        assert USER_KEY not in text and QUERY_KEY not in text
    manifest = next(p for p in files if p.name == "manifest.json").read_text()
    assert "REDACTED" in manifest  # the URL is still there, minus the credentials
