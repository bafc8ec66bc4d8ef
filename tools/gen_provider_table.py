"""Regenerate the providers table of README.md from the built-in specs.

The table sits between `<!-- PROVIDERS:BEGIN -->` and `<!-- PROVIDERS:END -->`; tests/docs
checks that it equals what this script would write.  Run: python tools/gen_provider_table.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- PROVIDERS:BEGIN -->", "<!-- PROVIDERS:END -->"


def _names(value: object) -> list[str]:
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)  # type: ignore[arg-type]


#: The operations in table order (chat unless the spec says ``chat: false``; the others are its
#: ``operations:`` entries).
OPERATION_ORDER = ("chat", "embed", "count_tokens", "list_models")


def _operations(spec: Any) -> list[str]:
    """The spec's operations; ``count_tokens (tokenizer)`` when it has no count endpoint but
    declares a tokenizer for models of its catalog (specwire.tokens)."""
    from specwire.tokens import tokenizer_rule

    declared = set(spec.operations) | ({"chat"} if spec.chat else set())
    out = [op for op in (*OPERATION_ORDER, *sorted(declared - set(OPERATION_ORDER))) if op in declared]
    if spec.chat and "count_tokens" not in declared and any(tokenizer_rule(spec.data, m.id) for m in spec.models):
        out.insert(out.index("list_models") if "list_models" in out else len(out), "count_tokens (tokenizer)")
    return out


def render() -> str:
    from specwire.registry import SpecRegistry

    registry = SpecRegistry(user_config=False, env={})
    rows = ["| provider | wire API | auth | env variables | stream framing | operations | models |", "|---|---|---|---|---|---|---|"]
    for provider in registry.providers():
        spec = registry.get(provider)
        data = spec.data
        env = data.get("env") or {}
        variables = _names(env.get("api_key")) + _names(env.get("base_url"))
        variables += [v for s in (data.get("settings") or {}).values() for v in _names((s or {}).get("env"))]
        framings = ([spec.stream.framing] + [m.framing for m in spec.stream_modes.values() if m.framing != spec.stream.framing]) if spec.chat else []
        auth = spec.auth.get("scheme", "none") + (" (optional)" if spec.auth.get("optional") else "")
        rows.append(
            f"| `{provider}` | {spec.display_name} | `{auth}` | "
            f"{', '.join(f'`{v}`' for v in dict.fromkeys(variables)) or '—'} | "
            f"{', '.join(f'`{f}`' for f in framings) or '—'} | {', '.join(_operations(spec))} | {len(spec.models)} |"
        )
    return "\n".join(rows)


def updated(readme: str) -> str:
    return re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), BEGIN + "\n" + render() + "\n" + END, readme, flags=re.DOTALL)


def main() -> int:
    path = Path(__file__).resolve().parent.parent / "README.md"
    path.write_text(updated(path.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
