"""`nerbench import` and `nerbench export`: a corpus folder from any format, and the gold into any format.

A corpus folder is what `nerbench evaluate` reads:

    DIR/seeds/*.txt + DIR/seeds/manifest.json   the texts (document id = file stem)
    DIR/gold.jsonl                               the gold spans
    DIR/labels.json                              the label scheme
    DIR/predictions*.jsonl                       when the input carries predictions

It is built and checked with the project's own readers in a scratch folder first, then written
into DIR as one `FileSet`: either every file is replaced, or none.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from nerbench.errors import NerbenchError
from nerbench.fileio import FileSet, atomic_write_bytes, atomic_write_text, read_input_json, read_input_text, read_text_exact
from nerbench.gold import Document, describe_provisional, dumps_gold, load_gold
from nerbench.labels import IDENTITY_MAP, Label, LabelScheme, load_scheme
from nerbench.seeds import MANIFEST_NAME, build_manifest, load_seeds
from nerbench.spans import Span

from . import conll as conll_format
from . import jsonl as jsonl_format
from . import labelstudio as ls_format
from .predictions import dumps_predictions, load_predictions

FORMATS = ("conll", "spacy", "labelstudio", "jsonl")
SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
# Label Studio's own keys on the labelling page (unselect, hide a region) are never a label's hotkey.
RESERVED_HOTKEYS = frozenset("uh")
HOTKEYS = "abcdefgijklmnopqrstvwxyz0123456789"
# Distinct colours (Sasha Trubetskoy's 20), for labels the scheme does not have yet.
PALETTE = (
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#bfef45", "#fabed4", "#469990",
    "#dcbeff", "#9a6324", "#fffac8", "#800000", "#aaffc3", "#808000", "#ffd8b1", "#000075", "#a9a9a9", "#ffe119",
)  # fmt: skip


@dataclass
class Imported:
    """A corpus read from another format, before it is written as a corpus folder."""

    source: str
    format: str
    documents: list[Document]  # the gold, in input order
    unannotated: list[tuple[str, str]] = field(default_factory=list)  # (id, text): seeds without gold
    labels: list[str] = field(default_factory=list)  # the input's labels, gold and predicted, in order
    predictions: dict[str, tuple[dict[str, str], dict[str, list[Span]]]] = field(default_factory=dict)  # file -> (model, spans)
    notes: list[str] = field(default_factory=list)  # what was read, counted, and what was left out


# ---- Document ids -----------------------------------------------------------------------------


def safe_stem(name: str) -> str:
    """A name made safe as a file stem: other characters become `_`; never empty."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).lstrip("._-")[:180]
    return stem or "doc"


def numbered_ids(stem: str, n: int) -> list[str]:
    """`stem` for one document; `stem-0001`, `stem-0002`, ... for several (sorted as in the input)."""
    if n == 1:
        return [stem]
    width = max(4, len(str(n)))
    return [f"{stem}-{k:0{width}d}" for k in range(1, n + 1)]


def check_ids(ids: Sequence[str], where: str) -> None:
    """Every id a safe file stem, no two the same (ignoring case: some file systems do)."""
    seen: dict[str, str] = {}
    for doc_id in ids:
        if not SAFE_ID.fullmatch(doc_id) or doc_id.endswith("."):
            raise NerbenchError(
                f"{where}: document id {doc_id!r} cannot be a file name (use letters, digits, '.', '_' and '-', "
                "starting with a letter or digit, at most 200 characters)"
            )
        folded = doc_id.casefold()
        if folded in seen:
            raise NerbenchError(f"{where}: document ids {seen[folded]!r} and {doc_id!r} are the same file name (ids differ only by case, or repeat)")
        seen[folded] = doc_id


# ---- Readers of each format -------------------------------------------------------------------


def read_input(fmt: str, path: Path, *, with_predictions: bool = False, text_field: str = "text") -> Imported:
    """Read `path` in format `fmt` into an `Imported` corpus; every problem is one NerbenchError line."""
    if fmt not in FORMATS:
        raise NerbenchError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    if with_predictions and fmt != "conll":
        raise NerbenchError("--with-predictions reads conlleval's `word ... gold predicted` columns: for the conll format only")
    stem = safe_stem(path.stem)
    if fmt == "conll":
        return _read_conll(path, stem, with_predictions)
    if fmt == "jsonl":
        return _read_jsonl(path, stem)
    if fmt == "labelstudio":
        return _read_labelstudio(path, stem, text_field)
    return _read_docbin(path, stem)


