"""Tables fit $COLUMNS: long cells are cut with an ellipsis, free-text columns wrap."""

from cosmos3_eval.results.table import cut, fit_table, terminal_width


def test_terminal_width_reads_columns_and_defaults_to_100(monkeypatch):
    monkeypatch.delenv("COLUMNS", raising=False)
    assert terminal_width() == 100
    monkeypatch.setenv("COLUMNS", "72")
    assert terminal_width() == 72
    monkeypatch.setenv("COLUMNS", "junk")
    assert terminal_width() == 100


def test_fit_table_never_exceeds_width_and_wraps_text_columns():
    rows = [["a-very-long-task-name-v1", "generate_images", "word " * 40]] * 3
    for width in (40, 60, 100):
        text = fit_table(rows, ["task", "capability", "description"], width, wrap=["description"])
        assert max(len(line) for line in text.splitlines()) <= width
        # Wrapped, not cut: every word of the description is still there.
        assert text.count("word") == 3 * 40


def test_fit_table_keeps_short_tables_unchanged_and_cuts_with_ellipsis():
    text = fit_table([["x", 1.5, None]], ["a", "b", "c"], 100, right=["b"])
    assert text.splitlines() == ["a    b  c", "-  ---  -", "x  1.5  -"]
    assert cut("abcdef", 4) == "abc…"
    assert "…" in fit_table([["z" * 200]], ["long"], 50)
