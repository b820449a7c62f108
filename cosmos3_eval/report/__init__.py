"""Static HTML report and plots: ``cosmos3-eval report`` and the leaderboard's ``index.html``.

matplotlib is imported only when a report is written.
"""

from cosmos3_eval.report.html import write_leaderboard_html
from cosmos3_eval.report.site import write_report
from cosmos3_eval.report.sweep import parse_step

__all__ = ["parse_step", "write_leaderboard_html", "write_report"]
