"""Did-you-mean suggestions for a mistyped name (an option, a provider, a hook), defined once.

:func:`closest` is the one place that decides what counts as "close": an entry of an alias table
first (names other libraries and provider APIs use for the same thing, which no spelling distance
would find: ``max_tokens`` for ``max_output_tokens``), then :func:`difflib.get_close_matches` at
:data:`CUTOFF`.  :func:`did_you_mean` formats the suggestion the way every message states it:
``" (did you mean 'max_output_tokens'?)"``.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

__all__ = ["CUTOFF", "OPTION_ALIASES", "closest", "did_you_mean"]

#: :func:`difflib.get_close_matches` similarity below which a name is not suggested.
CUTOFF = 0.6

#: Names other libraries and provider APIs give specwire's call options (OpenAI Chat Completions,
#: Anthropic Messages, Gemini ``generationConfig``, Hugging Face ``generate``, LiteLLM), mapped to
#: the option that means the same here.
OPTION_ALIASES: Mapping[str, str] = {
    # the output budget
    "max_tokens": "max_output_tokens",
    "max_completion_tokens": "max_output_tokens",
    "max_new_tokens": "max_output_tokens",
    "maxOutputTokens": "max_output_tokens",
    "max_tokens_to_sample": "max_output_tokens",
    "num_predict": "max_output_tokens",
    # sampling
    "topP": "top_p",
    "topK": "top_k",
    "random_seed": "seed",
    "presencePenalty": "presence_penalty",
    "frequencyPenalty": "frequency_penalty",
    "repetition_penalty": "frequency_penalty",
    # stopping
    "stop": "stop_sequences",
    "stop_sequence": "stop_sequences",
    "stopSequences": "stop_sequences",
    "stop_words": "stop_sequences",
    # tools and output shape
    "functions": "tools",
    "function_call": "tool_choice",
    "toolChoice": "tool_choice",
    "json_schema": "response_format",
    "response_schema": "response_format",
    "responseSchema": "response_format",
    "response_mime_type": "response_format",
    "output_format": "response_format",
    "text_format": "response_format",
    # reasoning
    "reasoning_effort": "reasoning",
    "thinking": "reasoning",
    "thinking_config": "reasoning",
    "thinkingConfig": "reasoning",
    "thinking_budget": "reasoning",
    # who and what
    "user_id": "user",
    "safety_identifier": "user",
    # transport and per-call settings
    "headers": "extra_headers",
    "default_headers": "extra_headers",
    "extra_body": "provider_options",
    "api_base": "base_url",
    "base": "base_url",
    "endpoint": "base_url",
    "key": "api_key",
    "apikey": "api_key",
    "request_timeout": "timeout",
    "num_retries": "max_retries",
    "retries": "max_retries",
}


def closest(name: str, candidates: Iterable[str], *, aliases: Mapping[str, str] | None = None) -> str | None:
    """The candidate ``name`` most likely meant, or ``None``.  An alias that names one of the
    ``candidates`` wins over spelling distance; names compare as given (then case-folded)."""
    import difflib  # only a mistyped name pays for it

    known = sorted(set(candidates))
    if aliases:
        target = aliases.get(name)
        if target is None:
            target = next((v for k, v in aliases.items() if k.lower() == name.lower()), None)
        if target is not None and target in known:
            return target
    close = difflib.get_close_matches(name, known, n=1, cutoff=CUTOFF)
    if not close:
        folded = {k.lower(): k for k in known}
        close = [folded[c] for c in difflib.get_close_matches(name.lower(), list(folded), n=1, cutoff=CUTOFF)]
    return close[0] if close else None


def did_you_mean(name: str, candidates: Iterable[str], *, aliases: Mapping[str, str] | None = None) -> str:
    """``" (did you mean 'x'?)"`` for the :func:`closest` candidate, or ``""``."""
    match = closest(name, candidates, aliases=aliases)
    return f" (did you mean {match!r}?)" if match else ""
