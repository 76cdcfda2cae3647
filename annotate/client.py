"""Which Label Studio to talk to, and one clear error line when talking fails.

A team server is used when LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY are set (a personal access
token or a legacy token); otherwise the local server of `make labelstudio`, whose URL and token
are in `.labelstudio/credentials.json`. Read when first used, never at import time.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from nerbench.errors import NerbenchError

from . import server

DEFAULT_PROJECT_TITLE = "nerbench gold"
NO_RETRY = {"max_retries": 0}  # for POSTs that must not run twice (imports, annotations)


@dataclass(frozen=True)
class Connection:
    url: str
    api_key: str
    source: str  # where the settings came from, for error hints

    def __repr__(self) -> str:  # never show the key
        return f"Connection(url={self.url!r}, source={self.source!r})"


def resolve_connection(state_dir: Path = server.DEFAULT_STATE_DIR) -> Connection:
    url, key = os.environ.get("LABEL_STUDIO_URL"), os.environ.get("LABEL_STUDIO_API_KEY")
    if url and key:
        return Connection(url.rstrip("/"), key, "LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY")
    if url or key:
        missing = "LABEL_STUDIO_API_KEY" if url else "LABEL_STUDIO_URL"
        raise NerbenchError(f"{missing} is not set: set both LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY for a team server, or neither for the local one")
    creds = server.load_credentials(Path(state_dir))
    if creds is None:
        raise NerbenchError(
            f"no Label Studio server configured: start the local one with `make labelstudio` "
            f"(no {server.credentials_path(Path(state_dir))} yet), or set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY"
        )
    return Connection(creds.url, creds.token, str(server.credentials_path(Path(state_dir))))


@contextlib.contextmanager
def api_errors(conn: Connection, doing: str) -> Iterator[None]:
    """Translate connection and HTTP errors of the SDK into one NerbenchError line with a hint."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except httpx.TransportError as e:
        reason = str(e) or type(e).__name__
        raise NerbenchError(
            f"Label Studio at {conn.url} is unreachable while {doing} ({reason}); start it with `make labelstudio` "
            f"or check the URL in {conn.source}"
        ) from None
    except ApiError as e:
        if e.status_code in (401, 403):
            detail = _detail(e.body)
            raise NerbenchError(
                f"Label Studio at {conn.url} refused the API key while {doing} (HTTP {e.status_code}: {detail}); "
                f"check the key in {conn.source}"
            ) from None
        if e.status_code == 404:
            raise NerbenchError(f"Label Studio at {conn.url}: not found while {doing} (HTTP 404: {_detail(e.body)})") from None
        raise NerbenchError(f"Label Studio at {conn.url} answered HTTP {e.status_code} while {doing}: {_detail(e.body)}") from None


def _detail(body: object) -> str:
    if isinstance(body, dict):
        for key in ("detail", "validation_errors", "message"):
            if body.get(key):
                return str(body[key]).replace("\n", " ")[:300]
    return str(body).replace("\n", " ")[:300]


def connect(conn: Connection):
    """An SDK client, after checking that the server answers and accepts the key."""
    from label_studio_sdk import LabelStudio

    client = LabelStudio(base_url=conn.url, api_key=conn.api_key, timeout=120)
    with api_errors(conn, "checking the API key"):
        client.users.whoami()
    return client


def find_project(client, conn: Connection, title: str):
    """The project with this exact title, or None; two with the same title is an error."""
    with api_errors(conn, f"listing projects to find {title!r}"):
        matches = [p for p in client.projects.list(title=title) if p.title == title]
    if len(matches) > 1:
        ids = ", ".join(str(p.id) for p in matches)
        raise NerbenchError(f"Label Studio at {conn.url} has {len(matches)} projects titled {title!r} (ids {ids}); rename or delete all but one")
    return matches[0] if matches else None


def require_project(client, conn: Connection, title: str):
    project = find_project(client, conn, title)
    if project is None:
        raise NerbenchError(f"Label Studio at {conn.url} has no project titled {title!r}; create it with `make push`")
    return project
