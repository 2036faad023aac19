"""Notes drawn on empty figures are plain text, whatever characters the currency holds."""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from ftsim.figures.style import empty_note, house_style


def test_empty_note_with_dollar_pairs_draws_as_text():
    # Found by benchmarks/fuzz.py: currency "_<][$$  * ]!" in the constant-NPV note raised
    # ParseException. matplotlib's wrap=True measures lines with is_math_text(), ignoring
    # parse_math=False, so a "$...$" pair was parsed as mathtext even in the house style.
    text = "NPV is 0 _<][$$  * ]! on 100.0% of paths:\nno spread to draw. $x^2$ " + "w" * 80
    for styled in (True, False):
        fig = Figure(figsize=(4, 3))
        ax = fig.add_subplot()
        if styled:
            with house_style():
                empty_note(ax, text)
                fig.savefig(io.BytesIO(), format="png")
        else:
            empty_note(ax, text)
            fig.savefig(io.BytesIO(), format="png")
        (note,) = [t for t in ax.texts if t.get_gid() == "empty_note"]
        shown = note.get_text()
        assert "$$" in shown and "$x^2$" in shown  # the characters, not typeset maths
        assert max(len(line) for line in shown.splitlines()) <= 60  # wrapped by us
