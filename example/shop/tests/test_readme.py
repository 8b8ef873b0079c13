"""Issue 16.2: every request the README shows is one of the example's index page, with
the README's query count; test_examples.py checks each of those against the demo data
(its status and exact query count, for 3 customers and for 60). Issue 15.5: the same for
every page of docs/, where the reference moved from the README."""

from __future__ import annotations

import json
import re
from pathlib import Path

from shop.examples import EXAMPLE_REQUESTS

ROOT = Path(__file__).resolve().parents[3]
#: The README and every page of docs/, by their path from the repository's root.
DOCUMENTS = {
    path.relative_to(ROOT).as_posix(): path.read_text()
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
}
EXAMPLES = {example.url: example for example in EXAMPLE_REQUESTS if example.body is None}
# The README names the first customer and the first country by their key in the demo.
PLACEHOLDERS = [
    ("/api/customers/1/", "/api/customers/{customer}/"),
    ("/api/regions/1/", "/api/regions/{country}/"),
]


def example_url(url: str) -> str:
    for readme, example in PLACEHOLDERS:
        url = url.replace(readme, example)
    return url


def shown_requests(text: str) -> list[tuple[str, int | None]]:
    """(url, the query count the text gives or None) of each request it shows."""
    found: list[tuple[str, int | None]] = []
    for line in text.splitlines():
        block = re.match(r"GET (/api/\S+)(?:\s+(\d+) quer)?", line)
        if block:
            found.append((block[1], int(block[2]) if block[2] else None))
        row = re.match(r"\| `(/api/[^`]+)` \| (\d+)", line)
        if row:
            found.append((row[1], int(row[2])))
        found.extend((url, None) for url in re.findall(r"`GET (/api/[^`]+)`", line))
    return found


def test_the_readme_and_the_docs_show_requests():
    """The README shows the requests of its quick start, parameters and errors; the docs
    show the rest (41 of the example's 41 requests without a body, when this was written),
    each checked below."""
    assert len(shown_requests(DOCUMENTS["README.md"])) >= 10
    shown = {example_url(url) for text in DOCUMENTS.values() for url, _ in shown_requests(text)}
    assert len(shown) >= 35


def test_every_request_shown_is_an_example_with_its_count():
    missing = []
    for name, text in DOCUMENTS.items():
        for url, queries in shown_requests(text):
            example = EXAMPLES.get(example_url(url))
            if example is None:
                missing.append(f"{name}: {url}")
            elif queries is not None:
                assert example.queries == queries, f"{name}: {url}"
    assert missing == []


def test_the_json_bodies_shown_are_examples():
    bodies = [
        body
        for text in DOCUMENTS.values()
        for body in re.findall(r"Content-Type: application/json\n\n(\{.*\})\n", text)
    ]
    assert re.search(r"Content-Type: application/json\n\n(\{.*\})\n", DOCUMENTS["README.md"])
    for body in bodies:
        assert json.loads(body) in [example.body for example in EXAMPLE_REQUESTS], body
