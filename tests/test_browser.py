"""The annotators' path in the real Label Studio page, in headless Chromium.

The first annotator logs in with their own account (made as `nerbench labelstudio add-user`
makes it) through the login form of the server that `make labelstudio` starts, opens tasks
pushed by `make push`, checks the labels, hotkeys and guidelines on the page (every line of the
guidelines inside the Instructions dialog), labels spans with the mouse and the scheme's hotkeys,
submits, and `make pull` brings them back into the gold with the offsets of the selected text. A
sloppy selection (a space too many) is refused by pull, fixed on the page as the README says,
and pulled again.

The second annotator, with an account of their own, takes *Label All Tasks*: they are served the
task the first annotator did, without seeing the first one's spans, label it their own way, and
`make pull` shows the disagreement as a conflict. No page ever sends a request beyond 127.0.0.1.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from nerbench.annotate.client import Connection, connect, find_project
from nerbench.annotate.push import existing_tasks, import_annotations
from nerbench.gold import Document
from nerbench.spans import Span

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
# Every element of the dialog whose content is wider than its box: a line someone cannot read.
OVERFLOWING = """(dialog) => [dialog, ...dialog.querySelectorAll('*')]
  .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
  .map(e => [e.tagName, e.scrollWidth, e.clientWidth, e.textContent.slice(0, 80)])"""


def shot(page, request, name: str) -> None:
    page.screenshot(path=str(request.node.screenshot_dir / f"step-{len(list(request.node.screenshot_dir.glob('step-*')))+1:02d}-{name}.png"))


def save_small_png(source, target) -> None:
    """The screenshot with a 256-colour palette: a third of the size, the same for the eye (for the README)."""
    from PIL import Image

    with Image.open(source) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(target, optimize=True)


def log_in(page, url: str, account) -> None:
    page.goto(f"{url}/user/login/")
    page.fill("#email", account.email)
    page.fill("#password", account.password)
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


def record_requests(page) -> list[str]:
    """Every URL the page asks for, from now on."""
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url))
    return seen


def beyond(url: str, requests: list[str]) -> list[str]:
    return sorted({r for r in requests if not r.startswith(f"{url}/") and not r.startswith(("data:", "blob:"))})


def check_instructions(page, guidelines: str) -> None:
    """The dialog shows the guidelines, and none of its lines runs out of its box."""
    dialog = page.locator(".lsf-modal-ls__content").filter(has=page.locator(".lsf-modal-ls__title", has_text="Instructions"))
    dialog.wait_for()
    text = " ".join(dialog.inner_text().split())
    headings = [line.lstrip("#").strip() for line in guidelines.split("\n") if line.startswith("#")]
    assert len(headings) > 20 and [h for h in headings if h not in text] == []
    numbered = [re.match(r"(\d+)\. \*\*(.+?)\*\*", line) for line in guidelines.split("\n")]
    number, words = next(m.groups() for m in numbered if m)
    assert f"{number}. {words}" in text  # a numbered rule keeps its number
    assert dialog.evaluate(OVERFLOWING) == []
    dialog.get_by_role("button", name="Close modal").click()
    dialog.wait_for(state="hidden")


def test_annotator_labels_with_hotkeys_and_pull_gets_the_selected_offsets(ls_server, ls_accounts, page, request, tmp_path, seeds, scheme, root):
    state, creds = ls_server
    requests = record_requests(page)
    pushed = run_make("push", f"LS_STATE={state}")
    assert pushed.returncode == 0, pushed.stderr
    conn = Connection(creds.url, creds.token, "test credentials")
    client = connect(conn)
    project_id = find_project(client, conn, PROJECT).id
    tasks = {doc_id: t["id"] for doc_id, t in existing_tasks(client, conn, project_id).items()}
    gpe, person = scheme.get("GPE"), scheme.get("PERSON")

    log_in(page, creds.url, ls_accounts["alice"])
    nbsp_text = seeds.text(NBSP_DOC)
    open_task(page, creds, project_id, tasks[NBSP_DOC], nbsp_text)
    shot(page, request, "task-opened")

    # The labels of gold/labels.json, in order, each with its hotkey.
    shown = page.locator(".lsf-labels .lsf-label").evaluate_all(
        "els => els.map(e => [e.querySelector('.lsf-label__text').textContent, e.querySelector('.lsf-label__hotkey').textContent])"
    )
    assert shown == [[label.name, label.hotkey] for label in scheme.labels]
    # The instructions: how to label, the hotkey table and the guidelines, every line inside the dialog.
    page.get_by_role("button", name="Instructions").click()
    dialog = page.locator(".lsf-modal-ls__content").filter(has=page.locator(".lsf-modal-ls__title", has_text="Instructions"))
    dialog.wait_for()
    instructions = " ".join(dialog.inner_text().split())
    assert "Press the label's hotkey (or click the label), then select the text" in instructions
    assert all(f"{label.name} {label.hotkey} {' '.join(label.definition.split())}" in instructions for label in scheme.labels)
    shot(page, request, "instructions")
    check_instructions(page, (root / "gold" / "GUIDELINES.md").read_text(encoding="utf-8"))

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
    assert beyond(creds.url, requests) == []  # nothing left 127.0.0.1


def test_second_annotator_is_served_the_task_without_the_first_ones_work_and_pull_shows_the_conflict(
    ls_server, ls_accounts, page, request, tmp_path, seeds, scheme, root
):
    state, creds = ls_server
    title = "second pass"
    pushed = run_make("push", f"LS_STATE={state}", f"PROJECT={title}")
    assert pushed.returncode == 0, pushed.stderr
    assert "Each task goes to 2 different annotators" in pushed.stdout
    doc = "000_8faa29fe9a578bee"
    text = seeds.text(doc)
    jiangsu, nanjing = find(text, "Jiangsu"), find(text, "Nanjing")
    # Alice has submitted the first document, with her own key.
    alice = Connection(creds.url, ls_accounts["alice"].token, "alice's account")
    import_annotations(connect(alice), alice, [Document(doc, text, (Span(*jiangsu, "GPE"), Span(*nanjing, "GPE")))], title, scheme)
    admin = Connection(creds.url, creds.token, "test credentials")
    project_id = find_project(connect(admin), admin, title).id

    requests = record_requests(page)
    log_in(page, creds.url, ls_accounts["bob"])
    page.goto(f"{creds.url}/projects/{project_id}/data")
    page.get_by_role("button", name="Label All Tasks").click()
    # The project shows its instructions when the stream starts: readable, every line inside the box.
    check_instructions(page, (root / "gold" / "GUIDELINES.md").read_text(encoding="utf-8"))
    try:
        page.wait_for_function(f"() => ({RENDERED_TEXT})() === {json.dumps(text.replace(chr(10), ''))}")
    except PlaywrightTimeout:
        pytest.fail(f"Label All Tasks did not serve {doc}, the task Alice did; the page shows {page.evaluate(RENDERED_TEXT)!r:.200}")
    shot(page, request, "second-annotator-task")
    assert page.evaluate(HIGHLIGHTS) == []  # none of Alice's spans
    assert page.get_by_test_id("bottombar-update-button").count() == 0  # nothing of anyone's to update
    label_span(page, text, *nanjing, scheme.get("LOC"))
    assert page.evaluate(HIGHLIGHTS) == [["Nanjing", *nanjing, "1:LOC"]]
    submitted = save(page, "Submit")
    bob_id = connect(Connection(creds.url, ls_accounts["bob"].token, "bob")).users.whoami().id
    assert (submitted["completed_by"], submitted.get("updated_by", bob_id)) == (bob_id, bob_id)

    gold = tmp_path / "gold" / "gold.jsonl"
    pulled = run_make("pull", f"LS_STATE={state}", f"PROJECT={title}", f"GOLD={gold}")
    assert pulled.returncode == 0, pulled.stderr
    out = pulled.stdout
    assert "Agreement alice@example.org vs bob@example.org: span F1 0.000, Cohen's kappa " in out
    assert f"  {doc} [{jiangsu[0]}, {jiangsu[1]}) 'Jiangsu': span marked by one side only: alice@example.org: GPE 'Jiangsu'; bob@example.org: nothing" in out
    assert f"  {doc} [{nanjing[0]}, {nanjing[1]}) 'Nanjing': same span, different label: alice@example.org: GPE 'Nanjing'; bob@example.org: LOC 'Nanjing'" in out
    assert f"  (also listed in {gold.parent / 'pull-report.md'})" in out
    assert f"The gold is PROVISIONAL: 1 documents not final ({doc})" in out
    assert json.loads(gold.read_text(encoding="utf-8"))["provisional"] == {"unresolved_conflicts": 2, "annotators": 2, "annotators_required": 2}
    assert beyond(creds.url, requests) == []  # nothing left 127.0.0.1
