"""nerbench: annotate named entities in Label Studio, score spaCy pipelines against the gold.

The core (this package's top-level modules) knows spans, label schemes, seeds, gold files and
scores. It imports neither spaCy nor the Label Studio SDK: those adapters live in
`nerbench.evaluate` (spaCy, reports) and `nerbench.annotate` (Label Studio).
"""

__version__ = "0.1.0"
