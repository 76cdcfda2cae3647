"""`make bench`: how fast nerbench is next to nervaluate and spaCy, and what each of its steps costs.

Run with `python -m bench.run` (see `bench/run.py`); the figures go to reports/bench.json and BENCHMARKS.md.
Not installed with the package: it needs the test dependencies (nervaluate) and a local Label Studio.
"""
