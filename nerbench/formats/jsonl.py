"""spaCy/Prodigy JSON Lines (`text` + `spans`) to and from `Span`.

    {"text": "Tencent opened an office in Nanjing.", "spans": [{"start": 0, "end": 7, "label": "ORG"}],
     "id": "doc-1", "answer": "accept"}

The offsets are Prodigy's: half-open character offsets into `text`, the same convention as
`Span`. A span's `text`, when given, must equal the slice; `token_start`/`token_end` are ignored
(the character offsets decide). The document id is `id`, else `meta.id`, else one is made from
the file name and the line's rank. Lines with a Prodigy `answer` other than `accept` (rejected or
ignored examples) are not gold: they are counted and left out. Writing gives one line per
document: `id`, `text`, `spans` (with their `text`), and `meta` and `provisional` (nerbench's mark
of a gold that is not final) when the gold has them; importing keeps `provisional`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from nerbench.errors import NerbenchError
from nerbench.fileio import jsonl_lines, parse_json
from nerbench.spans import Span, parse_spans


@dataclass
class JsonlDocument:
    line: int
    id: str | None
    text: str
    spans: list[Span]
    meta: dict[str, Any] = field(default_factory=dict)
    provisional: dict[str, int] | None = None  # nerbench's mark of a gold not final yet (gold/README.md)


def read_text_spans(content: str, where: str) -> tuple[list[JsonlDocument], dict[str, int]]:
    """The documents of the file, and the count of lines left out per Prodigy answer."""
    docs, left_out = [], {}
    for lineno, line in jsonl_lines(content):
        here = f"{where}:{lineno}"
        data = parse_json(line, here)
        if not isinstance(data, dict):
            raise NerbenchError(f"{here}: expected a JSON object per line")
        answer = data.get("answer", "accept")
        if answer != "accept":
            left_out[str(answer)] = left_out.get(str(answer), 0) + 1
            continue
        text = data.get("text")
        if not isinstance(text, str):
            raise NerbenchError(f'{here}: missing "text" (a string)')
        meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
        doc_id = data.get("id", meta.get("id"))
        if isinstance(doc_id, int) and not isinstance(doc_id, bool):
            doc_id = str(doc_id)
        if doc_id is not None and not isinstance(doc_id, str):
            raise NerbenchError(f'{here}: "id" must be a string or an integer')
        if doc_id:
            here = f"{here}: document {doc_id}"
        raw = data.get("spans", [])
        if not isinstance(raw, list):
            raise NerbenchError(f'{here}: "spans" must be a list')
        spans = parse_spans(text, raw, None, here, require_text=False, require_sorted=False)
        provisional = data.get("provisional")
        if provisional is not None and (not isinstance(provisional, dict) or not all(_is_count(v) for v in provisional.values())):
            raise NerbenchError(f'{here}: "provisional" must be an object of counts, e.g. {{"unresolved_conflicts": 2}}')
        docs.append(JsonlDocument(lineno, doc_id or None, text, spans, meta, provisional or None))
    return docs, left_out


def dumps_text_spans(documents: Iterable[tuple[str, str, Sequence[Span], dict[str, Any], dict[str, int] | None]]) -> str:
    """Lines of (id, text, spans, meta, provisional): a provisional mark is kept, so it survives a round trip."""
    out = []
    for doc_id, text, spans, meta, provisional in documents:
        line: dict[str, Any] = {"id": doc_id, "text": text, "spans": [s.to_dict(text) for s in sorted(spans)]}
        if meta:
            line["meta"] = meta
        if provisional:
            line["provisional"] = provisional
        out.append(json.dumps(line, ensure_ascii=False) + "\n")
    return "".join(out)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