def _labels_in(documents: Sequence[Sequence[Span]]) -> list[str]:
    seen: dict[str, None] = {}
    for spans in documents:
        for span in spans:
            seen.setdefault(span.label, None)
    return list(seen)


def _read_conll(path: Path, stem: str, with_predictions: bool) -> Imported:
    corpus = conll_format.read_conll(read_input_text(path, "CoNLL file"), str(path), with_predictions=with_predictions)
    ids = numbered_ids(stem, len(corpus.documents))
    docs = [Document(i, d.text, tuple(d.gold), {"source": f"{path.name}:{d.line}"}) for i, d in zip(ids, corpus.documents)]
    n_sentences = sum(d.sentences for d in corpus.documents)
    notes = [f"{corpus.tokens} tokens in {n_sentences} sentences and {len(docs)} documents (text: tokens joined by spaces, sentences by line breaks)"]
    if corpus.empty_documents:
        notes.append(f"{len(corpus.empty_documents)} -DOCSTART- with no token after it (lines {', '.join(map(str, corpus.empty_documents[:5]))}): no document")
    imported = Imported(str(path), "conll", docs, labels=corpus.labels, notes=notes)
    if with_predictions:
        model = {"name": path.name, "version": ""}
        imported.predictions["predictions.jsonl"] = (model, {i: list(d.predicted or []) for i, d in zip(ids, corpus.documents)})
    return imported


def _read_jsonl(path: Path, stem: str) -> Imported:
    docs, left_out = jsonl_format.read_text_spans(read_input_text(path, "JSON Lines file"), str(path))
    if not docs:
        raise NerbenchError(f"{path}: no accepted document")
    generated = iter(numbered_ids(stem, len(docs)))
    ids = [d.id if d.id is not None else next(generated) for d in docs]
    check_ids(ids, str(path))
    out = [Document(i, d.text, tuple(d.spans), d.meta, d.provisional) for i, d in zip(ids, docs)]
    notes = [f"{len(out)} documents"]
    if left_out:
        notes.append("left out, not accepted in Prodigy: " + ", ".join(f"{n} {answer}" for answer, n in sorted(left_out.items())))
    return Imported(str(path), "jsonl", out, labels=_labels_in([d.spans for d in docs]), notes=notes)


def _read_labelstudio(path: Path, stem: str, text_field: str) -> Imported:
    tasks = ls_format.read_tasks(read_input_json(path, "Label Studio export"), str(path), text_field)
    if not tasks:
        raise NerbenchError(f"{path}: no tasks")
    ids = [t.doc_id if t.doc_id and SAFE_ID.fullmatch(t.doc_id) else f"task-{t.task_id}" for t in tasks]
    check_ids(ids, str(path))
    renamed = [t.doc_id for t in tasks if t.doc_id and not SAFE_ID.fullmatch(t.doc_id)]
    docs = [Document(i, t.text, tuple(t.gold), {"labelstudio_task": t.task_id}) for i, t in zip(ids, tasks) if t.gold is not None]
    unannotated = [(i, t.text) for i, t in zip(ids, tasks) if t.gold is None]
    if not docs:
        raise NerbenchError(f"{path}: no task has a submitted annotation: there is no gold to import")
    gold_ids = {d.id for d in docs}
    notes = [f"{len(tasks)} tasks: {len(docs)} with a submitted annotation (the gold)"]
    if renamed:
        notes.append(f"{len(renamed)} tasks whose doc_id cannot be a file name are named task-<task id> ({', '.join(map(repr, renamed[:3]))}{'…' if len(renamed) > 3 else ''})")
    if unannotated:
        notes.append(f"{len(unannotated)} tasks without a submitted annotation: seeds only, not in the gold ({', '.join(i for i, _ in unannotated[:5])}{'…' if len(unannotated) > 5 else ''})")
    skipped: dict[str, int] = {}
    for t in tasks:
        for kind, n in t.skipped_results.items():
            skipped[kind] = skipped.get(kind, 0) + n
    if skipped:
        notes.append("results that are not text spans, not read: " + ", ".join(f"{n} {kind}" for kind, n in sorted(skipped.items())))
    by_id = sum(t.prediction_ids for t in tasks)
    if by_id:
        notes.append(
            f"{by_id} predictions listed by id only, without their results: not read "
            "(Label Studio's quick JSON export does that; export a snapshot with predictions included)"
        )
    versions = sorted({v for t in tasks for v in t.predictions})
    imported = Imported(str(path), "labelstudio", docs, unannotated, notes=notes)
    for version in versions:
        name = "predictions.jsonl" if len(versions) == 1 else f"predictions-{safe_stem(version)}.jsonl"
        spans = {i: t.predictions[version] for i, t in zip(ids, tasks) if i in gold_ids and version in t.predictions}
        if name in imported.predictions:
            raise NerbenchError(f"{path}: model versions {version!r} and {imported.predictions[name][0]['name']!r} would share the file {name}")
        imported.predictions[name] = ({"name": version, "version": ""}, spans)
        missing = len(gold_ids) - len(spans)
        notes.append(f"predictions of {version!r} for {len(spans)} of the {len(gold_ids)} gold documents" + (f" ({missing} without)" if missing else ""))
    imported.labels = _labels_in([d.spans for d in docs] + [s for _, p in imported.predictions.values() for s in p.values()])
    return imported


