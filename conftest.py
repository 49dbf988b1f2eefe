"""pytest set-up shared by the unit tests and nbval."""


def pytest_collectstart(collector):
    """nbval: don't compare stderr, where tqdm's progress bars (rates, times) end up."""
    if hasattr(collector, "skip_compare"):
        collector.skip_compare += ("stderr",)
