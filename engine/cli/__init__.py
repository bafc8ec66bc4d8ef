"""Command line: `specwire` and `validate-spec`."""

def main(argv=None):
    raise SystemExit("not yet")