def _read_docbin(path: Path, stem: str) -> Imported:
    from .spacy import read_docbin
    from nerbench.spans import parse_spans

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NerbenchError(f"{path}: DocBin file not found") from None
    except IsADirectoryError:
        raise NerbenchError(f"{path}: is a folder, not a DocBin file") from None
    read = read_docbin(data, str(path))
    if not read:
        raise NerbenchError(f"{path}: the DocBin holds no document")
    generated = iter(numbered_ids(stem, len(read)))
    ids = [doc_id if doc_id is not None else next(generated) for doc_id, _, _ in read]
    check_ids(ids, str(path))
    docs = []
    for n, (doc_id, (_, text, spans)) in enumerate(zip(ids, read)):
        where = f"{path}: Doc {n} (document {doc_id})"
        checked = parse_spans(text, [{"start": s.start, "end": s.end, "label": s.label} for s in spans], None, where, require_text=False)
        docs.append(Document(doc_id, text, tuple(checked), {}))
    return Imported(str(path), "spacy", docs, labels=_labels_in([d.spans for d in docs]), notes=[f"{len(docs)} documents (doc.ents)"])


# ---- The label scheme ---------------------------------------------------------------------------


def scheme_with(labels: Sequence[str], scheme: LabelScheme | None, source: str) -> tuple[dict[str, Any], list[str]]:
    """The scheme's JSON with every label of `labels` it lacks added; and the names added.

    An added label gets a definition saying where it came from, a hotkey no other label has (not
    one of Label Studio's own keys), and a colour no other label has, while the palette lasts.
    """
    base = list(scheme.labels) if scheme else []
    keys = {l.hotkey for l in base if l.hotkey}
    colours = {l.color.lower() for l in base if l.color}
    added = []
    out = [_label_json(l) for l in base]
    known = {l.name for l in base}
    for name in labels:
        if name in known:
            continue
        known.add(name)
        added.append(name)
        first = name[:1].lower()
        free = [k for k in ([first] if first in HOTKEYS else []) + list(HOTKEYS) if k not in keys and k not in RESERVED_HOTKEYS]
        hotkey = free[0] if free else ""
        keys.add(hotkey)
        colour = next((c for c in PALETTE if c not in colours), "")
        colours.add(colour)
        item = {"name": name, "definition": f"Spans labelled {name} in {Path(source).name} (imported; write the label's definition here)."}
        if hotkey:
            item["hotkey"] = hotkey
        if colour:
            item["color"] = colour
        out.append(item)
    data = {
        "name": scheme.name if scheme else f"Labels of {Path(source).name}",
        "description": (f"{scheme.name} from {scheme.path}" if scheme else "Made by `nerbench import`")
        + (f"; labels added from {Path(source).name}: {', '.join(added)}" if added else ""),
        "labels": out,
    }
    return data, added


def _label_json(label: Label) -> dict[str, str]:
    item = {"name": label.name, "definition": label.definition}
    if label.hotkey:
        item["hotkey"] = label.hotkey
    if label.color:
        item["color"] = label.color
    return item


# ---- Writing the corpus folder ------------------------------------------------------------------


def corpus_files(out: Path) -> dict[str, Path]:
    return {"seeds": out / "seeds", "gold": out / "gold.jsonl", "labels": out / "labels.json"}


