"""``python -m ftsim`` -> the command-line interface (exits without the interpreter's
teardown: see ``ftsim.cli.main.run``)."""

from .cli.main import run

run()
