"""bench.peers' picture: every label placed so that it crosses no neighbouring point."""

from bench.peers import _label_dy, entry, pareto_figure


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
