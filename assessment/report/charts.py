"""Charts for the HTML pages, drawn with matplotlib as inline SVG.

Every chart is a string of SVG ready to paste into a page: no fonts to load
(text is drawn as paths), no scripts, ids prefixed so several charts can share
a page, and a ``<title>``/``<desc>`` for screen readers (the pages also show
the same numbers in a table). Colours come from the Okabe-Ito palette and a
lightness ramp, and every series also differs by line style, marker or hatch,
so the charts still read in grey-scale and for colour-blind readers.

matplotlib is imported on first use, so importing this module is cheap.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import threading
from html import escape
from typing import Sequence

from .traits import TraitScore

# Okabe-Ito colours, chosen also for distinct lightness.
INK = "#1a1a1a"
BLUE = "#0072B2"      # dark: the runner now
ORANGE = "#E69F00"    # light: the runner before
GRID = "#b8b8b8"
UNKNOWN = "#9a9a9a"
# Light to dark, for stacked segments and phases (readable in grey-scale).
RAMP = ("#c6dbef", "#6baed6", "#2171b5", "#08306b", "#9ecae1", "#4292c6")
HATCHES = ("", "//", "\\\\", "xx", "--", "++")   # line hatches: dots would cost ~70 kB of SVG each
PHASE_STYLE = {
    "base": ("#deebf7", ""),
    "build": ("#9ecae1", "//"),
    "race_specific": ("#4292c6", "\\\\"),
    "taper": ("#08306b", ""),
}
PHASE_LABELS = {"base": "Base", "build": "Build", "race_specific": "Race-specific", "taper": "Taper"}
#: Weeks to race where each phase starts (as in ``derive.training_phase``).
PHASE_STARTS = (("base", math.inf), ("build", 16.0), ("race_specific", 10.0), ("taper", 2.0))

_lock = threading.Lock()   # matplotlib's rcParams are process-global


def _rc() -> dict:
    return {
        "svg.fonttype": "none",
        "svg.hashsalt": "zegama",      # the same chart gives the same SVG
        "font.family": "DejaVu Sans",
        "font.size": 10,
        "axes.edgecolor": INK,
        "axes.labelcolor": INK,
        "text.color": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "hatch.color": INK,
        "hatch.linewidth": 0.6,
    }


def _svg(fig, title: str, desc: str, key: str) -> str:
    """The figure as an inline SVG element: responsive, ids made unique, titled."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
                bbox_inches="tight", pad_inches=0.05)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    prefix = f"{key}-"
    text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', text)
    text = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    # Scale with the page; the viewBox keeps the aspect ratio.
    head_end = text.index(">")
    head = text[:head_end]
    head = re.sub(r'\swidth="[^"]*"', "", head, count=1)
    head = re.sub(r'\sheight="[^"]*"', "", head, count=1)
    head += f' class="chart chart-{key}" role="img" aria-labelledby="{prefix}title {prefix}desc"'
    text = (head + ">\n" + f'<title id="{prefix}title">{escape(title)}</title>\n'
            f'<desc id="{prefix}desc">{escape(desc)}</desc>' + text[head_end + 1:])
    return text.strip() + "\n"


def _figure(width: float, height: float):
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    FigureCanvasSVG(fig)
    return fig


def _render(draw, key: str, title: str, desc: str) -> str:
    """Draw and serialise; ``key`` prefixes the SVG's ids (one chart per key on a page)."""
    import matplotlib

    with _lock, matplotlib.rc_context(_rc()):
        fig = draw()
        return _svg(fig, title, desc, key)


def _fmt(x: float | None) -> str:
    return "unknown" if x is None else f"{x:.0f}"


# --------------------------------------------------------------------------- radar

def radar_segments(shares: Sequence[float | None]) -> list[tuple[int, int]]:
    """The outline's edges: each pair of neighbouring axes (wrapping round) that are both known."""
    n = len(shares)
    if n < 2:
        return []
    return [(i, (i + 1) % n) for i in range(n) if shares[i] is not None and shares[(i + 1) % n] is not None]