def write_corpus(imported: Imported, out: Path, scheme_path: Path | None = None, overwrite: bool = False) -> dict[str, Any]:
    """Write `imported` as a corpus folder `out`; returns what was written, counted.

    `out` must be missing or empty; with `overwrite`, the files of an earlier import are replaced,
    and any other file stays, unless it is a seed `.txt` the new corpus does not have (it would
    join the corpus), which is refused.
    """
    ids = [d.id for d in imported.documents] + [i for i, _ in imported.unannotated]
    check_ids(ids, imported.source)
    scheme = load_scheme(scheme_path) if scheme_path else None
    scheme_json, added = scheme_with(imported.labels, scheme, imported.source)
    if not scheme_json["labels"]:
        raise NerbenchError(f"{imported.source}: no span, hence no label: give the label scheme with --labels FILE")
    _check_destination(out, ids, overwrite)
    try:
        staged, texts = _stage_and_write(imported, out, scheme_json)
    except OSError as e:  # the scratch folder, or a file of the set, could not be written
        raise NerbenchError(f"--out {out}: cannot write the corpus there: {e.strerror or e}") from None
    n_spans = sum(len(d.spans) for d in imported.documents)
    return {
        "out": str(out),
        "documents": len(imported.documents),
        "seeds": len(texts),
        "spans": n_spans,
        "labels": [l["name"] for l in scheme_json["labels"]],
        "labels_added": added,
        "predictions": {name: sum(len(s) for s in spans.values()) for name, (_, spans) in imported.predictions.items()},
        "files": [str(out / rel) for rel in staged],
        "notes": imported.notes,
    }


