"""Entry point of `bazel run //edgenas:cli -- ...` (the `edgenas` console script).

Python puts this file's real folder (the source `edgenas/`, since runfiles are
symlinks) first on sys.path; it is dropped so that modules such as
`edgenas/profile.py` cannot shadow standard-library modules of the same name.
Runs from the folder `bazel run` was started in, like the console script.
"""

import os
import sys

_HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != _HERE]

from edgenas.cli import main  # noqa: E402

if __name__ == "__main__":
    # `bazel run` starts binaries in their runfiles folder; relative paths in
    # the arguments are meant from where the user ran it.
    if os.environ.get("BUILD_WORKING_DIRECTORY"):
        os.chdir(os.environ["BUILD_WORKING_DIRECTORY"])
    sys.exit(main())