def radar(traits: Sequence[TraitScore], before: Sequence[TraitScore] | None = None, *,
          target_label: str = "Zegama target", now_label: str = "You", before_label: str = "Before") -> str:
    """The runner (and optionally an earlier assessment) against the target, one axis per trait.

    Values are shares of the target (target = 100). An unknown axis is shaded and
    labelled "unknown": the runner's outline breaks there instead of dropping to 0.
    """
    n = len(traits)
    angles = [2 * math.pi * i / n for i in range(n)]   # clockwise from the top (see the offset below)

    def draw():
        fig = _figure(4.3, 4.1)
        ax = fig.add_subplot(projection="polar")
        ax.set_theta_offset(math.pi / 2)
        ax.set_theta_direction(-1)
        ax.set_xlim(0, 2 * math.pi)
        ax.set_ylim(0, 112)
        ax.set_yticks([25, 50, 75, 100])
        ax.set_yticklabels(["25", "50", "75", "100"], fontsize=9, color="#555555")
        ax.set_rlabel_position(360 / n / 2)
        ax.set_xticks(angles)
        ax.set_xticklabels([])
        ax.grid(color=GRID, linewidth=0.7)
        ax.spines["polar"].set_visible(False)

        width = 2 * math.pi / n
        for i, t in enumerate(traits):
            if t.share is None:
                ax.bar(angles[i], 104, width=width * 0.5, bottom=0, color="#f2f2f2", edgecolor=UNKNOWN,
                       hatch="//", linewidth=0, zorder=0)
        closed = angles + angles[:1]
        ax.plot(closed, [100] * (n + 1), color=INK, linestyle=(0, (6, 3)), linewidth=1.8, label=target_label, zorder=3)

        series = [(traits, BLUE, "-", "o", 2.6, now_label, 0.22)]
        if before is not None:
            series.insert(0, (before, ORANGE, (0, (1.5, 1.5)), "s", 2.4, before_label, 0.0))
        for values, colour, style, marker, lw, label, alpha in series:
            shares = [min(v.share, 100.0) if v.share is not None else None for v in values]
            first = True
            for i, j in radar_segments(shares):
                a, b = shares[i], shares[j]
                aj = angles[j] if j else 2 * math.pi
                ax.plot([angles[i], aj], [a, b], color=colour, linestyle=style, linewidth=lw, zorder=4,
                        label=label if first else None)
                first = False
                if alpha:
                    ax.fill([angles[i], aj, 0], [a, b, 0], color=colour, alpha=alpha, linewidth=0, zorder=2)
            pts = [(angles[i], s) for i, s in enumerate(shares) if s is not None]
            if pts:
                ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle="none", marker=marker, markersize=7,
                        color=colour, markeredgecolor=INK, markeredgewidth=0.8, zorder=5,
                        label=label if first else None)

        for i, t in enumerate(traits):
            text = f"{t.label}\n{_fmt(t.share)}"
            if before is not None:
                text = f"{t.label}\n{_fmt(before[i].share)} \u2192 {_fmt(t.share)}"
            ang = angles[i]
            x, y = math.sin(ang), math.cos(ang)     # screen direction of the axis
            ha = "center" if abs(x) < 0.2 else ("left" if x > 0 else "right")
            va = "bottom" if y > 0.5 else ("top" if y < -0.5 else "center")
            ax.text(ang, 118, text, ha=ha, va=va, fontsize=11.5, fontweight="bold" if t.share is not None else "normal",
                    color=INK if t.share is not None else "#555555")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, frameon=False, handlelength=3, fontsize=11)
        return fig

    desc = "; ".join(
        f"{t.label}: {_fmt(before[i].share)} before, {_fmt(t.share)} now" if before is not None else f"{t.label}: {_fmt(t.share)}"
        for i, t in enumerate(traits)
    )
    title = "Before and after against the Zegama target (target = 100)" if before is not None \
        else "Profile against the Zegama target (target = 100)"
    return _render(draw, "radar", title, desc)


