"""Issue 16.2: every request the README shows is one of the example's index page, with
the README's query count; test_examples.py checks each of those against the demo data
(its status and exact query count, for 3 customers and for 60)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from shop.examples import EXAMPLE_REQUESTS

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()
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


def readme_requests() -> list[tuple[str, int | None]]:
    """(url, the query count the README gives or None) of each request it shows."""
    found: list[tuple[str, int | None]] = []
    for line in README.splitlines():
        block = re.match(r"GET (/api/\S+)(?:\s+(\d+) quer)?", line)
        if block:
            found.append((block[1], int(block[2]) if block[2] else None))
        row = re.match(r"\| `(/api/[^`]+)` \| (\d+)", line)
        if row:
            found.append((row[1], int(row[2])))
        found.extend((url, None) for url in re.findall(r"`GET (/api/[^`]+)`", line))
    return found


def test_the_readme_shows_requests():
    assert len(readme_requests()) >= 20


def test_every_readme_request_is_an_example_with_its_count():
    missing = []
    for url, queries in readme_requests():
        example = EXAMPLES.get(example_url(url))
        if example is None:
            missing.append(url)
        elif queries is not None:
            assert example.queries == queries, url
    assert missing == []


def test_the_readme_json_bodies_are_examples():
    bodies = re.findall(r"Content-Type: application/json\n\n(\{.*\})\n", README)
    assert bodies
    for body in bodies:
        assert json.loads(body) in [example.body for example in EXAMPLE_REQUESTS], body
