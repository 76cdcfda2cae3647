"""Part 5: evaluation beyond one process: `nlp.pipe` with n_process, cached predictions, counts merged across shards."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping

from nerbench.scoring import Counts, score_corpus
from nerbench.spans import Span

from .measure import load_average, timed_rounds


def write_predictions(path: Path, spans: Mapping[str, list[Span]], model: str) -> None:
    """A prediction cache: one JSON line per document, so scoring again needs no inference."""
    with open(path, "w", encoding="utf-8") as f:
        for doc_id, doc_spans in spans.items():
            f.write(json.dumps({"id": doc_id, "model": model, "spans": [[s.start, s.end, s.label] for s in doc_spans]}) + "\n")


def read_predictions(path: Path) -> dict[str, list[Span]]:
    with open(path, encoding="utf-8") as f:
        return {d["id"]: [Span(*s) for s in d["spans"]] for d in map(json.loads, f)}


def score_in_shards(gold: Mapping[str, list[Span]], pred: Mapping[str, list[Span]], shards: int) -> Counts:
    """Score the documents in `shards` separate parts and add the counts, as separate processes or machines would."""
    ids = list(gold)
    total = Counts()
    for k in range(shards):
        part = ids[k::shards]
        counts, _ = score_corpus({i: gold[i] for i in part}, {i: pred.get(i, []) for i in part})
        total += counts
    return total


def bench_scale(model: str, root: Path, copies: int = 20, repeat: int = 3, shards: int = 4, batch_size: int = 4) -> dict[str, Any]:
    """The seeds repeated `copies` times: inference with n_process 1 and 2, then a prediction cache and sharded scoring."""
    from nerbench.evaluate.predict import load_model, predict
    from nerbench.gold import load_gold
    from nerbench.labels import IDENTITY_MAP, load_scheme
    from nerbench.seeds import load_seeds

    scheme = load_scheme(root / "gold" / "labels.json")
    gold_docs = load_gold(root / "gold" / "gold.jsonl", load_seeds(root / "seeds"), scheme).documents
    texts = {f"{doc.id}#{k}": doc.text for k in range(copies) for doc in gold_docs}
    gold = {f"{doc.id}#{k}": list(doc.spans) for k in range(copies) for doc in gold_docs}
    nlp, info = load_model(model)
    predict(nlp, dict(list(texts.items())[:5]), info.name, scheme, IDENTITY_MAP)  # warm-up
    load_before = load_average()
    times, results = timed_rounds(
        {
            f"n_process={n}": (lambda n=n: predict(nlp, texts, info.name, scheme, IDENTITY_MAP, n_process=n, batch_size=batch_size))
            for n in (1, 2)
        },
        repeat,
    )
    load_after = load_average()
    one, two = results["n_process=1"].spans, results["n_process=2"].spans
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "predictions.jsonl"
        t0 = time.perf_counter()
        write_predictions(cache, two, f"{info.name}-{info.version}")
        cache_write = time.perf_counter() - t0
        cache_times, cached = timed_rounds({"read_cache": lambda: read_predictions(cache)}, repeat)
    whole_times, whole = timed_rounds({"score_whole": lambda: score_corpus(gold, cached["read_cache"])[0]}, repeat)
    shard_times, sharded = timed_rounds({"score_shards": lambda: score_in_shards(gold, cached["read_cache"], shards)}, repeat)
    words = sum(len(t.split()) for t in texts.values())
    return {
        "model": model,
        "documents": len(texts),
        "words": words,
        "copies_of_the_seeds": copies,
        "cpus": len(os.sched_getaffinity(0)),
        "batch_size": batch_size,
        "repeat": repeat,
        "seconds": times,
        "speedup_n_process_2": {
            "best": times["n_process=1"]["best"] / times["n_process=2"]["best"],
            "median": times["n_process=1"]["median"] / times["n_process=2"]["median"],
        },
        "same_predictions": one == two,
        "cache": {
            "write_seconds": cache_write,
            "read_seconds": cache_times["read_cache"],
            "score_seconds": whole_times["score_whole"],
            "same_predictions_after_reading": cached["read_cache"] == two,
        },
        "shards": {
            "shards": shards,
            "score_seconds": shard_times["score_shards"],
            "merged_counts_equal_whole": sharded["score_shards"] == whole["score_whole"],
        },
        "load_average": {"before": load_before, "after": load_after},
    }
