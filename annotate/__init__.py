"""nerbench.annotate: the Label Studio side (server, push, pull).

Depends on the core (`nerbench.*`) and on the Label Studio SDK; never on `nerbench.evaluate`.
"""
