"""The annotator's path in the real Label Studio page, in headless Chromium.

Log in through the login form of the server that `make labelstudio` starts (`server.start`),
open tasks pushed by `make push`, check the labels, hotkeys and guidelines on the page, label
spans with the mouse and the scheme's hotkeys, submit, and let `make pull` bring them back into
the gold with the offsets of the selected text. A sloppy selection (a space too many) is
refused by pull, fixed on the page as the README says, and pulled again.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from nerbench.annotate.client import Connection, connect, find_project
from nerbench.annotate.push import existing_tasks

from conftest import find, run_make

pytestmark = [pytest.mark.browser, pytest.mark.labelstudio]

PROJECT = "nerbench gold"  # the Makefile's default: the project annotators see
NBSP_DOC = "001_c92b095a75020d04"  # "Fujian\u00a0Province": a no-break space inside the span
QUOTE_DOC = "002_e205de1bbff1140c"  # spans after the curly quotes “ (and ’) and ”

# The rendered text is the task's text without its newlines (lines become <br>), so a character
# offset into the text maps to one into the concatenated text nodes of the editor.
CHARACTER_BOXES = r"""
([start, end]) => {
  const root = document.querySelector('.lsf-richtext__container');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  let length = 0;
  while (walker.nextNode()) { nodes.push([walker.currentNode, length]); length += walker.currentNode.data.length; }
  const at = (offset) => {
    for (const [node, first] of nodes) if (offset >= first && offset < first + node.data.length) return [node, offset - first];
    throw new Error(`offset ${offset} is outside the rendered text (${length} characters)`);
  };
  const box = (offset) => {
    const [node, i] = at(offset);
    const range = document.createRange();
    range.setStart(node, i);
    range.setEnd(node, i + 1);
    const r = range.getBoundingClientRect();
    return {left: r.left, right: r.right, y: (r.top + r.bottom) / 2};
  };
  at(start)[0].parentElement.scrollIntoView({block: 'nearest'});
  return {first: box(start), last: box(end - 1)};
}
"""
RENDERED_TEXT = """() => {
  const root = document.querySelector('.lsf-richtext__container');
  if (!root) return null;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let text = '';
  while (walker.nextNode()) text += walker.currentNode.data;
  return text;
}"""
HIGHLIGHTS = """() => [...document.querySelectorAll('.lsf-richtext__container .htx-highlight')].map(
  e => [e.textContent, Number(e.dataset.start), Number(e.dataset.end), e.dataset.label])"""


def shot(page, request, name: str) -> None:
    page.screenshot(path=str(request.node.screenshot_dir / f"step-{len(list(request.node.screenshot_dir.glob('step-*')))+1:02d}-{name}.png"))


def save_small_png(source, target) -> None:
    """The screenshot with a 256-colour palette: a third of the size, the same for the eye (for the README)."""
    from PIL import Image

    with Image.open(source) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(target, optimize=True)


def log_in(page, creds) -> None:
    page.goto(f"{creds.url}/user/login/")
    page.fill("#email", creds.username)
    page.fill("#password", creds.password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/user/login" not in url)


def open_task(page, creds, project_id: int, task_id: int, text: str) -> None:
    page.goto(f"{creds.url}/projects/{project_id}/data?task={task_id}")
    expected = text.replace("\n", "")
    try:  # the editor renders the text more than once while it loads the task
        page.wait_for_function(f"() => ({RENDERED_TEXT})() === {json.dumps(expected)}")
    except PlaywrightTimeout:
        pytest.fail(f"task {task_id}: the page does not show the task's exact text; it shows {page.evaluate(RENDERED_TEXT)!r:.300}")


def label_span(page, text: str, start: int, end: int, label) -> None:
    """Press the label's hotkey, then drag the mouse over text[start:end] on the rendered page."""
    active = page.locator(".lsf-label_selected .lsf-label__text", has_text=label.name)
    made = page.locator(f'.htx-highlight[data-start="{start}"][data-end="{end}"]')
    for _ in range(3):  # while it loads a task, the editor may drop the active label: label again
        for _ in range(10):  # it binds its hotkeys a moment after it shows the text
            if active.is_visible():
                break
            page.keyboard.press(label.hotkey)
            try:
                active.wait_for(timeout=1000)
            except PlaywrightTimeout:
                continue
        assert active.is_visible(), f"hotkey {label.hotkey!r} did not select the label {label.name}"
        boxes = page.evaluate(CHARACTER_BOXES, [start - text.count("\n", 0, start), end - text.count("\n", 0, end)])
        first, last = boxes["first"], boxes["last"]
        # Press inside the first character's left edge, release inside the last one's right edge.
        page.mouse.move(first["left"] + 1, first["y"])
        page.mouse.down()
        page.mouse.move(last["right"] - 1, last["y"], steps=8)
        page.mouse.up()
        try:
            made.wait_for(timeout=3000)
            return
        except PlaywrightTimeout:
            continue
    pytest.fail(f"selecting {text[start:end]!r} [{start}, {end}) with {label.name} active made no span")


def save(page, button: str) -> dict:
    """Click the bottom bar's Submit (or Update) button and return the annotation the server stored."""
    locator = page.get_by_test_id(f"bottombar-{button.lower()}-button")
    assert locator.inner_text().strip() == button
    with page.expect_response(lambda r: "/annotations" in r.url and r.request.method in ("POST", "PATCH", "PUT")) as response:
        locator.click()
    assert response.value.ok, f"{button}: HTTP {response.value.status}"
    return response.value.json()


