"""Counting a request's input tokens without a provider call: a local tokenizer for the model
families whose spec declares one (``tokenizer:``, tiktoken, the ``tokenizers`` extra), else an
estimate of characters ÷ 4.  :meth:`specwire.Client.count_tokens` uses these when the provider
has no count endpoint, and the Router's token-per-minute limits use :func:`local_count`.

**The spec's** ``tokenizer:`` (provider knowledge, never Python)::

    tokenizer:
      library: tiktoken
      docs: https://…                  # where the encodings and the framing come from
      encodings:                       # the first entry with a matching glob wins
        - {models: ["gpt-4o*", "o[0-9]*"], encoding: o200k_base}
      per_message: 3                   # tokens of each message's framing
      per_name: 1                      # more for a message with a name
      reply_priming: 3                 # the assistant reply's priming, once per request

**The tokenizer count** is the framing above plus the tokens of each message's role, name, text,
tool-call names and arguments and tool results; each tool definition counts as the tokens of its
JSON (an approximation: providers render tool definitions in their own format), each image,
document or audio part as :data:`MEDIA_PART_TOKENS`.

**The estimate** is ``ceil(characters / 4)`` over the same text (4 characters per token is
OpenAI's rule of thumb for English; other languages and code use more tokens) plus
:data:`MEDIA_PART_TOKENS` per media part.

**Encodings.** tiktoken downloads an encoding's files on first use and caches them on disk
(``TIKTOKEN_CACHE_DIR``).  :func:`load_encoding` does that (once per process); without network
access, put the files in that cache, or build an encoding yourself and :func:`register_encoding`
it.  :func:`local_count` (the Router's path) never loads: it uses an encoding only once it is in
this process, loaded by a ``count_tokens`` call, :func:`load_encoding` or
:func:`register_encoding`, so a routed call never waits on a download.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Literal, Protocol

from .errors import ConfigError
from .types import ReasoningPart, Request, TextPart, ToolCallPart, ToolResultPart

__all__ = [
    "CHARS_PER_TOKEN",
    "MEDIA_PART_TOKENS",
    "Encoding",
    "TokenizerRule",
    "estimate_prompt_tokens",
    "load_encoding",
    "local_count",
    "register_encoding",
    "tokenizer_count",
    "tokenizer_rule",
]

#: Tokens counted for each image, document or audio part (by the tokenizer count and the estimate).
MEDIA_PART_TOKENS = 256
#: Characters per token of the estimate (OpenAI's rule of thumb for English text).
CHARS_PER_TOKEN = 4.0
#: The extra naming the tokenizer library.
EXTRA = "tokenizers"


class Encoding(Protocol):
    """What a tokenizer must do: ``encode(text, disallowed_special=())`` → the token ids
    (``tiktoken.Encoding`` does)."""

    def encode(self, text: str, *, disallowed_special: Any = ...) -> list[int]: ...


@dataclass(frozen=True)
class TokenizerRule:
    """The spec's tokenizer for one model: the ``encoding`` name and the chat framing in tokens."""

    encoding: str
    per_message: int = 0
    per_name: int = 0
    reply_priming: int = 0
    library: str = "tiktoken"


def tokenizer_rule(spec_data: Mapping[str, Any], model: str) -> TokenizerRule | None:
    """The ``tokenizer:`` rule of a spec (its merged data) for ``model``: the first ``encodings``
    entry with a glob matching the model id (case-sensitive), else ``None``."""
    declared = spec_data.get("tokenizer")
    if not isinstance(declared, Mapping):
        return None
    for entry in declared.get("encodings") or ():  # pyright: ignore[reportUnknownVariableType]
        if isinstance(entry, Mapping) and any(fnmatchcase(model, str(p)) for p in entry.get("models") or ()):  # pyright: ignore[reportUnknownVariableType, reportUnknownArgumentType]
            return TokenizerRule(
                encoding=str(entry["encoding"]),  # pyright: ignore[reportUnknownArgumentType]
                per_message=int(declared.get("per_message", 0)),  # pyright: ignore[reportUnknownArgumentType]
                per_name=int(declared.get("per_name", 0)),  # pyright: ignore[reportUnknownArgumentType]
                reply_priming=int(declared.get("reply_priming", 0)),  # pyright: ignore[reportUnknownArgumentType]
                library=str(declared.get("library", "tiktoken")),  # pyright: ignore[reportUnknownArgumentType]
            )
    return None


# ---------------------------------------------------------------------------- encodings
_encodings: dict[str, Encoding] = {}
_failed: dict[str, str] = {}  # name -> why it did not load (not tried again in this process)
_lock = threading.Lock()


def register_encoding(name: str, encoding: Encoding) -> None:
    """Use ``encoding`` for the encoding ``name`` in this process (for example a
    ``tiktoken.Encoding`` built from files you ship, where tiktoken cannot download them)."""
    with _lock:
        _encodings[name] = encoding
        _failed.pop(name, None)


