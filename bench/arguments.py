"""The argument parser every bench starts from: its module docstring is its help."""

from __future__ import annotations

import argparse


def parser_from_docstring(prog: str, docstring: str | None) -> argparse.ArgumentParser:
    """A parser whose description is the docstring's first paragraph and whose epilog is
    everything after its second (the usage examples stay out of both)."""
    assert docstring is not None, f"{prog} needs a module docstring: it is the help"
    return argparse.ArgumentParser(
        prog=prog,
        description=docstring.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=docstring.split("\n\n", 2)[2],
    )
