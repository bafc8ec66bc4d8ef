"""Cold first call: the programs run.py times, one fresh process each (standard library only here).

Each program is what a short script would write: import the library, build its client, make one
non-stream call (OpenAI Chat Completions shape unless noted) against the fake server, and check
the reply.  run.py times the whole process (``python -c CODE``) and subtracts an empty
interpreter (``python -c pass``) of the same virtual environment, so the figure is import + client
set-up (specwire: spec discovery, load and compile) + the request and its parsing.

Two references make the ratios: **raw httpx** (``import httpx`` and one ``httpx.post``, JSON parsed
by hand) and the **dependency floor** (the same call after also importing specwire's own
dependencies: ``httpx, jmespath, jinja2, yaml``).  The specwire programs also fail when
the call carries a warning (an id missing from the catalog would be measured as specwire's cost).

``__ROOT__`` in a program is replaced by the fake server's root URL
(``http://127.0.0.1:PORT/bench/n64-s4-t0``).
"""

from __future__ import annotations

from clients import API_KEY, MAX_TOKENS, MODELS, PROMPT

_OPENAI_BODY = {"model": MODELS["openai"], "messages": PROMPT, "max_completion_tokens": MAX_TOKENS}
_HTTPX_CALL = (
    f"r = httpx.post('__ROOT__/v1/chat/completions', json={_OPENAI_BODY!r}, headers={{'authorization': 'Bearer {API_KEY}'}})\n"
    "r.raise_for_status()\n"
    "assert json.loads(r.content)['choices'][0]['message']['content']\n"
)


def _specwire(provider: str, base: str, *, aio: bool = False) -> str:
    client = f"Client(api_keys={{{provider!r}: {API_KEY!r}}}, base_urls={{{provider!r}: '__ROOT__{base}'}}, max_retries=0"
    ref = f"{provider}:{MODELS[provider]}"
    if not aio:
        return (f"from specwire import Client\n"
                f"r = {client}).complete({ref!r}, {PROMPT!r}, max_output_tokens={MAX_TOKENS})\n"
                "assert r.text and not r.warnings, r.warnings\n")
    return ("import asyncio\nfrom specwire import Client\n"
            "async def main():\n"
            f"    c = {client}, async_backend='aiohttp')\n"
            f"    r = await c.acomplete({ref!r}, {PROMPT!r}, max_output_tokens={MAX_TOKENS})\n"
            "    assert r.text and not r.warnings, r.warnings\n"
            "    await c.aclose()\n"
            "asyncio.run(main())\n")


#: label -> (virtual environment, program).  "empty*" are the interpreter start-up subtracted.
COLD_CALLS: dict[str, tuple[str, str]] = {
    "empty": ("main", "pass"),
    "empty-litellm": ("litellm", "pass"),
    "floor": ("main", "import httpx, jmespath, jinja2, yaml, json\n" + _HTTPX_CALL),
    "httpx": ("main", "import httpx, json\n" + _HTTPX_CALL),
    "aiohttp": ("main", (
        "import asyncio, json, aiohttp\n"
        "async def main():\n"
        "    async with aiohttp.ClientSession() as s:\n"
        f"        async with s.post('__ROOT__/v1/chat/completions', json={_OPENAI_BODY!r}, headers={{'authorization': 'Bearer {API_KEY}'}}) as r:\n"
        "            r.raise_for_status()\n"
        "            assert json.loads(await r.read())['choices'][0]['message']['content']\n"
        "asyncio.run(main())\n")),
    "specwire": ("main", _specwire("openai", "/v1")),
    "specwire+aiohttp": ("main", _specwire("openai", "/v1", aio=True)),
    "openai-sdk": ("main", (
        "from openai import OpenAI\n"
        f"r = OpenAI(base_url='__ROOT__/v1', api_key={API_KEY!r}, max_retries=0).chat.completions.create("
        f"model={MODELS['openai']!r}, messages={PROMPT!r}, max_completion_tokens={MAX_TOKENS})\n"
        "assert r.choices[0].message.content\n")),
    "anthropic-sdk": ("main", (
        "from anthropic import Anthropic\n"
        f"r = Anthropic(base_url='__ROOT__', api_key={API_KEY!r}, max_retries=0).messages.create("
        f"model={MODELS['anthropic']!r}, messages={PROMPT!r}, max_tokens={MAX_TOKENS})\n"
        "assert r.content[0].text\n")),
    "specwire-anthropic": ("main", _specwire("anthropic", "/v1")),
    "litellm": ("litellm", (
        "import litellm\n"
        f"r = litellm.completion(model='openai/{MODELS['openai']}', api_base='__ROOT__/v1', api_key={API_KEY!r}, "
        f"messages={PROMPT!r}, max_completion_tokens={MAX_TOKENS}, num_retries=0)\n"
        "assert r.choices[0].message.content\n")),
}

#: What each row calls, for the report.
COLD_WHAT = {
    "floor": "`import httpx, jmespath, jinja2, yaml` + one `httpx.post`",
    "httpx": "`import httpx` + one `httpx.post`, JSON parsed by hand",
    "aiohttp": "`import aiohttp` + one `ClientSession().post` (async)",
    "specwire": "`from specwire import Client` + `Client(…).complete('openai:…')`",
    "specwire+aiohttp": "`Client(…, async_backend='aiohttp').acomplete('openai:…')` (async)",
    "openai-sdk": "`from openai import OpenAI` + `chat.completions.create`",
    "anthropic-sdk": "`from anthropic import Anthropic` + `messages.create` (Anthropic shape)",
    "specwire-anthropic": "`Client(…).complete('anthropic:…')` (Anthropic shape)",
    "litellm": "`import litellm` + `litellm.completion`",
}