# --------------------------------------------------------------------------- emphases

def emphases_bars(emphases: Sequence, pillar_names: dict[str, str]) -> str:
    """Ranked emphases as horizontal bars, each split into its findings' share of the score."""
    ems = list(emphases)

    def draw():
        fig = _figure(7.2, 0.55 * len(ems) + 1.2)
        ax = fig.add_subplot()
        ys = list(range(len(ems)))[::-1]
        top = max([e.score for e in ems] + [10.0])
        for y, e in zip(ys, ems):
            # the phase's base (what it asks with no gap), then each finding's points
            ax.barh(y, e.base, left=0, height=0.62, color="#f3f5f7", edgecolor=INK, linewidth=0.6)
            left = e.base
            for k, part in enumerate(e.breakdown):
                w = e.points(part)
                colour, hatch = RAMP[k % len(RAMP)], HATCHES[k % len(HATCHES)]
                ax.barh(y, w, left=left, height=0.62, color=colour, hatch=hatch, edgecolor=INK, linewidth=0.6)
                if w >= top * 0.07:
                    dark = colour in ("#2171b5", "#08306b", "#4292c6")
                    ax.text(left + w / 2, y, part.rule_id, ha="center", va="center", fontsize=8,
                            color="white" if dark else INK,
                            bbox=None if dark or not hatch else {"facecolor": "white", "edgecolor": "none", "pad": 0.6})
                left += w
            ax.text(left + top * 0.015, y, f"{e.score:.0f}", va="center", ha="left", fontsize=10, fontweight="bold")
        ax.set_yticks(ys)
        ax.set_yticklabels([f"{e.rank}. {pillar_names.get(e.pillar, e.pillar)}" for e in ems], fontsize=10)
        ax.set_xlim(0, top * 1.12)
        ax.set_xlabel("Score: the phase's base (grey), raised by each finding's part of the gap")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color=GRID, linewidth=0.5)
        ax.set_axisbelow(True)
        return fig

    desc = "; ".join(
        f"{e.rank}. {pillar_names.get(e.pillar, e.pillar)} {e.score:.0f}"
        + (f" (phase base {e.base:.0f}; " + ", ".join(f"{p.rule_id} {e.points(p):.0f}" for p in e.breakdown) + ")"
           if e.breakdown else "")
        for e in ems
    )
    return _render(draw, "emphases", "Training emphases, ranked, with each finding's part of the score", desc)


# --------------------------------------------------------------------------- phases

def phase_spans(horizon: float) -> list[tuple[str, float, float]]:
    """(phase, from, to) in weeks to race, from ``horizon`` down to race day."""
    out = []
    for (phase, start), nxt in zip(PHASE_STARTS, list(PHASE_STARTS[1:]) + [("race", 0.0)]):
        hi = min(start, horizon)
        lo = nxt[1]
        if hi > lo:
            out.append((phase, hi, lo))
    return out


