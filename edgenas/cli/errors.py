"""`CliError`: a command's input, found wrong while it runs (exit status 1, one line on stderr)."""

from edgenas.errors import EdgenasError

__all__ = ["CliError"]


class CliError(EdgenasError):
    """A command-line value that argparse cannot judge alone: a missing store, a device a store lacks, a plug-in."""