def loaded_encoding(name: str) -> Encoding | None:
    """The encoding ``name`` if this process has it already (never loads)."""
    return _encodings.get(name)


def load_encoding(name: str) -> Encoding:
    """The tiktoken encoding ``name`` (``o200k_base``, ``cl100k_base``…), loaded once per process.
    tiktoken downloads its files on first use and caches them (``TIKTOKEN_CACHE_DIR``).  Raises
    :class:`~specwire.ConfigError` naming the ``tokenizers`` extra when tiktoken is not
    installed, and when the encoding cannot be loaded (no network access and no cached copy; a
    failed load is not tried again in this process until :func:`register_encoding`)."""
    found = _encodings.get(name)
    if found is not None:
        return found
    try:
        import tiktoken
    except ImportError:
        raise ConfigError(f"counting tokens with a tokenizer needs tiktoken: pip install 'specwire[{EXTRA}]'") from None
    if name in _failed:
        raise ConfigError(_failed[name])
    try:
        encoding: Encoding = tiktoken.get_encoding(name)
    except Exception as exc:  # a download failure, an unknown name: tiktoken raises several kinds
        why = (f"tiktoken could not load the {name!r} encoding ({type(exc).__name__}); it downloads the encoding files on "
               "first use: allow that once, put them in its cache (TIKTOKEN_CACHE_DIR), or register an encoding with "
               "specwire.tokens.register_encoding")
        with _lock:
            _failed[name] = why
        raise ConfigError(why) from None
    with _lock:
        return _encodings.setdefault(name, encoding)


# ---------------------------------------------------------------------------- counting
def _texts(request: Request) -> tuple[list[tuple[str, str | None, list[str]]], int]:
    """Per message (role, name, texts); and the number of media parts."""
    out: list[tuple[str, str | None, list[str]]] = []
    media = 0
    for message in request.messages:
        texts: list[str] = []
        if isinstance(message.content, str):
            texts.append(message.content)
        else:
            for part in message.content:
                if isinstance(part, (TextPart, ReasoningPart)):
                    texts.append(part.text)
                elif isinstance(part, ToolCallPart):
                    texts += [part.tool_name, part.arguments_text or json.dumps(part.arguments or {})]
                elif isinstance(part, ToolResultPart):
                    if isinstance(part.content, str):
                        texts.append(part.content)
                    else:
                        for inner in part.content:
                            if isinstance(inner, TextPart):
                                texts.append(inner.text)
                            else:
                                media += 1
                else:
                    media += 1
        out.append((str(message.role), message.name, texts))
    return out, media


def _tool_texts(request: Request) -> list[str]:
    return [json.dumps(tool.model_dump(mode="json", exclude_none=True), separators=(",", ":")) for tool in request.tools]


def estimate_prompt_tokens(request: Request, *, chars_per_token: float = CHARS_PER_TOKEN) -> int:
    """The estimate of a request's input tokens: ``ceil(characters / chars_per_token)`` over the
    messages' text, tool calls and results and the JSON of the tool definitions, plus
    :data:`MEDIA_PART_TOKENS` per media part."""
    messages, media = _texts(request)
    chars = sum(len(t) for _, _, texts in messages for t in texts) + sum(len(t) for t in _tool_texts(request))
    return math.ceil(chars / chars_per_token) + media * MEDIA_PART_TOKENS


def tokenizer_count(request: Request, rule: TokenizerRule, encoding: Encoding) -> int:
    """The tokenizer count of a request's input (see the module docstring): exact for the text,
    approximate for tool definitions and media parts."""

    def n(text: str) -> int:
        return len(encoding.encode(text, disallowed_special=())) if text else 0

    messages, media = _texts(request)
    total = rule.reply_priming + media * MEDIA_PART_TOKENS
    for role, name, texts in messages:
        total += rule.per_message + n(role) + sum(n(t) for t in texts)
        if name:
            total += rule.per_name + n(name)
    return total + sum(n(t) for t in _tool_texts(request))


def local_count(spec_data: Mapping[str, Any], model: str, request: Request, *, chars_per_token: float = CHARS_PER_TOKEN) -> tuple[int, Literal["tokenizer", "estimate"]]:
    """A request's input tokens counted in this process without loading anything: with the spec's
    tokenizer when its encoding is already loaded (:func:`load_encoding`, :func:`register_encoding`),
    else the estimate.  Returns ``(tokens, method)``."""
    rule = tokenizer_rule(spec_data, model)
    encoding = loaded_encoding(rule.encoding) if rule is not None else None
    if rule is not None and encoding is not None:
        return tokenizer_count(request, rule, encoding), "tokenizer"
    return estimate_prompt_tokens(request, chars_per_token=chars_per_token), "estimate"
