"""JSON shapes of the CLI output (schemas/stream-event.schema.json, schemas/render-output.schema.json)
and the plain-text table."""

from __future__ import annotations

import re
from typing import Any

from ..errors import APIStatusError
from ..redact import MASK, redact_headers, redact_text, redact_url

__all__ = ["error_json", "event_json", "model_rows", "rendered_request", "response_json", "summary_line", "table"]


def response_json(response: Any) -> dict[str, Any]:
    """A :class:`Response` as JSON data, without ``raw`` (the body it came from)."""
    return response.model_dump(mode="json", exclude={"raw"})  # type: ignore[no-any-return]


def error_json(error: BaseException) -> dict[str, Any]:
    """An error as ``{class, message, status, provider, code, error_type, param, request_id,
    retry_after, in_stream}``."""
    out: dict[str, Any] = {"class": type(error).__name__, "message": redact_text(getattr(error, "message", str(error)))}
    if isinstance(error, APIStatusError):
        out.update(
            status=error.status,
            provider=error.provider,
            code=error.code,
            error_type=error.error_type,
            param=error.param,
            request_id=error.request_id,
            retry_after=error.retry_after,
            in_stream=error.in_stream,
        )
    return out


def event_json(event: Any) -> dict[str, Any]:
    """One stream event as JSON data (``finish`` and ``error`` carry the response)."""
    if event.type == "finish":
        return {"type": "finish", "response": response_json(event.response)}
    if event.type == "error":
        return {"type": "error", "error": error_json(event.error), "response": response_json(event.response)}
    return event.model_dump(mode="json")  # type: ignore[no-any-return]


def rendered_request(client: Any, spec: Any, plan: Any) -> dict[str, Any]:
    """``{"method", "url", "headers", "body", "warnings"}``: the plan with auth applied and every
    secret masked.

    Auth runs when it needs no network: key schemes (the configured key, or a placeholder when none
    is set) and schemes whose factory has an ``offline(auth_spec, credentials)`` predicate that
    holds (``aws-sigv4`` with a Bedrock API key or static credentials in the environment: the
    request is signed as it would be sent, with its ``x-amz-date``).  Otherwise (OAuth / Entra ID
    token fetches, a credential chain) the request is shown without auth and an ``auth-not-shown``
    warning says why.  An ``Authorization`` header is masked whole, except a SigV4 one, which keeps
    its structure with ``Credential`` and ``Signature`` masked."""
    from .. import hooks
    from ..errors import ConfigError
    from ..transport import Transport

    warnings = [w.model_dump() for w in plan.warnings]
    scheme = spec.auth.get("scheme", "none")
    factory = hooks.auth_factory(scheme)
    settings = client._resolve_settings(spec, {})
    auth = None
    if getattr(factory, "requires_api_key", False) or scheme == "none":
        try:
            auth = client._auth(spec, None, settings)
        except ConfigError:
            auth = client._auth(spec, "<API_KEY>", settings)
    elif callable(offline := getattr(factory, "offline", None)):
        try:
            chosen, credentials = client._auth_inputs(spec, None, settings)
            if chosen is not factory or offline(dict(spec.auth), credentials):
                auth = chosen(dict(spec.auth), credentials)
        except ConfigError as exc:
            warnings.append({"kind": "auth-not-shown", "param": None, "detail": f"the {scheme} credentials could not be resolved: {redact_text(str(exc))}"})
    if auth is not None:
        method, url, headers = Transport.signed(plan, auth)
    else:
        method, url, headers = plan.method, plan.url, dict(plan.headers)
        if not any(w["kind"] == "auth-not-shown" for w in warnings):
            detail = f"the {scheme} hook may need the network (a token fetch or a credential chain) to authenticate; render does not run it, so its headers are not shown"
            warnings.append({"kind": "auth-not-shown", "param": None, "detail": detail})
    secret_headers = tuple(h for h in (spec.auth.get("name"),) if h)
    shown = redact_headers(headers, secret_headers)
    for name, value in headers.items():
        if name.lower() == "authorization" and _SIGV4_AUTH.match(value):
            shown[name] = _SIGV4_SECRET.sub(lambda m: m.group(1) + MASK, value)
    return {
        "method": method,
        "url": redact_url(url),
        "headers": shown,
        "body": plan.body,
        "warnings": warnings,
    }


# SigV4 Authorization: "AWS4-HMAC-SHA256 Credential=<key id>/<scope>, SignedHeaders=<names>,
# Signature=<hex>" (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html)
_SIGV4_AUTH = re.compile(r"^AWS4-HMAC-SHA256 Credential=[^,\s]+, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]+$")
_SIGV4_SECRET = re.compile(r"((?:Credential|Signature)=)[^,\s]+")


def summary_line(response: Any) -> str:
    """``[stop · 12 in / 40 out tokens · $0.000321]`` for the terminal, with only what is known:
    a count, the finish reason or the cost the provider did not give is left out (``[stop ·
    12 in tokens]``; ``[]`` never: an empty summary is the empty string)."""
    bits = []
    if response.finish_reason is not None:
        bits.append(response.finish_reason.unified)
    usage = response.usage
    counts = [] if usage is None else [f"{n} {label}" for n, label in ((usage.input_tokens, "in"), (usage.output_tokens, "out")) if n is not None]
    if counts:
        bits.append(" / ".join(counts) + " tokens")
    if response.cost is not None:
        bits.append(f"${response.cost.total:.6f}")
    return "[" + " · ".join(bits) + "]" if bits else ""


def model_rows(spec: Any) -> list[dict[str, Any]]:
    rows = []
    for m in spec.models:
        d = m.as_dict()
        p = d["pricing"] or {}
        rows.append(
            {
                "model": f"{spec.provider}:{m.id}",
                "provider": spec.provider,
                "id": m.id,
                "aliases": d["aliases"],
                "context_window": d["context_window"],
                "max_output_tokens": d["max_output_tokens"],
                "input": p.get("input"),
                "output": p.get("output"),
                "cache_read": p.get("cache_read"),
                "cache_write": p.get("cache_write"),
                "capabilities": d["capabilities"],
                "pricing_source": p.get("source"),
                "deprecated": d["deprecated"],
                # provenance: an imported catalog (its dataset and date) or the spec's own entry
                "origin": f"imported ({m.catalog})" if m.catalog else "hand-written",
                "source": m.source or p.get("source"),
                "as_of": m.as_of or p.get("as_of"),
            }
        )
    return rows


def table(rows: list[dict[str, Any]], columns: list[str], titles: dict[str, str] | None = None) -> str:
    """A left-aligned plain-text table."""
    titles = titles or {}
    head = [titles.get(c, c) for c in columns]
    body = [["" if r.get(c) is None else str(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in body]
    return "\n".join(lines)