def phase_timeline(weeks_to_race: float, race_date: dt.date, phase: str) -> str:
    """Base / build / race-specific / taper up to race day, with today marked."""
    horizon = max(20.0, math.ceil(weeks_to_race + 2))
    spans = phase_spans(horizon)

    def draw():
        fig = _figure(8.0, 1.9)
        ax = fig.add_subplot()
        for name, hi, lo in spans:
            colour, hatch = PHASE_STYLE[name]
            ax.barh(0, hi - lo, left=lo, height=0.8, color=colour, hatch=hatch, edgecolor=INK, linewidth=0.8)
            dark = name == "taper" or name == "race_specific"
            label = PHASE_LABELS[name] if hi - lo >= 3 else PHASE_LABELS[name][0]
            ax.text((hi + lo) / 2, 0, label, ha="center", va="center", fontsize=10, fontweight="bold",
                    color="white" if dark else INK,
                    bbox=None if dark else {"facecolor": colour, "edgecolor": "none", "pad": 1.5})
        ax.set_xlim(horizon, -0.3)     # time runs left to right, towards race day
        ax.set_ylim(-0.9, 1.2)
        ax.axvline(weeks_to_race, color=INK, linewidth=2.4, ymin=0.0, ymax=0.86)
        ax.plot([weeks_to_race], [0.85], marker="v", markersize=11, color=ORANGE, markeredgecolor=INK)
        ax.text(weeks_to_race, 1.02, f"Today: {weeks_to_race:g} weeks to go ({PHASE_LABELS[phase].lower()})",
                ha="center" if 4 < weeks_to_race < horizon - 4 else ("left" if weeks_to_race >= horizon - 4 else "right"),
                va="bottom", fontsize=9.5, fontweight="bold")
        # Phase starts carry their dates; race day is flagged above the bar.
        ticks = sorted({lo for _, _, lo in spans if lo > 2} | {horizon}, reverse=True)
        ax.set_xticks(ticks + [2.0, 0.0])
        labels = [f"{w:g} wk\n{(race_date - dt.timedelta(weeks=w)).isoformat()}" for w in ticks]
        ax.set_xticklabels(labels + ["2", "0"], fontsize=8.5)
        ax.plot([0], [0.55], marker="*", markersize=13, color=INK, clip_on=False)
        ax.text(0, 1.02, f"Race day\n{race_date.isoformat()}", ha="right", va="bottom", fontsize=9.5, fontweight="bold")
        ax.set_yticks([])
        ax.spines[["top", "right", "left"]].set_visible(False)
        return fig

    desc = "; ".join(f"{PHASE_LABELS[n]} from {hi:g} to {lo:g} weeks before the race" for n, hi, lo in spans)
    desc += f". Today: {weeks_to_race:g} weeks to race day ({race_date}), {PHASE_LABELS[phase].lower()} phase."
    return _render(draw, "phases", "Training phases up to race day, with today marked", desc)


# --------------------------------------------------------------------------- squad

def squad_heatmap(rows: Sequence[tuple[str, Sequence[float]]], columns: Sequence[str]) -> str:
    """Runners x pillars, shaded by gap (0 = no gap, 100 = full gap), each cell labelled with its number."""

    def draw():
        import numpy as np

        data = np.array([[100 * g for g in gaps] for _, gaps in rows], dtype=float).reshape(len(rows), len(columns))
        fig = _figure(1.1 * len(columns) + 2.6, 0.32 * len(rows) + 1.6)
        ax = fig.add_subplot()
        image = ax.imshow(data, cmap="Blues", vmin=0, vmax=100, aspect="auto")
        for (i, j), v in np.ndenumerate(data):
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=8,
                    color="white" if v >= 55 else INK)
        ax.set_xticks(range(len(columns)))
        ax.set_xticklabels(columns, fontsize=9, rotation=20, ha="right")
        ax.xaxis.tick_top()
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([label for label, _ in rows], fontsize=8.5)
        ax.tick_params(length=0)
        cbar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        cbar.set_label("gap (0 = none, 100 = full)")
        return fig

    desc = f"{len(rows)} runners by {len(columns)} pillars; the numbers are in the table below."
    return _render(draw, "heatmap", "Squad heat-map: each runner's gap in each pillar", desc)



# --------------------------------------------------------------------------- the estimate's barriers

