"""The payload-diff probe of tests/providers/test_param_coverage.py, callable for one model ref.

test_param_coverage.py probes the providers listed in its ``MODELS``; the provider modules of the
specs added later (openai-responses, azure-openai, cohere…) run the same probe on their own specs
through :func:`probe_problems`, with the same sample values and the same verdicts (an option is
either mapped — the body changed, outside the conversation, with no unsupported warning — or
dropped with exactly one ``unsupported-param`` warning)."""

from __future__ import annotations

from typing import Any

import specwire
from specwire.types import GENERIC_PARAMS

from tests.providers.test_param_coverage import PROBE_TOOL, SAMPLES, _problems

__all__ = ["probe_problems"]


def probe_problems(client: specwire.Client, model_ref: str, *, silent_ok: dict[tuple[str, str], str] | None = None, settings: dict[str, Any] | None = None) -> list[str]:
    """Every problem the probe finds for ``model_ref``.  ``silent_ok`` lists ``(option, sample
    label)`` pairs for which sending nothing, with no warning, is the documented behaviour (the
    value is the reason, for the reader)."""
    silent_ok = silent_ok or {}
    extra = {"settings": settings} if settings else {}

    def render(**options: Any) -> specwire.RequestPlan:
        return client.build(model_ref, [{"role": "user", "content": "probe"}], tools=[PROBE_TOOL], **extra, **options)

    baseline = render()
    problems: list[str] = []
    for option in GENERIC_PARAMS:
        for label, value in SAMPLES[option]:
            plan = render(**{option: value})
            if (option, label) in silent_ok and plan.body == baseline.body and not [w for w in plan.warnings if w.param == option]:
                continue
            problems += _problems(f"{model_ref}-{option}-{label}", option, baseline, plan)
    return problems