def _stage_and_write(imported: Imported, out: Path, scheme_json: dict[str, Any]) -> tuple[list[Path], dict[str, str]]:
    """Build the corpus in a scratch folder beside `out` and check it with the readers `evaluate`
    uses; then move it into place.

    A missing or empty `out` is replaced by the finished folder in one rename: a reader sees no
    corpus or the whole corpus. Over an earlier import (`--overwrite`) the seeds folder is
    replaced as one `FileSet`, then the gold, labels and predictions as another; if the run stops
    between the two, the gold no longer matches its seeds and every reader refuses it (run the
    import again), so no figure is computed from half of each.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".nerbench-import-", dir=out.parent) as scratch:
        stage = Path(scratch) / "corpus"
        texts = {d.id: d.text for d in imported.documents} | dict(imported.unannotated)
        (stage / "seeds").mkdir(parents=True)
        for doc_id, text in texts.items():
            (stage / "seeds" / f"{doc_id}.txt").write_bytes(text.encode("utf-8"))
        build_manifest(stage / "seeds")
        atomic_write_text(stage / "gold.jsonl", dumps_gold(imported.documents))
        atomic_write_text(stage / "labels.json", json.dumps(scheme_json, indent=2, ensure_ascii=False) + "\n")
        for name, (model, spans) in imported.predictions.items():
            order = [d for d in imported.documents if d.id in spans]
            atomic_write_text(stage / name, dumps_predictions(((d.id, d.text, spans[d.id]) for d in order), model))
        try:
            staged_scheme = load_scheme(stage / "labels.json")
            gold = load_gold(stage / "gold.jsonl", load_seeds(stage / "seeds"), staged_scheme)
            gold_texts = {d.id: d.text for d in gold.documents}
            for name in imported.predictions:
                load_predictions(stage / name, gold_texts, staged_scheme, IDENTITY_MAP, missing="empty")
        except NerbenchError as e:
            shown = str(e).replace(str(stage), str(out))
            raise NerbenchError(f"{imported.source}: not imported, the corpus would be refused: {shown}") from None
        staged = sorted(p.relative_to(stage) for p in stage.rglob("*") if p.is_file() and not p.name.startswith("."))
        if not out.exists() or not any(out.iterdir()):
            os.replace(stage, out)  # onto a missing or empty folder: one step
        else:
            for folder in (Path("seeds"), Path(".")):
                with FileSet() as files:
                    for rel in staged:
                        if rel.parent == folder:
                            files.write_text(out / rel, read_text_exact(stage / rel))
    return staged, texts


def _check_destination(out: Path, ids: Sequence[str], overwrite: bool) -> None:
    for folder in (out, *out.parents):
        if folder.exists() and not folder.is_dir():
            raise NerbenchError(f"--out {out}: {folder} is a file, not a folder")
    if not out.exists() or not any(out.iterdir()):
        return
    if not overwrite:
        raise NerbenchError(f"--out {out}: folder is not empty; choose another, or pass --overwrite to replace the files of an earlier import")
    wanted = {f"{i}.txt" for i in ids}
    stray = sorted(p.name for p in (out / "seeds").glob("*.txt") if p.name not in wanted) if (out / "seeds").is_dir() else []
    if stray:
        raise NerbenchError(
            f"--out {out}: {out / 'seeds'} holds {len(stray)} seed(s) the imported corpus does not have ({', '.join(stray[:3])}"
            f"{'…' if len(stray) > 3 else ''}); they would join the corpus. Remove them or choose another folder"
        )
    for p in [out / "seeds" / MANIFEST_NAME, *corpus_files(out).values()]:
        if p.exists() and p.is_dir() and p.name != "seeds":
            raise NerbenchError(f"--out {out}: {p} is a folder")


# ---- Export ---------------------------------------------------------------------------------------


@dataclass
class ExportOptions:
    tokenizer: str = "spacy"
    misaligned: str = "refuse"
    tags: str = "iob2"
    as_predictions: bool = False
    model_version: str = ""
    allow_provisional: bool = False


def export_gold(fmt: str, gold_path: Path, seeds_dir: Path, labels_path: Path, out: Path, options: ExportOptions = ExportOptions()) -> dict[str, Any]:
    """Write the gold in format `fmt` to the file `out`; returns what was written, counted."""
    from .spacy import MISALIGNED, Alignment, check_tokenizer

    if fmt not in FORMATS:
        raise NerbenchError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt in ("conll", "spacy"):
        check_tokenizer(options.tokenizer)
        if options.misaligned not in MISALIGNED:
            raise NerbenchError(f"--misaligned {options.misaligned!r}: use {' or '.join(MISALIGNED)}")
    if options.tags not in conll_format.TAG_SCHEMES:
        raise NerbenchError(f"--tags {options.tags!r}: use {', '.join(conll_format.TAG_SCHEMES)}")
    if out.is_dir():
        raise NerbenchError(f"--out {out}: is a folder; give a file name")
    gold = load_gold(gold_path, load_seeds(seeds_dir), load_scheme(labels_path))
    provisional = describe_provisional(gold)
    if provisional and not options.allow_provisional:
        raise NerbenchError(f"{gold_path}: {provisional}; resolve them and pull again, or export it anyway with --allow-provisional")
    docs = gold.documents
    summary: dict[str, Any] = {"out": str(out), "format": fmt, "documents": len(docs), "spans": gold.n_spans, "provisional": provisional}
    if fmt == "jsonl":
        _write(out, jsonl_format.dumps_text_spans((d.id, d.text, d.spans, d.meta, d.provisional) for d in docs))
    elif fmt == "labelstudio":
        version = options.model_version or f"nerbench-gold-{gold.sha256[:12]}"
        tasks = ls_format.tasks_json([(d.id, d.text, d.spans) for d in docs], options.as_predictions, version)
        _write(out, json.dumps(tasks, indent=1, ensure_ascii=False) + "\n")
        summary["as"] = f"predictions of model version {version}" if options.as_predictions else "annotations"
    else:
        stats = Alignment()
        if fmt == "spacy":
            from .spacy import docbin_bytes

            _write(out, docbin_bytes(((d.id, d.text, d.spans) for d in docs), options.tokenizer, options.misaligned, stats, str(gold_path)))
        else:
            _write(out, conll_text(docs, options, stats, str(gold_path)))
            summary["tags"] = options.tags
        summary["tokenizer"] = options.tokenizer
        summary["alignment"] = stats.__dict__
    return summary


def _write(out: Path, data: str | bytes) -> None:
    try:
        atomic_write_bytes(out, data.encode("utf-8") if isinstance(data, str) else data)
    except OSError as e:
        raise NerbenchError(f"--out {out}: cannot write it: {e.strerror or e}") from None


def conll_text(docs: Sequence[Document], options: ExportOptions, stats, where: str, predicted: dict[str, Sequence[Span]] | None = None) -> str:
    """CoNLL columns of the documents (a `-DOCSTART-` line before each), tokenised and aligned."""
    from .spacy import align_spans, make_doc

    out: list[str] = []
    for doc in docs:
        spacy_doc = make_doc(doc.text, options.tokenizer)
        here = f"{where}: document {doc.id}"
        _check_conll_tokens(spacy_doc, here)
        aligned = align_spans(spacy_doc, doc.spans, options.misaligned, here, options.tokenizer, stats)
        pred = align_spans(spacy_doc, predicted[doc.id], options.misaligned, here + " (predictions)", options.tokenizer, stats) if predicted is not None else None
        docstart = " ".join([conll_format.DOCSTART, "O"] + (["O"] if pred is not None else []))
        out += [docstart, "", *conll_format.conll_lines(spacy_doc, aligned, options.tags, pred), ""]
    return "\n".join(out)


def _check_conll_tokens(doc, where: str) -> None:
    for token in doc:
        if token.is_space:
            continue
        if any(c.isspace() for c in token.text):
            raise NerbenchError(f"{where}: token {token.text!r} at {token.idx} holds whitespace, which CoNLL columns cannot")
        if token.text in (conll_format.DOCSTART, conll_format.BOUNDARY):  # every token is the first field of its line
            raise NerbenchError(f"{where}: token {token.text!r} at {token.idx} would read as a CoNLL boundary line")
