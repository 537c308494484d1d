"""The table, the JSON and the chart of one benchmark run."""

import json
from pathlib import Path
from typing import Any

from stats import Figure


def row(name: str, value: Figure, unit: str, ratio: float | None = None, to: str = "") -> list[str]:
    spread = f"{value.low:,.1f}-{value.high:,.1f} ({value.spread:.0%})"
    ratio_text = f"{ratio:.2f}x {to}" if ratio is not None else ""
    return [name, f"{value.median:,.1f} {unit}", spread, ratio_text]


def table(rows: list[list[str]]) -> str:
    header = ["figure", "median", "min-max (spread)", "ratio to baseline"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    rule = "-+-".join("-" * w for w in widths)
    head = " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    return "\n".join([head, rule, *lines])


def markdown(rows: list[list[str]]) -> str:
    header = ["figure", "median", "min-max (spread)", "ratio to baseline"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def write_json(path: Path, figures: dict[str, Any]) -> None:
    def plain(value: Any) -> Any:
        if isinstance(value, Figure):
            return value.as_dict()
        if isinstance(value, dict):
            return {key: plain(item) for key, item in value.items()}
        return value

    path.write_text(json.dumps(plain(figures), indent=2))


def chart(path: Path, bars: list[tuple[str, Figure]], title: str) -> None:
    """Throughput per path, median with min-max error bars, on a log scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [name for name, _ in bars]
    medians = [value.median for _, value in bars]
    errors = [
        [value.median - value.low for _, value in bars],
        [value.high - value.median for _, value in bars],
    ]
    colors = ["#8c8c8c" if "baseline" in name or "bound" in name else "#1f77b4" for name in names]
    figure, axes = plt.subplots(figsize=(10, 5.5))
    axes.bar(range(len(bars)), medians, yerr=errors, color=colors, capsize=4)
    axes.set_xticks(range(len(bars)), names, rotation=30, ha="right", fontsize=8)
    axes.set_yscale("log")
    axes.set_ylabel("per second (log scale)")
    axes.set_title(title, fontsize=10)
    for index, median in enumerate(medians):
        axes.annotate(f"{median:,.0f}", (index, median), ha="center", va="bottom", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
