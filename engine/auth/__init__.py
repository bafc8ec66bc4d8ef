"""Auth hooks: each scheme is an ``httpx.Auth`` built from the spec's ``auth`` block and the
caller's credentials (docs/ARCHITECTURE.md section 5).  Secrets enter here and nowhere else: they are never
part of a template context, and they are registered for redaction."""

from __future__ import annotations

from .credentials import Credentials

__all__ = ["Credentials"]
