"""The `edgenas` command line: one module per command group.

`app` parses the arguments and runs a command (`main`); `args` holds the
argument types; `farm`, `predictor`, `scale`, `proxy` and `augment` add their
sub-commands.
Importing this package does not import TensorFlow; a command that converts or
trains does.
"""

from edgenas.cli.app import main

__all__ = ["main"]
