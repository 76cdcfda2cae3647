"""nerbench.evaluate: run spaCy pipelines over the gold texts, score them, render the reports.

Depends on the core (`nerbench.*`) and on spaCy; never on `nerbench.annotate`.
"""
