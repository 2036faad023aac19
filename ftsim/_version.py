"""The package version (one definition: ftsim.__version__, summary.json, --version)."""

__version__ = "0.3.2"