def test_annotator_labels_with_hotkeys_and_pull_gets_the_selected_offsets(ls_server, page, request, tmp_path, seeds, scheme, root):
    state, creds = ls_server
    pushed = run_make("push", f"LS_STATE={state}")
    assert pushed.returncode == 0, pushed.stderr
    conn = Connection(creds.url, creds.token, "test credentials")
    client = connect(conn)
    project_id = find_project(client, conn, PROJECT).id
    tasks = {doc_id: t["id"] for doc_id, t in existing_tasks(client, conn, project_id).items()}
    gpe, person = scheme.get("GPE"), scheme.get("PERSON")

    log_in(page, creds)
    nbsp_text = seeds.text(NBSP_DOC)
    open_task(page, creds, project_id, tasks[NBSP_DOC], nbsp_text)
    shot(page, request, "task-opened")

    # The labels of gold/labels.json, in order, each with its hotkey.
    shown = page.locator(".lsf-labels .lsf-label").evaluate_all(
        "els => els.map(e => [e.querySelector('.lsf-label__text').textContent, e.querySelector('.lsf-label__hotkey').textContent])"
    )
    assert shown == [[label.name, label.hotkey] for label in scheme.labels]
    # The instructions: how to label, the hotkey table and the guidelines.
    page.get_by_role("button", name="Instructions").click()
    dialog = page.locator(".lsf-modal-ls__content").filter(has=page.locator(".lsf-modal-ls__title", has_text="Instructions"))
    dialog.wait_for()
    instructions = " ".join(dialog.inner_text().split())
    assert "Press the label's hotkey (or click the label), then select the text" in instructions
    assert all(f"{label.name} {label.hotkey} {' '.join(label.definition.split())}" in instructions for label in scheme.labels)
    guidelines = (root / "gold" / "GUIDELINES.md").read_text(encoding="utf-8")
    assert "Annotation Guidelines: NER Gold Standard" in instructions and " ".join(guidelines.split()[-12:]) in instructions
    shot(page, request, "instructions")
    dialog.get_by_role("button", name="Close modal").click()
    dialog.wait_for(state="hidden")

    # A sloppy selection: the space before "Fujian\u00a0Province" too.
    start, end = find(nbsp_text, "Fujian\u00a0Province")
    assert nbsp_text[start - 1] == " "
    label_span(page, nbsp_text, start - 1, end, gpe)
    assert page.evaluate(HIGHLIGHTS) == [[" Fujian\u00a0Province", start - 1, end, "1:GPE"]]
    submitted = save(page, "Submit")
    assert [r["value"]["text"] for r in submitted["result"]] == [" Fujian\u00a0Province"]

    quote_text = seeds.text(QUOTE_DOC)
    quote = quote_text.index("“The supercomputing center we’ve planned to build in Songjiang")
    songjiang = (quote_text.index("Songjiang", quote), quote_text.index("Songjiang", quote) + len("Songjiang"))
    dao_feng = find(quote_text, "Dao Feng")
    assert quote_text[dao_feng[0] - 7 : dao_feng[0]] == "” said "
    open_task(page, creds, project_id, tasks[QUOTE_DOC], quote_text)
    label_span(page, quote_text, *songjiang, gpe)
    label_span(page, quote_text, *dao_feng, person)
    assert page.evaluate(HIGHLIGHTS) == [["Songjiang", *songjiang, "1:GPE"], ["Dao Feng", *dao_feng, "2:PERSON"]]
    regions = " ".join(page.locator(".lsf-tree__node_type_richtextregion").all_inner_texts())
    assert "GPE" in regions and "Songjiang" in regions and "PERSON" in regions and "Dao Feng" in regions
    picture = request.node.screenshot_dir / "labelling-page.png"
    page.screenshot(path=str(picture))
    if request.config.getoption("--labelling-screenshot"):
        save_small_png(picture, request.config.getoption("--labelling-screenshot"))
    save(page, "Submit")

    # make pull refuses the sloppy span, names it, and writes nothing.
    gold = tmp_path / "gold" / "gold.jsonl"
    refused = run_make("pull", f"LS_STATE={state}", f"GOLD={gold}")
    assert refused.returncode != 0
    error = refused.stderr.splitlines()[0]
    assert error.startswith(f"Error: Label Studio project {project_id} at {creds.url}: task {tasks[NBSP_DOC]} (document {NBSP_DOC}), annotation ")
    assert error.endswith(f"span 0 [{start - 1}, {end}) GPE ' Fujian\\xa0Province': span starts or ends with whitespace")
    assert not gold.parent.exists()

    # The fix, as in the README: select the region in the list, Backspace, label again, Update.
    open_task(page, creds, project_id, tasks[NBSP_DOC], nbsp_text)
    page.locator(".lsf-tree__node_type_richtextregion").first.click()
    page.keyboard.press("Backspace")
    page.locator(".lsf-richtext__container .htx-highlight").first.wait_for(state="detached")
    label_span(page, nbsp_text, start, end, gpe)
    shot(page, request, "fixed")
    save(page, "Update")

    pulled = run_make("pull", f"LS_STATE={state}", f"GOLD={gold}")
    assert pulled.returncode == 0, pulled.stderr
    assert f"Pulled 2 documents, 3 spans from Label Studio project {project_id} at {creds.url}" in pulled.stdout
    lines = {d["id"]: d for d in map(json.loads, gold.read_text(encoding="utf-8").splitlines())}
    assert list(lines) == [NBSP_DOC, QUOTE_DOC]
    assert lines[NBSP_DOC]["spans"] == [{"start": start, "end": end, "label": "GPE", "text": "Fujian\u00a0Province"}]
    assert lines[QUOTE_DOC]["spans"] == [
        {"start": songjiang[0], "end": songjiang[1], "label": "GPE", "text": "Songjiang"},
        {"start": dao_feng[0], "end": dao_feng[1], "label": "PERSON", "text": "Dao Feng"},
    ]
    assert all(lines[d]["text"] == seeds.text(d) for d in lines)
