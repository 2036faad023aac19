"""Summary + Scenario -> the run's report: content decided once as blocks, rendered as
Markdown and PDF, written into the run folder."""

from __future__ import annotations

from .checklist import ChecklistItem, decision_checklist, volume_band
from .content import driver_sentence, report_blocks
from .markdown import render_markdown
from .write import write_report

__all__ = [
    "ChecklistItem",
    "decision_checklist",
    "volume_band",
    "driver_sentence",
    "report_blocks",
    "render_markdown",
    "write_report",
]
