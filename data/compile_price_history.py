"""Compile data/price_history.csv (see data/README.md for the sources and the rules).

    python data/compile_price_history.py LLM_PRICES_CLONE > data/price_history.csv

LLM_PRICES_CLONE is a git clone of github.com/simonw/llm-prices (its history is the panel:
every commit is a dated observation of every price it lists). The script also reads the
genai-prices catalog bundled with the installed package, and adds the hand-entered rows of
HAND_ROWS (figures whose original sources are cited row by row). Run by hand; nothing in
ftsim imports it.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from ftsim.scenario.catalog import catalog_version

LLM_PRICES = "simonw/llm-prices (llm-prices.com) git history"
CATALOG_DAY = dt.date(2026, 11, 9)  # the latest dated change the catalog snapshot holds
# llm-prices vendor -> genai-prices provider
PROVIDER = {"openai": "openai", "anthropic": "anthropic", "google": "google", "xai": "x-ai",
            "mistral": "mistral", "deepseek": "deepseek", "moonshot-ai": "moonshotai",
            "minimax": "minimax", "meta-ai": "meta"}
# an id's vendor in the early (index.html) files, by prefix
PREFIX_VENDOR = (("gpt", "openai"), ("o1", "openai"), ("o3", "openai"), ("o4", "openai"),
                 ("chatgpt", "openai"), ("text-davinci", "openai"), ("claude", "anthropic"),
                 ("gemini", "google"), ("grok", "xai"), ("amazon", "amazon"),
                 ("deepseek", "deepseek"), ("mistral", "mistral"), ("ministral", "mistral"),
                 ("pixtral", "mistral"), ("codestral", "mistral"), ("open-m", "mistral"),
                 ("magistral", "mistral"), ("llama", "meta-ai"), ("qwen", "qwen"))
# long-prompt tiers, image generation: not a model's token price of its own
SKIP = re.compile(r"(-\d+k$|--|image|>)")
# Observations in llm-prices that are its own data errors, not a vendor's prices (first and
# last day, inclusive): the commit that split the page into data/*.json (51758ee,
# 2025-10-10) was generated from an older copy and put o3 back to 10 / 40 (cut to 2 / 8 on
# 2025-06-10, as the catalog and OpenAI's page say) and gemini-2.5-flash back to its preview
# price 0.15 / 0.60 (GA 0.30 / 2.50 since 2025-06-17; restored in llm-prices on 2025-11-24).
ERRORS: dict[str, tuple[dt.date, dt.date]] = {
    "openai:o3": (dt.date(2025, 10, 10), dt.date(2026, 12, 31)),
    "google:gemini-2.5-flash": (dt.date(2025, 10, 10), dt.date(2025, 11, 23)),
}
HTML_ROW = re.compile(r"'([^']+)':\s*\{\s*name:\s*'([^']*)',\s*input:\s*([\d.]+),\s*"
                      r"output:\s*([\d.]+)")
# Figures with their original sources (the GPU rent index, and in-place changes the panel
# does not cover). (date, series, price, unit, index, source, note)
HAND_ROWS = [
    ("2023-07", "H100 rental index", 10.0, "USD/GPU-hour", "gpu",
     "SemiAnalysis H100 rental index via neighborhoodsf.com (2026)", "2023: 8-12, dated mid-year"),
    ("2024-07", "H100 rental index", 2.92, "USD/GPU-hour", "gpu",
     "SemiAnalysis H100 rental index via neighborhoodsf.com (2026)", "2024: 2.85-2.99, mid-year"),
    ("2025-10", "H100 rental index", 1.70, "USD/GPU-hour", "gpu",
     "SemiAnalysis H100 rental index via neighborhoodsf.com; compux.net (2026)", "Oct-2025 low"),
    ("2026-03", "H100 rental index", 2.35, "USD/GPU-hour", "gpu",
     "SemiAnalysis index, 1-yr contract, via neighborhoodsf.com (2026-03)", ""),
    ("2025-05", "AWS p5 H100 on-demand", 12.29, "USD/GPU-hour", "gpu",
     "wring.co (2026-03): p5.48xlarge 98.32 USD/h before the June-2025 cut", "8 GPUs"),
    ("2025-06", "AWS p5 H100 on-demand", 6.88, "USD/GPU-hour", "gpu",
     "compux.net (2026): AWS P5 after the ~44% June-2025 cut", "month of the cut"),
    ("2026-03", "AWS p5 H100 on-demand", 6.88, "USD/GPU-hour", "gpu",
     "compux.net (2026); wring.co (2026-03)", "still in force"),
]


# Tiers: a team that always moves to the newest model of a tier pays, on each day, the
# price of the newest member listed by then (successor steps, index "api_tier").
TIERS = {
    "tier:openai-flagship": ("openai:gpt-4o", "openai:gpt-4.1", "openai:gpt-5", "openai:gpt-5.1",
                             "openai:gpt-5.2", "openai:gpt-5.4", "openai:gpt-5.5",
                             "openai:gpt-5.6-sol"),
    "tier:openai-mini": ("openai:gpt-4o-mini", "openai:gpt-4.1-mini", "openai:gpt-5-mini",
                         "openai:gpt-5.4-mini"),
    "tier:anthropic-sonnet": ("anthropic:claude-3.5-sonnet", "anthropic:claude-3.7-sonnet",
                              "anthropic:claude-sonnet-4.5", "anthropic:claude-sonnet-5"),
    "tier:anthropic-opus": ("anthropic:claude-3-opus", "anthropic:claude-opus-4",
                            "anthropic:claude-opus-4-1", "anthropic:claude-opus-4-5",
                            "anthropic:claude-opus-4-6", "anthropic:claude-opus-4-7",
                            "anthropic:claude-opus-4-8"),
    "tier:anthropic-haiku": ("anthropic:claude-3-haiku", "anthropic:claude-3.5-haiku",
                             "anthropic:claude-4.5-haiku"),
    "tier:google-flash": ("google:gemini-1.5-flash", "google:gemini-2.0-flash",
                          "google:gemini-2.5-flash", "google:gemini-3-flash-preview",
                          "google:gemini-3.5-flash", "google:gemini-3.6-flash"),
    "tier:google-pro": ("google:gemini-1.5-pro", "google:gemini-2.5-pro-preview-03-25",
                        "google:gemini-2.5-pro", "google:gemini-3-pro-preview",
                        "google:gemini-3-1-pro-preview"),
}


def tier_series(series: dict[tuple[str, str], list[tuple[dt.date, float, str]]],
                members: tuple[str, ...]) -> list[tuple[dt.date, float, str]]:
    """On each observation day of any member: the newest member listed by then, at its
    latest observed price."""
    points = {m: series.get((m.split(":", 1)[0], m.split(":", 1)[1]), []) for m in members}
    days = sorted({p[0] for ps in points.values() for p in ps})
    out: list[tuple[dt.date, float, str]] = []
    for day in days:
        for member in reversed(members):
            seen = [p for p in points[member] if p[0] <= day]
            if seen:
                out.append((day, seen[-1][1], f"newest listed: {member}"))
                break
    return out


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def vendor_of(model_id: str, known: dict[str, str]) -> str | None:
    if model_id in known:
        return known[model_id]
    return next((v for p, v in PREFIX_VENDOR if model_id.startswith(p)), None)


def in_force(history: list[dict[str, object]], day: dt.date) -> tuple[float, float] | None:
    for entry in history:
        start, end = entry.get("from_date"), entry.get("to_date")
        if (start is None or dt.date.fromisoformat(str(start)) <= day) and \
                (end is None or day < dt.date.fromisoformat(str(end))):
            if isinstance(entry["input"], (int, float)) and \
                    isinstance(entry["output"], (int, float)):
                return float(entry["input"]), float(entry["output"])
    return None


def commit_prices(repo: Path, commit: str, day: dt.date, known: dict[str, str]
                  ) -> dict[tuple[str, str], tuple[float, float]]:
    """(vendor, id) -> (input, output) listed at one commit."""
    files = [f for f in git(repo, "ls-tree", "--name-only", commit, "data/").split()
             if f.endswith(".json")]
    out: dict[tuple[str, str], tuple[float, float]] = {}
    if files:
        for name in files:
            try:
                vendor = json.loads(git(repo, "show", f"{commit}:{name}"))
            except json.JSONDecodeError:  # a commit with a broken file: no observation
                continue
            for model in vendor["models"]:
                price = in_force(model["price_history"], day)
                if price is not None:
                    out[(vendor["vendor"], model["id"])] = price
        return out
    html = git(repo, "show", f"{commit}:index.html")
    for model_id, _name, price_in, price_out in HTML_ROW.findall(html):
        vendor = vendor_of(model_id, known)
        if vendor is not None:
            out[(vendor, model_id)] = (float(price_in), float(price_out))
    return out


def panel(repo: Path) -> dict[tuple[str, str], list[tuple[dt.date, float, str]]]:
    """Per (vendor, id): (day, blended price, commit subject) at every commit listing it."""
    known: dict[str, str] = {}
    for name in git(repo, "ls-tree", "--name-only", "HEAD", "data/").split():
        if not name.endswith(".json"):
            continue
        vendor = json.loads(git(repo, "show", f"HEAD:{name}"))
        known |= {m["id"]: vendor["vendor"] for m in vendor["models"]}
    series: dict[tuple[str, str], list[tuple[dt.date, float, str]]] = {}
    log = git(repo, "log", "--reverse", "--format=%h %ad %s", "--date=short").splitlines()
    for line in log:
        commit, day_text, subject = line.split(" ", 2)
        day = dt.date.fromisoformat(day_text)
        for key, (price_in, price_out) in commit_prices(repo, commit, day, known).items():
            if SKIP.search(key[1]) or price_in + price_out <= 0:
                continue
            points = series.setdefault(key, [])
            blended = (3 * price_in + price_out) / 4
            if points and points[-1][0] == day:
                points[-1] = (day, blended, subject)  # the day's last commit
            else:
                points.append((day, blended, subject))
    head = git(repo, "log", "-1", "--format=%h", "HEAD").strip()
    for name in git(repo, "ls-tree", "--name-only", "HEAD", "data/").split():
        if name.endswith(".json"):
            vendor = json.loads(git(repo, "show", f"HEAD:{name}"))
            for model in vendor["models"]:
                add_dated(series.setdefault((vendor["vendor"], model["id"]), []),
                          model["price_history"], f"{name}@{head} dated history")
    for key, points in series.items():
        wrong = ERRORS.get(f"{key[0]}:{key[1]}")
        points[:] = sorted((p for p in points if not (wrong and wrong[0] <= p[0] <= wrong[1])),
                           key=lambda p: p[0])
    return {k: v for k, v in series.items() if v and not SKIP.search(k[1])}


def add_dated(points: list[tuple[dt.date, float, str]], history: list[dict[str, object]],
              note: str) -> None:
    """The day before and the day of each dated change in an llm-prices price history (its
    ``to_date`` / ``from_date``), replacing panel points of those days."""
    for entry in history:
        end = entry.get("to_date")
        if end is None:
            continue
        day = dt.date.fromisoformat(str(end))
        new = next((e for e in history if e.get("from_date") == end), None)
        if new is None:
            continue
        for when, values in ((day - dt.timedelta(days=1), entry), (day, new)):
            price_in, price_out = values["input"], values["output"]
            if isinstance(price_in, (int, float)) and isinstance(price_out, (int, float)):
                points[:] = [p for p in points if p[0] != when]
                points.append((when, (3 * price_in + price_out) / 4, note))


def kept(points: list[tuple[dt.date, float, str]]) -> Iterator[tuple[dt.date, float, str]]:
    """First and last observation, and the two around each change: the rest repeat."""
    for i, point in enumerate(points):
        if i in (0, len(points) - 1) or point[1] != points[i - 1][1] or \
                point[1] != points[i + 1][1]:
            yield point


def catalog_tail(vendor: str, model_id: str, last: tuple[dt.date, float]
                 ) -> list[tuple[dt.date, float, str]]:
    """The catalog's observations after the panel's last: dated changes (day before and day
    of) and the price in force on CATALOG_DAY; none if the catalog disagrees at the start or
    marks the model deprecated."""
    from genai_prices.data_snapshot import get_snapshot

    from ftsim.scenario import catalog

    provider_id = PROVIDER.get(vendor)
    providers = list(get_snapshot().providers)
    provider = next((p for p in providers if p.id == provider_id), None)
    if provider is None:
        return []
    model = next((m for m in provider.models if m.id == model_id), None) \
        or provider.find_model(model_id)
    if model is None or model.deprecated:  # a retired model's price is no market price
        return []

    def blended(day: dt.date) -> float | None:
        prices, _ = catalog._in_force(model, day)
        price_in, _ = catalog._as_float(getattr(prices, "input_mtok", None))
        price_out, _ = catalog._as_float(getattr(prices, "output_mtok", None))
        if price_in is None or price_out is None or price_in + price_out <= 0:
            return None
        return (3 * price_in + price_out) / 4

    start = blended(last[0])
    if start is None or abs(start / last[1] - 1) > 1e-6:
        return []
    source = f"{catalog_version()} catalog, {provider.id}:{model.id}"
    out = []
    for day, _ in catalog._dated(model):
        if day is not None and last[0] < day <= CATALOG_DAY:
            before, after = blended(day - dt.timedelta(days=1)), blended(day)
            if before is not None and after is not None and before != after:
                out += [(day - dt.timedelta(days=1), before, source),
                        (day, after, f"{source} (change dated {day})")]
    final = blended(CATALOG_DAY)
    if final is not None:
        out.append((CATALOG_DAY, final, f"{source} (in force on {CATALOG_DAY})"))
    return out


def main(repo: Path) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["date", "series", "price", "source", "index", "unit", "note"])
    for row in HAND_ROWS:
        day, series, price, unit, index, source, note = row
        writer.writerow([day, series, f"{price:g}", source, index, unit, note])
    head = git(repo, "log", "-1", "--format=%h", "HEAD").strip()
    series = panel(repo)
    for tier, members in TIERS.items():
        for day, price, note in kept(tier_series(series, members)):
            writer.writerow([day.isoformat(), tier, f"{price:.6g}",
                             f"{LLM_PRICES} @{head}, prices listed on {day}", "api_tier",
                             "USD/MTok blended 3:1", note])
    for (vendor, model_id), points in sorted(series.items()):
        rows = list(kept(points))
        rows += catalog_tail(vendor, model_id, (points[-1][0], points[-1][1]))
        for day, price, note in rows:
            if note.startswith("genai-prices"):
                source = note
            elif note.startswith("data/"):
                source = f"{LLM_PRICES}: {note}"
            else:
                source = f"{LLM_PRICES} @{head}, commit of {day}"
            writer.writerow([day.isoformat(), f"{vendor}:{model_id}", f"{price:.6g}", source,
                             "api", "USD/MTok blended 3:1",
                             "" if note.startswith(("genai-prices", "data/")) else
                             f"commit: {note[:70]}"])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
