"""The Pareto picture of bench.peers: each result's test accuracy against its training seconds, labelled
so that no label hides another."""

from __future__ import annotations

LABEL_BESIDE, LABEL_ABOVE, LABEL_BELOW = 4, 8, -13  # a label's vertical offset from its point (points)
# Where a label goes, (x, y) from its point in points (x < 0: left of it), when _label_dy's place is taken:
# the first free one, else the one that clashes least.
LABEL_FALLBACKS = (
    (7, LABEL_ABOVE), (7, LABEL_BELOW), (7, 22), (7, -27), (7, 36), (7, -41),
    (-7, LABEL_BESIDE), (-7, 18), (-7, LABEL_BELOW), (-7, -27),
)  # fmt: skip


def _label_dy(r: dict, results: list[dict]) -> int:
    """Vertical offset (points) of the label right of ``r``'s point, so that no label crosses a neighbour
    at nearly the same accuracy: away from the neighbour on its right, else below a left one as high."""
    x, y = r["train_seconds"], 100 * r["test_accuracy"]

    def near(o, lo, hi):
        return lo < o["train_seconds"] / x < hi and abs(100 * o["test_accuracy"] - y) < 0.5

    right = [100 * o["test_accuracy"] for o in results if near(o, 1, 2.5)]
    if right:
        return LABEL_BELOW if min(right) > y else LABEL_ABOVE
    if any(100 * o["test_accuracy"] >= y for o in results if near(o, 1 / 2.5, 1)):
        return LABEL_BELOW
    return LABEL_BESIDE


def pareto_figure(results: list[dict]):
    """Test accuracy against training seconds (log), one labelled point per model, ours in red."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    ours_color, peer_color = "#d62728", "#1f77b4"
    fig, ax = plt.subplots(figsize=(11, 7))
    colors = [ours_color if r["ours"] else peer_color for r in results]
    for r, color in zip(results, colors, strict=True):
        marker = "^" if r["shortened"] else "D" if "seconds_to_99" in r else "o"
        ax.scatter(r["train_seconds"], 100 * r["test_accuracy"], color=color, marker=marker, s=70, zorder=3)
    ax.set_xscale("log")
    seconds = [r["train_seconds"] for r in results]
    ax.set_xlim(min(seconds) / 1.6, max(seconds) * 6)  # room for the labels right of the points
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set(xlabel="training seconds (log scale, this machine, one run)", ylabel="test accuracy (%)",
           title="MNIST: test accuracy against training time")  # fmt: skip
    shortened = [r for r in results if r["shortened"]]
    legend = [
        Line2D([], [], marker="o", color=ours_color, linestyle="", label="this project's models"),
        Line2D([], [], marker="o", color=peer_color, linestyle="", label="peers"),
    ]
    if shortened:
        legend.append(Line2D([], [], marker="^", color=peer_color, linestyle="", label=(
            f"trained {shortened[0]['epochs_run']} of {shortened[0]['epochs_full']} epochs: "
            "time extrapolated, accuracy after those epochs"
        )))  # fmt: skip
    if any("seconds_to_99" in r for r in results):
        legend.append(Line2D([], [], marker="D", color=peer_color, linestyle="",
                             label="stopped at its first test check at 99%: the time to 99%"
                                   " (median of its runs)"))  # fmt: skip
    ax.legend(handles=legend, loc="lower right", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    _place_labels(ax, results, colors)
    return fig


def _place_labels(ax, results: list[dict], colors: list[str]) -> None:
    """Each label at _label_dy's place or, where that overlaps a label placed before, a point, the legend
    or the edges (the plot's top and bottom, the figure's sides), at the first free one of LABEL_FALLBACKS
    (the one with the fewest clashes if none is). A label away from its point gets a thin line to it, so
    that it reads as that point's."""
    renderer = ax.figure.canvas.get_renderer()
    frame, canvas = ax.get_window_extent(renderer), ax.figure.bbox
    points = ax.transData.transform([(r["train_seconds"], 100 * r["test_accuracy"]) for r in results])
    taken = [ax.get_legend().get_window_extent(renderer)]

    def label(r, color, dx, dy, leader=False):
        line = {"arrowstyle": "-", "color": color, "lw": 0.6, "shrinkB": 5, "relpos": (dx < 0, 0.5)}
        return ax.annotate(r["name"], (r["train_seconds"], 100 * r["test_accuracy"]),
                           textcoords="offset points", xytext=(dx, dy), ha="left" if dx > 0 else "right",
                           fontsize=9, color=color, arrowprops=line if leader else None)  # fmt: skip

    def clashes(box) -> int:
        if not (frame.y0 < box.y0 and box.y1 < frame.y1 and canvas.x0 < box.x0 and box.x1 < canvas.x1):
            return len(taken) + len(points)  # worse than any clash inside
        # Labels may touch (a pixel's overlap), but not come within about a marker's radius of a point.
        return box.padded(-1).count_overlaps(taken) + box.padded(6).count_contains(points)

    for r, color in sorted(zip(results, colors, strict=True), key=lambda rc: rc[0]["train_seconds"]):
        first = (7, _label_dy(r, results))
        tried = [(place, _trial_box(label(r, color, *place))) for place in (first, *LABEL_FALLBACKS)]
        (dx, dy), box = min(tried, key=lambda t: clashes(t[1]))  # the first of the least
        label(r, color, dx, dy, leader=dx < 0 or abs(dy) > abs(LABEL_BELOW))
        taken.append(box)


def _trial_box(text):
    """The box ``text`` takes on the canvas; the text itself removed."""
    box = text.get_window_extent(text.figure.canvas.get_renderer())
    text.remove()
    return box
