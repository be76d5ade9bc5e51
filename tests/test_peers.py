"""bench.peers: its picture, every label placed so that it crosses no neighbouring point; the fast peer's
recipe and the time-to-99% bookkeeping, on tiny synthetic data; `--only fast`'s merge."""

import itertools
import json
import sys

import matplotlib.text
import numpy as np
import pytest
import torch

from bench import common, peers
from bench.fast_peer import BETAS, LR, FastNet, first_reaching, one_cycle, time_fast_recipe, time_quick_cnn
from bench.pareto import _label_dy, pareto_figure
from bench.peers import entry
from tests.fixtures import tiny_data


def _results(*points):
    return [entry(name, accuracy / 100, seconds) for name, accuracy, seconds in points]


def test_labels_of_neighbours_at_the_same_accuracy_go_apart():
    # The layout of a real run: two peers at 99.00% and 98.98%, 270 s and 508 s.
    results = _results(("loader", 99.00, 269.6), ("examples", 98.98, 507.8), ("alone", 96.0, 8.0))
    loader, examples, alone = (_label_dy(r, results) for r in results)
    assert loader > 0 and examples < 0  # one label above its point, the other below
    assert alone == 4  # the default: just above, to the right


def test_a_label_goes_below_when_a_higher_neighbour_sits_to_its_right():
    results = _results(("torch", 99.25, 62.7), ("cnn", 99.66, 145.8))
    assert _label_dy(results[0], results) < 0
    assert _label_dy(results[1], results) == 4  # the left neighbour is lower: no clash


def test_the_figure_draws_one_labelled_point_per_result():
    results = _results(("a", 99.0, 10.0), ("b", 98.0, 100.0))
    ax = pareto_figure(results).axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["a", "b"]
    assert ax.get_xscale() == "log"


# The fast peer (bench/fast_peer.py) and the time to 99%.


def _with_test_split(data, labels=None):
    """tiny_data's val split doubling as the test split (optionally with other labels)."""
    data.images["test"] = data.images["val"]
    data.labels["test"] = data.labels["val"] if labels is None else labels
    return data


def test_the_fast_peer_network_has_the_published_shape():
    model = FastNet()
    shapes = [tuple(w.shape) for w in model.parameters()]
    assert shapes == [(24, 1, 5, 5), (24,), (32, 24, 3, 3), (32,), (256, 800), (256,), (10, 256), (10,)]
    assert sum(w.numel() for w in model.parameters()) == 215_194
    assert model(torch.zeros(3, 1, 28, 28)).shape == (3, 10)


def test_the_one_cycle_rises_to_the_peak_after_30_percent_then_falls_near_zero():
    optimizer, scheduler = one_cycle(FastNet(), total_steps=100)
    lrs = []
    for _ in range(100):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    peak = int(np.argmax(lrs))
    assert lrs[0] == pytest.approx(LR / 25) and lrs[peak] == pytest.approx(LR)
    assert 28 <= peak <= 30
    assert all(np.diff(lrs[: peak + 1]) > 0) and all(np.diff(lrs[peak:]) < 0)
    assert lrs[-1] < LR / 1000
    assert optimizer.param_groups[0]["betas"] == BETAS  # momentum is not cycled


def test_first_reaching_is_the_first_check_at_or_above_the_target():
    checks = [{"seconds": s, "test_accuracy": a} for s, a in ((1, 0.98), (2, 0.99), (3, 0.985), (4, 0.995))]
    assert first_reaching(checks)["seconds"] == 2  # exactly the target counts; a later dip does not matter
    assert first_reaching(checks[:1]) is None
    assert entry("x", 0.99, 2, checks=checks[:2])["seconds_to_99"] == 2
    assert entry("x", 0.98, 1, checks=checks[:1])["seconds_to_99"] is None
    assert "seconds_to_99" not in entry("x", 0.98, 1)  # not measured is not "never reached"


def test_the_fast_recipe_stops_at_the_first_check_that_reaches_99():
    run = time_fast_recipe(_with_test_split(tiny_data(n_train=1000, n_val=100)), (1, 4), checks_per_epoch=2)
    checks = run["checks"]
    assert checks[-1]["test_accuracy"] >= 0.99  # the bars are easy
    assert all(c["test_accuracy"] < 0.99 for c in checks[:-1])
    assert [c["epochs"] for c in checks] == sorted(c["epochs"] for c in checks)
    assert all(b["seconds"] > a["seconds"] for a, b in itertools.pairwise(checks))


def test_a_recipe_that_never_reaches_99_runs_every_length_tried_to_its_end():
    data = tiny_data(n_train=600, n_val=100)  # 3 batches of 256
    shuffled = np.random.default_rng(0).permutation(data.labels["val"])
    run = time_fast_recipe(_with_test_split(data, labels=shuffled), (1, 2), checks_per_epoch=2)
    assert run["epochs"] == 2 and [m["epochs"] for m in run["missed"]] == [1, 2]
    assert [c["epochs"] for c in run["checks"]] == [0.667, 1, 1.667, 2]


