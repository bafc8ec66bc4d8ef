"""The spec side of embeddings: an embeddings-only spec (``chat: false``), the ``item`` tree and a
``max_batch`` template (docs/ARCHITECTURE.md section 4, "Operations"), in user specs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import respx

from specwire import Client, SpecError, UnsupportedOperationError

EMBED_ONLY = """\
spec_version: 1
provider: vecs
chat: false
base_url: https://vecs.example.test/v1
env: {api_key: VECS_KEY}
auth: {scheme: bearer}
operations:
  embed:
    path: /embed
    item: {text: "{{ input }}", n: "{{ index }}", kind: "{{ params.input_type or omit }}"}
    body: {model: "{{ model }}", items: "{{ items }}"}
    accepts: [input_type]
    max_batch: "{{ 2 if model == 'small' else 3 }}"
    response:
      vectors: "out[*].v"
      input_tokens: tokens
models:
  - id: small
    pricing: {input: 1.0, output: 0, source: "https://vecs.example.test/pricing", as_of: "2026-12-07"}
"""


def _client(tmp_path: Path, text: str = EMBED_ONLY) -> Client:
    (tmp_path / "vecs.yaml").write_text(text, encoding="utf-8")
    return Client(spec_paths=[tmp_path], env={}, load_entry_points=False, api_keys={"vecs": "vk"})


def test_item_tree_and_max_batch_template(tmp_path: Path) -> None:
    def answer(request: object) -> object:
        import httpx

        assert isinstance(request, httpx.Request)
        items = json.loads(request.content)["items"]
        return httpx.Response(200, json={"out": [{"v": [float(i["n"])]} for i in items], "tokens": len(items)})

    with respx.mock() as mock:
        route = mock.post("https://vecs.example.test/v1/embed").mock(side_effect=answer)
        with _client(tmp_path) as client:
            small = client.embed("vecs:small", ["a", "b", "c"], input_type="query")
            other = client.embed("vecs:large", ["a", "b", "c"])
    bodies = [json.loads(c.request.content) for c in route.calls]
    assert bodies[0] == {"model": "small", "items": [{"text": "a", "n": 0, "kind": "query"}, {"text": "b", "n": 1, "kind": "query"}]}
    assert bodies[1] == {"model": "small", "items": [{"text": "c", "n": 0, "kind": "query"}]}
    assert bodies[2] == {"model": "large", "items": [{"text": "a", "n": 0}, {"text": "b", "n": 1}, {"text": "c", "n": 2}]}
    assert small.vectors == [[0.0], [1.0], [0.0]] and other.vectors == [[0.0], [1.0], [2.0]]
    assert small.usage is not None and small.usage.input_tokens == 3
    assert small.cost is not None and small.cost.total == pytest.approx(3 / 1e6)


def test_a_spec_without_chat_refuses_chat_calls(tmp_path: Path) -> None:
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(json={})
        with _client(tmp_path) as client:
            with pytest.raises(UnsupportedOperationError):
                client.complete("vecs:small", "hi")
            with pytest.raises(UnsupportedOperationError):
                client.stream("vecs:small", "hi")
    assert not route.called


def test_a_spec_without_chat_must_declare_operations(tmp_path: Path) -> None:
    text = EMBED_ONLY.split("operations:")[0] + "models: []\n"
    with pytest.raises(SpecError) as info:
        _client(tmp_path, text).registry.get("vecs")
    assert "operations" in str(info.value)


def test_a_chat_spec_still_needs_request_response_and_stream(tmp_path: Path) -> None:
    text = EMBED_ONLY.replace("chat: false\n", "")
    with pytest.raises(SpecError) as info:
        _client(tmp_path, text).registry.get("vecs")
    assert "request" in str(info.value)


def test_a_max_batch_template_that_gives_no_positive_integer_is_a_spec_error(tmp_path: Path) -> None:
    text = EMBED_ONLY.replace("""max_batch: "{{ 2 if model == 'small' else 3 }}\"""", """max_batch: "{{ 0 }}\"""")
    with respx.mock(assert_all_called=False) as mock:
        route = mock.route().respond(json={})
        with _client(tmp_path, text) as client, pytest.raises(SpecError):
            client.embed("vecs:small", ["a"])
    assert not route.called
