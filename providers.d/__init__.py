"""Data package: the built-in provider specs (one YAML file per wire API)."""
