"""Which Label Studio to talk to, as whom, and one clear error line when talking fails.

A team server is used when LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY are set (a personal access
token or a legacy token: each person uses their own); otherwise the local server of
`make labelstudio`, as its admin (`.labelstudio/credentials.json`) or, with `--user EMAIL`, as an
account made by `nerbench labelstudio add-user` (`.labelstudio/accounts/`). Read when first used,
never at import time.
"""

from __future__ import annotations

import contextlib
import os
import urllib.parse
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
        return f"Connection(url={self.where!r}, source={self.source!r})"

    @property
    def where(self) -> str:
        """The URL for messages and reports: a password inside it is shown as ***."""
        return server.redact_url(self.url)

    def scrub(self, text: str) -> str:
        """`text` without the URL's password or the API key, wherever a server or library echoed them."""
        password = _password(self.url)
        for secret in (self.url, password, self.api_key):
            if secret:
                text = text.replace(secret, self.where if secret == self.url else "***")
        return text


def _password(url: str) -> str | None:
    try:
        return urllib.parse.urlsplit(url).password
    except ValueError:
        return None


def resolve_connection(state_dir: Path = server.DEFAULT_STATE_DIR, user: str | None = None) -> Connection:
    """The server and key to use: `user`'s local account, LABEL_STUDIO_URL + LABEL_STUDIO_API_KEY, or the local admin."""
    state_dir = Path(state_dir)
    if user:
        creds = server.load_credentials(state_dir)
        account = server.load_account(state_dir, user)
        if creds is None or account is None:
            raise NerbenchError(
                f"no local account {user} in {server.accounts_path(state_dir)}: make it with `nerbench labelstudio add-user {user}`, "
                "or on a team server set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY to your own key"
            )
        return Connection(creds.url, account.token, str(server.account_path(state_dir, user)))
    url, key = os.environ.get("LABEL_STUDIO_URL"), os.environ.get("LABEL_STUDIO_API_KEY")
    if url and key:
        return Connection(_checked_url(url), key, "LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY")
    if url or key:
        missing = "LABEL_STUDIO_API_KEY" if url else "LABEL_STUDIO_URL"
        raise NerbenchError(f"{missing} is not set: set both LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY for a team server, or neither for the local one")
    creds = server.load_credentials(state_dir)
    if creds is None:
        raise NerbenchError(
            f"no Label Studio server configured: start the local one with `make labelstudio` "
            f"(no {server.credentials_path(state_dir)} yet), or set LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY"
        )
    return Connection(creds.url, creds.token, str(server.credentials_path(state_dir)))


def _checked_url(url: str) -> str:
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # raises on a port that is not a number or out of range
    except ValueError as e:
        raise NerbenchError(f"LABEL_STUDIO_URL {server.redact_url(url)}: {e}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise NerbenchError(f"LABEL_STUDIO_URL {server.redact_url(url)}: expected http://HOST:PORT or https://HOST")
    return url.rstrip("/")


@contextlib.contextmanager
def api_errors(conn: Connection, doing: str) -> Iterator[None]:
    """Translate connection and HTTP errors of the SDK into one NerbenchError line with a hint."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except httpx.TransportError as e:
        reason = conn.scrub(str(e) or type(e).__name__)
        raise NerbenchError(
            f"Label Studio at {conn.where} is unreachable while {doing} ({reason}); start it with `make labelstudio` "
            f"or check the URL in {conn.source}"
        ) from None
    except ApiError as e:
        detail = conn.scrub(_detail(e.body))
        if e.status_code in (401, 403):
            raise NerbenchError(
                f"Label Studio at {conn.where} refused the API key while {doing} (HTTP {e.status_code}: {detail}); "
                f"check the key in {conn.source}"
            ) from None
        if e.status_code == 404:
            raise NerbenchError(f"Label Studio at {conn.where}: not found while {doing} (HTTP 404: {detail})") from None
        raise NerbenchError(f"Label Studio at {conn.where} answered HTTP {e.status_code} while {doing}: {detail}") from None


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


def whoami(client, conn: Connection) -> tuple[int, str]:
    """(user id, e-mail) of the key's owner."""
    with api_errors(conn, "asking whose API key this is"):
        me = client.users.whoami()
    return me.id, (me.email or me.username or f"user {me.id}")


def find_project(client, conn: Connection, title: str):
    """The project with this exact title, or None; two with the same title is an error."""
    with api_errors(conn, f"listing projects to find {title!r}"):
        matches = [p for p in client.projects.list(title=title) if p.title == title]
    if len(matches) > 1:
        ids = ", ".join(str(p.id) for p in matches)
        raise NerbenchError(f"Label Studio at {conn.where} has {len(matches)} projects titled {title!r} (ids {ids}); rename or delete all but one")
    return matches[0] if matches else None


def require_project(client, conn: Connection, title: str):
    project = find_project(client, conn, title)
    if project is None:
        raise NerbenchError(f"Label Studio at {conn.where} has no project titled {title!r}; create it with `make push`")
    return project
