"""A team server is reached with LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY: a personal access token works."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from nerbench.annotate.client import Connection, connect
from nerbench.cli import app

pytestmark = pytest.mark.labelstudio


def test_push_with_a_personal_access_token_from_the_environment(ls_server, root, tmp_path):
    _, creds = ls_server
    admin = connect(Connection(creds.url, creds.token, "test"))
    pat = admin.tokens.create().token  # a JWT refresh token, as Label Studio's UI hands out
    assert pat.count(".") == 2 and pat != creds.token
    env = {"LABEL_STUDIO_URL": creds.url, "LABEL_STUDIO_API_KEY": pat}
    args = ["--seeds", str(root / "seeds"), "--labels", str(root / "gold/labels.json"), "--project", "via a personal token"]
    result = CliRunner().invoke(app, ["push", *args, "--guidelines", str(root / "gold/GUIDELINES.md"), "--state-dir", str(tmp_path)], env=env)
    assert result.exit_code == 0, result.output
    assert "Imported 5 tasks in one request" in result.stdout
    # the local credentials were never needed: the state dir is empty
    assert list(tmp_path.iterdir()) == []


def test_url_without_key_is_one_error_line(root, tmp_path):
    result = CliRunner().invoke(app, ["pull", "--gold", str(tmp_path / "g.jsonl"), "--state-dir", str(tmp_path)], env={"LABEL_STUDIO_URL": "http://127.0.0.1:9", "LABEL_STUDIO_API_KEY": ""})
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: LABEL_STUDIO_API_KEY is not set: set both LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY for a team server, "
        "or neither for the local one\n"
    )
