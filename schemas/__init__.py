"""Data package: JSON Schemas (draft 2020-12) of the provider spec and of the CLI JSON outputs."""