def barrier_arrivals(barriers: Sequence) -> str:
    """Each barrier's estimated arrival (80% range and mid) against its cut-off, in hours of race."""
    bs = list(barriers)

    def hm(minutes: float) -> str:
        total = int(round(minutes))
        return f"{total // 60}:{total % 60:02d}"

    def draw():
        fig = _figure(7.2, 0.9 * len(bs) + 1.1)
        ax = fig.add_subplot()
        ys = list(range(len(bs)))[::-1]
        right = max(max(b.arrival.high for b in bs), max(b.cutoff_min for b in bs)) * 1.08
        for y, b in zip(ys, bs):
            a = b.arrival
            ax.barh(y, a.high - a.low, left=a.low, height=0.42, color=RAMP[1], edgecolor=INK, linewidth=0.6)
            ax.plot([a.mid, a.mid], [y - 0.26, y + 0.26], color=INK, linewidth=2)
            ax.plot([b.cutoff_min, b.cutoff_min], [y - 0.38, y + 0.38], color=INK, linewidth=1.2, linestyle=(0, (3, 2)))
            ax.text(b.cutoff_min, y + 0.42, f"cut-off {hm(b.cutoff_min)}", ha="center", va="bottom", fontsize=8)
            ax.text(a.mid, y - 0.3, f"{hm(a.mid)} ({hm(a.low)}-{hm(a.high)})", va="top", ha="center", fontsize=9)
        ax.set_yticks(ys)
        ax.set_yticklabels([f"{b.name} (km {b.km:.1f})" for b in bs], fontsize=10)
        ax.set_xlim(0, right)
        ticks = list(range(0, int(right) + 1, 60))
        ax.set_xticks(ticks)
        ax.set_xticklabels([f"{t // 60}h" for t in ticks])
        ax.set_xlabel("Hours from the start: the 80% range of your arrival (bar), its middle (line), the cut-off (dashes)")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color=GRID, linewidth=0.5)
        ax.set_axisbelow(True)
        ax.set_ylim(-0.75, len(bs) - 0.2)
        return fig

    desc = "; ".join(f"{b.name}: arrival {hm(b.arrival.mid)} ({hm(b.arrival.low)} to {hm(b.arrival.high)}), "
                     f"cut-off {hm(b.cutoff_min)}, {round(100 * b.pass_probability)}% to pass" for b in bs)
    return _render(draw, "barriers", "Estimated arrival at each barrier against its cut-off", desc)


# --------------------------------------------------------------------------- trend across re-tests

LINE_STYLES = ("-", "--", ":", "-.")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
SERIES_COLOURS = (BLUE, ORANGE, "#009E73", "#CC79A7", "#D55E00", "#56B4E9", INK, "#F0E442")


def trend(dates: Sequence[dt.date], series: Sequence[tuple[str, Sequence[float | None]]], key: str, title: str,
          ylabel: str = "share of target (100 = met)", reference: float | None = 100) -> str:
    """Scores (0-100) at each re-test: one line per series, styled apart also in grey-scale;
    an unknown value is a gap in its line, never a zero."""
    xs = list(dates)

    def draw():
        fig = _figure(8.0, 3.6)
        ax = fig.add_subplot()
        for i, (label, values) in enumerate(series):
            ys = [math.nan if v is None else v for v in values]
            ax.plot(xs, ys, linestyle=LINE_STYLES[i % len(LINE_STYLES)], marker=MARKERS[i % len(MARKERS)],
                    color=SERIES_COLOURS[i % len(SERIES_COLOURS)], linewidth=1.8, markersize=6, label=label)
        ax.set_ylim(0, 105)
        if reference is not None:
            ax.axhline(reference, color=GRID, linewidth=1, linestyle="--")
        ax.set_ylabel(ylabel, fontsize=9)
        ax.set_xticks(xs)
        ax.set_xticklabels([d.isoformat() for d in xs], fontsize=8, rotation=30 if len(xs) > 4 else 0)
        if len(xs) == 1:
            ax.set_xlim(xs[0] - dt.timedelta(days=7), xs[0] + dt.timedelta(days=7))
        ax.grid(axis="y", color=GRID, linewidth=0.5)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return fig

    desc = "; ".join(f"{label}: " + ", ".join(f"{d.isoformat()} {_fmt(v)}" for d, v in zip(xs, values))
                     for label, values in series)
    return _render(draw, key, title, desc)
