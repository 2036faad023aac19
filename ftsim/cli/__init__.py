"""Command line: argv -> scenario -> simulation -> terminal table and run folder; exit codes."""

from __future__ import annotations

from .main import build_parser, main

__all__ = ["main", "build_parser"]
