"""Formats at the edge: each module converts one outside format to and from `nerbench.spans.Span`.

One module per format, one offset conversion per module. Modules that need a tokenizer or
spaCy's own types import spaCy inside their functions, so importing the core never does.
"""