def test_the_quick_cnn_is_checked_after_every_epoch_and_timed_by_its_trainer():
    data = tiny_data(n_train=100, n_val=50)
    _with_test_split(data, labels=(data.labels["val"] + 1) % 10)  # wrong labels: never 99% right
    run = time_quick_cnn(data, {"width": 4, "epochs": 2, "augment": False, "corrupt_share": 0.0})
    assert [c["epochs"] for c in run["checks"]] == [1, 2]
    assert run["checks"][0]["seconds"] is None and run["checks"][1]["seconds"] > 0


def test_only_fast_replaces_its_entries_and_keeps_the_others(tmp_path, monkeypatch):
    old = [entry("numpy_mlp (ours)", 0.99, 40), entry("train_mnist_fast CNN", 0.98, 9)]
    (tmp_path / "peers.json").write_text(json.dumps({"sgemm_gflops_2_threads": 100.0, "results": old}))
    for module in (peers, common):
        monkeypatch.setattr(module, "RESULTS_DIR", tmp_path)
    monkeypatch.setattr(peers, "load_data", lambda: (None, None))
    monkeypatch.setattr(peers, "matmul_gflops", lambda: 123.0)
    monkeypatch.setattr(
        peers,
        "run_quick_cnn",
        lambda data, precision=None: entry(f"cnn quick profile{precision or ''}", 0.991, 20),
    )
    monkeypatch.setattr(peers, "run_fast_recipe", lambda data: entry("train_mnist_fast CNN", 0.99, 30))
    monkeypatch.setattr(sys, "argv", ["bench.peers", "--only", "fast"])
    peers.main()
    saved = json.loads((tmp_path / "peers.json").read_text())
    assert saved["sgemm_gflops_2_threads"] == 100.0  # the first run's, for the entries it measured
    assert [(r["name"], r["train_seconds"]) for r in saved["results"]] == [
        ("numpy_mlp (ours)", 40), ("train_mnist_fast CNN", 30), ("cnn quick profile", 20),
        ("cnn quick profilefloat32", 20),
    ]  # fmt: skip
    assert [r.get("sgemm_gflops_2_threads") for r in saved["results"]] == [None, 123.0, 123.0, 123.0]
    assert (tmp_path / "pareto.png").stat().st_size > 0


def test_the_median_run_counts_and_every_runs_time_is_kept():
    runs = [entry("quick", 0.991, seconds) for seconds in (5.0, 4.0, 9.0)]
    assert peers.median_run(runs) == dict(runs[0], runs_seconds=[5.0, 4.0, 9.0])
    assert peers.median_run(runs[1:])["train_seconds"] == 4.0  # of two, the faster: the lower median


def test_the_time_to_99_recipes_take_turns_and_each_keeps_its_median_run(monkeypatch):
    calls = []
    seconds = iter([5.0, 7.0, 6.0, 7.5, 6.5, 4.0, 6.0, 5.5, 5.0])  # in the order of the calls

    def run(name):
        def recipe(data):
            calls.append(name)
            return entry(name, 0.991, next(seconds))

        return recipe

    monkeypatch.setattr(peers, "run_quick_cnn", lambda data, precision=None: run(precision or "auto")(data))
    monkeypatch.setattr(peers, "run_fast_recipe", run("peer"))
    auto, float32, peer = peers.time_to_99(None, repeats=3)
    assert calls == ["auto", "float32", "peer", "float32", "peer", "auto", "peer", "auto", "float32"]
    assert auto["runs_seconds"] == [5.0, 4.0, 5.5] and auto["train_seconds"] == 5.0
    assert float32["runs_seconds"] == [7.0, 7.5, 5.0] and float32["train_seconds"] == 7.0
    assert peer["runs_seconds"] == [6.0, 6.5, 6.0] and peer["train_seconds"] == 6.0


def test_time_to_99_points_have_their_own_marker_and_legend_entry():
    checks = [{"seconds": 2.5, "test_accuracy": 0.991}]
    ax = pareto_figure([entry("fast", 0.991, 2.5, checks=checks), entry("plain", 0.98, 9)]).axes[0]
    reference = ax.figure.add_axes((0, 0, 0.1, 0.1))
    diamond, circle = (reference.scatter(0, 0, marker=m).get_paths()[0].vertices.tolist() for m in "Do")
    assert [c.get_paths()[0].vertices.tolist() for c in ax.collections] == [diamond, circle]
    assert sorted(t.get_text() for t in ax.texts) == ["fast", "plain"]
    assert any("time to 99%" in t.get_text() for t in ax.get_legend().get_texts())


def test_crowded_labels_move_apart_and_keep_a_line_to_their_point():
    crowd = (("first model", 99.0, 20.0), ("second model", 99.05, 22.0), ("third", 99.1, 24.0))
    fig = pareto_figure(_results(*crowd, ("far below", 92.0, 3.0)))
    fig.canvas.draw()  # places the annotations' texts
    texts = fig.axes[0].texts
    boxes = [matplotlib.text.Text.get_window_extent(t) for t in texts]  # the texts alone, without lines
    assert len(texts) == 4 and not any(a.padded(-1).overlaps(b) for a, b in itertools.combinations(boxes, 2))
    assert any(t.arrow_patch is not None for t in texts)  # one at least went away from its point
