"""The course's benchmarks: one script per study, and the harness the seed studies share.

Each `bench/NAME.py` runs as `python bench/NAME.py ...` (the form the READMEs give) or as
`python -m bench.NAME ...` from the repository root, and writes its report next to it as
`bench/NAME.json`, or `bench/NAME_VARIANT.json` when one script makes several: the file name
says which script wrote it, and the report's "command" says how. `bench.studies` holds what
the options studies (`bench/*_options.py`) share: training each option from several seeds,
scoring it, merging runs from separate processes and the spread over seeds.

This package is not part of the installed `hvg` distribution (pyproject.toml packages `hvg*`
only): it lives in the repository beside `hvg`, and the tests import it from the root. The
notebooks read its reports with `hvg.course.reports.bench_report`.
"""
