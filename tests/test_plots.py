"""Pictures: what each plot draws, checked on the matplotlib objects it returns."""

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from hvg.course.plots import plot_history, plot_routing  # noqa: E402


def test_history_plots_each_loss_but_not_step_or_clock():
    history = [{"step": float(i), "seconds": 0.1 * i, "a": 1.0 / i, "b": 2.0} for i in range(1, 30)]
    ax = plot_history(history, smooth=5)
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]
    assert len(ax.get_lines()[0].get_xdata()) == 25  # a running mean of 5 drops 4 points
    with pytest.raises(ValueError, match="history is empty"):
        plot_history([])


def test_routing_table_writes_each_weight_and_marks_the_rest():
    ax = plot_routing({"L1": {"enc": "+1", "dec": ""}, "L2": {"enc": "", "dec": "-1"}})
    assert [t.get_text() for t in ax.texts] == ["+1", "—", "—", "-1"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["enc", "dec"]
