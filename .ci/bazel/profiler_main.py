"""Entry point of `bazel run //devices:profiler -- MODEL ...`.

Runs devices/profiler.py exactly as `python devices/profiler.py MODEL ...`
would, from the folder `bazel run` was started in (Bazel itself starts
binaries in their runfiles folder, where a relative MODEL path would not be
found). Standard library only: the profiler never imports edgenas.
"""

import os
import runpy
import sys

# Python put this file's real folder (.ci/bazel in the source tree) first on
# sys.path; the profiler must not import from it.
_HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != _HERE]

# This file lies at <runfiles>/<workspace>/.ci/bazel/ in the runfiles tree.
_PROFILER = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    "devices",
    "profiler.py",
)

if __name__ == "__main__":
    workdir = os.environ.get("BUILD_WORKING_DIRECTORY")
    if workdir:
        os.chdir(workdir)
    sys.argv[0] = _PROFILER
    runpy.run_path(_PROFILER, run_name="__main__")
