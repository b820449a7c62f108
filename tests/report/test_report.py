"""Unit tests of the report: step parsing, sweep grouping, escaping, artifact copying, and the
site written from real toy runs."""

import html
import re
from pathlib import Path

import pytest

from cosmos3_eval.engine.runner import RunOptions, evaluate
from cosmos3_eval.errors import DataError
from cosmos3_eval.report import parse_step, write_leaderboard_html, write_report
from cosmos3_eval.report.colours import PALETTE, colour_map
from cosmos3_eval.report.html import esc, leaderboard_table, metric_cell
from cosmos3_eval.report.plots import Bar, bar_chart, legend_label
from cosmos3_eval.report.samples import card, copy_artifact, gallery, side_by_side
from cosmos3_eval.report.sweep import find_sweeps, run_step, series_name
from cosmos3_eval.results.board import build_leaderboard
from cosmos3_eval.results.leaderboard import VerifiedRun, load_schema

HOSTILE = "<script>alert(1)</script>"


@pytest.mark.parametrize(
    "text, step",
    [
        ("torch@step_1000", 1000),
        ("ckpts/step_2000.safetensors", 2000),
        ("model-step-30", 30),
        ("global_step300", 300),
        ("runs/step_10/model_step_20.pt", 20),  # the last one names the checkpoint
        ("STEP_7", 7),
        ("multistep2", None),  # "step" inside a word is not a step
        ("step_5k", None),  # ambiguous unit
        ("oracle", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_step(text, step):
    assert parse_step(text) == step


@pytest.mark.parametrize(
    "label, series",
    [
        ("torch@step_1000", "torch"),
        ("nano_step_20", "nano"),
        ("super-step-5", "super"),
        ("oracle", "oracle"),
        ("step_100", "step_100"),  # nothing left: keep the label
    ],
)
def test_series_name(label, series):
    assert series_name(label) == series


def _run(label, task="t-v1", value=0.5, n=10, params=None, revision="", finished="2026"):
    manifest = {
        "task": {"id": task},
        "model": {"name": "torch", "revision": revision, "params": params or {}},
        "finished_at": finished,
        "run_id": f"{label}-{task}",
    }
    metrics = {
        "task": task,
        "main_metric": "accuracy",
        "n_samples": n,
        "metrics": {"accuracy": {"value": value, "ci95": [value - 0.1, value + 0.1], "n": n}},
    }
    return VerifiedRun(Path(f"/r/{label}__{task}"), manifest, metrics)


def test_run_step_sources_in_order():
    assert run_step(_run("a", params={"step": 5, "checkpoint": "x/step_9.pt"})) == 5
    assert run_step(_run("a", params={"step": "6"})) == 6
    assert run_step(_run("a", revision="step_7", params={"checkpoint": "step_9"})) == 7
    assert run_step(_run("a", params={"checkpoint": "ck/step_9.safetensors"})) == 9
    assert run_step(_run("a@step_11")) == 11
    assert run_step(_run("a", params={"step": True})) is None  # a bool is not a step
    assert run_step(_run("oracle")) is None


def test_find_sweeps_groups_by_task_and_series():
    runs = [
        _run("nano@step_200", value=0.6),
        _run("nano@step_100", value=0.4),
        _run("nano@step_100", value=0.9, n=50),  # same step, larger run wins
        _run("super@step_100"),  # a single step is not a sweep
        _run("nano@step_300", task="u-v1"),  # another task, single step
        _run("oracle"),
    ]
    (sw,) = find_sweeps(runs)
    assert (sw.task, sw.series, sw.metric) == ("t-v1", "nano", "accuracy")
    assert [(p.step, p.value, p.n) for p in sw.points] == [(100, 0.9, 50), (200, 0.6, 10)]
    assert sw.points[0].ci95 == pytest.approx((0.8, 1.0))


def test_legend_label_keeps_underscore_labels_and_dollars():
    assert not legend_label("_hidden").startswith("_")  # matplotlib would drop it
    assert legend_label("a$b$") == r"a\$b\$"


def test_card_escapes_every_user_string():
    rec = {
        "id": HOSTILE,
        "seed": 1,
        "category": HOSTILE,
        "data": {"question": HOSTILE, "choices": [HOSTILE, "b"], "answer": HOSTILE},
        "output": {"text": '<img src=x onerror="alert(2)">', "extracted": HOSTILE},
        "scores": {"accuracy": 0.0, HOSTILE: 0.5},
        "reasons": {"accuracy": HOSTILE},
        "error": None,
    }
    out = card(rec, "accuracy", [])
    assert "<script" not in out and "<img" not in out
    assert html.escape(HOSTILE) in out
    assert html.escape('<img src=x onerror="alert(2)">', quote=True) in out
    assert 'class="bad">wrong' in out
    err = card({**rec, "error": HOSTILE, "scores": {}}, "accuracy", [])
    assert "<script" not in err and f"error: {html.escape(HOSTILE)}" in err


def test_leaderboard_html_escapes_labels(tmp_path):
    schema = load_schema()
    row = {
        "model": HOSTILE,
        "rank": 1,
        "revision": '"><script>x()</script>',
        "cells": {"qa-sample-v1": {"value": 0.5, "stderr": 0.1, "ci95": [0.3, 0.7], "n": 9}},
        "families": {"understanding": (0.5, 0.1)},
        "overall": (0.5, 0.1),
        "run_ids": [HOSTILE],
        "commit": "abc",
        "date": "2026",
    }
    table = leaderboard_table([row], schema, subtitle={HOSTILE: HOSTILE})
    assert "<script" not in table
    assert f'data-model="{esc(HOSTILE)}"' in table
    page = write_leaderboard_html([row], schema, tmp_path).read_text()
    assert page.count("<script") == 1  # only the inline filter script
    assert f'<option value="{esc(HOSTILE)}">' in page


def test_copy_artifact_stays_inside_artifacts(tmp_path):
    run = tmp_path / "run"
    (run / "artifacts" / "sub").mkdir(parents=True)
    (run / "artifacts" / "a.png").write_bytes(b"png")
    (run / "artifacts" / "sub" / "b.gif").write_bytes(b"gif")
    (tmp_path / "secret.txt").write_text("secret")
    dest = tmp_path / "site" / "media"
    assert copy_artifact(run, "a.png", dest).read_bytes() == b"png"
    assert copy_artifact(run, "sub/b.gif", dest).name == "sub_b.gif"
    assert copy_artifact(run, "../secret.txt", dest) is None
    assert copy_artifact(run, str(tmp_path / "secret.txt"), dest) is None
    assert copy_artifact(run, "missing.png", dest) is None
    assert not (dest / "secret.txt").exists()


def _toy_runs(toy_task, out):
    opts = RunOptions(out=out, limit=12, progress=False)
    evaluate("oracle", {}, [(toy_task, None)], RunOptions(out=out, limit=12, progress=False,
                                                          label="toy@step_20"))  # fmt: skip
    evaluate("random", {}, [(toy_task, None)], RunOptions(out=out, limit=12, progress=False,
                                                          label="toy@step_10"))  # fmt: skip
    evaluate("oracle", {}, [(toy_task, None)], opts)


def test_write_report_from_real_runs(toy_task, tmp_path):
    results = tmp_path / "results"
    _toy_runs(toy_task, results)
    index = write_report([results], tmp_path / "site")
    page = index.read_text()
    board = page[page.index('id="board"') : page.index('id="charts"')]
    assert len(re.findall(r"<tr data-model=", board)) == 3
    sweep = list((tmp_path / "site" / "plots").glob("sweep-toy-qa-v1-*.png"))
    family = list((tmp_path / "site" / "plots").glob("family-*.png"))
    assert len(sweep) == 1 and family
    assert sweep[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f'src="plots/{sweep[0].name}"' in page
    # Self-contained: no URL leaves the site.
    assert not re.search(r'(src|href)="(https?:)?//', page)
    assert page.count("<script") == 1
    # One (collapsed) gallery per run, each card with truth and model answer; the side-by-side
    # view shows 3 shared samples, each with its truth once and one cell per model.
    assert page.count('<details class="gallery') == 3
    assert page.count('class="truth"') == 3 * 12 + 3
    compare = page[page.index('id="compare"') : page.index('id="samples"')]
    assert compare.count('class="cmp"') == 3 and compare.count('<div class="cell"') == 9
    # One colour per model: the table swatch, the legend and the side-by-side cells agree.
    for colour in colour_map(["oracle", "toy@step_10", "toy@step_20"]).values():
        assert page.count(f"background:{colour}") >= 1 + 1 + 3 + 1  # table, legend, cmp, gallery


def test_report_and_leaderboard_refuse_a_tampered_run(toy_task, tmp_path):
    results = tmp_path / "results"
    _toy_runs(toy_task, results)
    board = build_leaderboard([results], tmp_path / "lb")
    assert (tmp_path / "lb" / "LEADERBOARD.md") in board.files
    samples = next(results.glob("oracle__*/samples.jsonl"))
    text = samples.read_text()
    tampered = text.replace('"accuracy":1.0', '"accuracy":0.0', 1)
    assert tampered != text
    samples.write_text(tampered)
    with pytest.raises(DataError, match=re.escape(str(samples))):
        write_report([results], tmp_path / "site")


def test_gallery_shows_episode_videos_and_images(tmp_path):
    import json

    run = tmp_path / "results" / "pol__lift-v1"
    (run / "artifacts").mkdir(parents=True)
    (run / "artifacts" / "ep0.mp4").write_bytes(b"mp4")
    (run / "artifacts" / "s1.gif").write_bytes(b"gif")
    recs = [
        {"id": "lift-v1/000000", "index": 0, "seed": 3, "scores": {"success": 1.0},
         "error": None, "video": "ep0.mp4"},
        {"id": "lift-v1/000001", "index": 1, "seed": 4, "scores": {"success": 0.0},
         "error": None, "artifact": "s1.gif"},
        {"id": "lift-v1/000002", "index": 2, "seed": 5, "scores": {}, "error": "boom",
         "artifact": "../../etc/passwd"},
    ]  # fmt: skip
    (run / "samples.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    vr = VerifiedRun(
        run,
        {"task": {"id": "lift-v1"}, "model": {"name": "pol"}, "run_id": "x"},
        {"main_metric": "success", "n_samples": 3, "n_errors": 1,
         "metrics": {"success": {"value": 0.5, "ci95": [0.1, 0.9], "n": 3}}},
    )  # fmt: skip
    site = tmp_path / "site"
    out = gallery(vr, site, load_schema(), size=12)
    assert out.count("<video ") == 1 and out.count("<img ") == 1
    assert "missing artifact ../../etc/passwd" in out
    assert 'class="ok">pass' in out and "error: boom" in out
    copied = sorted(p.name for p in (site / "media").rglob("*") if p.is_file())
    assert copied == ["ep0.mp4", "s1.gif"]


def test_colour_map_is_stable_and_distinct():
    keys = [f"m{i}" for i in range(25)]
    first = colour_map(reversed(keys))
    assert first == colour_map(keys + keys)  # same keys, same colours, whatever the order
    assert len(set(first.values())) == 25
    assert first["m0"] == PALETTE[0]


def test_metric_cell_is_compact():
    sym = metric_cell({"value": 0.724, "ci95": [0.693, 0.755], "n": 200}, 100, "t-v1")
    assert ">72.4<" in sym and '<span class="ci">±3.1</span>' in sym and "n = 200" in sym
    asym = metric_cell({"value": 1.0, "ci95": [0.51, 1.0], "n": 4}, 100)
    assert '<span class="ci">[51–100]</span>' in asym
    assert "–" in metric_cell(None, 100) and "data-v" not in metric_cell(None, 100)


def test_bar_chart_draws_each_model_in_its_colour(tmp_path):
    from PIL import Image

    colours = {"a": "#e15759", "b": "#59a14f"}
    bars = [Bar(m, v, None, colours[m]) for m, v in (("a", 0.9), ("b", 0.5))]
    path = bar_chart({"task": bars}, "t", "y", tmp_path / "c.png")
    pixels = set(Image.open(path).convert("RGB").getdata())
    for hexa in colours.values():
        assert tuple(int(hexa[i : i + 2], 16) for i in (1, 3, 5)) in pixels


def _fake_run(root, label, recs, capability="answer", seed_shift=0):
    import json

    run = root / f"{label}__t-v1"
    (run / "artifacts").mkdir(parents=True)
    for r in recs:
        if r.get("artifact"):
            (run / "artifacts" / r["artifact"]).write_bytes(b"GIF89a")
    lines = [json.dumps({**r, "seed": r["seed"] + seed_shift}) + "\n" for r in recs]
    (run / "samples.jsonl").write_text("".join(lines))
    return VerifiedRun(
        run,
        {"task": {"id": "t-v1", "capability": capability}, "model": {"name": label},
         "run_id": label, "label": label},
        {"main_metric": "accuracy", "n_samples": len(recs), "n_errors": 0,
         "metrics": {"accuracy": {"value": 0.5, "n": len(recs)}}},
    )  # fmt: skip


def test_side_by_side_pairs_same_id_and_seed_and_escapes(tmp_path):
    recs = [
        {"id": f"t-v1/{i}", "index": i, "seed": i, "artifact": f"{i}.gif", "error": None,
         "data": {"question": HOSTILE, "answer": "A"}, "output": {"text": HOSTILE},
         "scores": {"accuracy": 1.0}}
        for i in range(5)
    ]  # fmt: skip
    runs = [
        _fake_run(tmp_path / "r", HOSTILE, recs, "generate_videos"),
        _fake_run(tmp_path / "r", "b", recs, "generate_videos"),
        _fake_run(tmp_path / "r", "other-seed", recs, "generate_videos", seed_shift=100),
    ]
    colours = colour_map([r.label for r in runs])
    out = side_by_side("t-v1", runs, tmp_path / "site", load_schema(),
                       labels={}, colours=colours, per_task=2)  # fmt: skip
    assert "<script" not in out and esc(HOSTILE) in out
    assert out.count('class="cmp"') == 2 and out.count('<div class="cell"') == 4
    assert 'data-model="other-seed"' not in out  # another base seed: not the same sample
    # I2V GIFs are truth | generated pairs: every one is labelled.
    assert out.count("<span>truth</span><span>generated</span>") == 4
    assert f"border-top-color:{colours['b']}" in out
    assert side_by_side("t-v1", runs[:1], tmp_path / "site", load_schema(),
                        labels={}, colours=colours) == ""  # fmt: skip
