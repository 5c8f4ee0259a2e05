"""Runs pytest under `bazel test` (the `main` of every py_test in tests/).

Arguments are the test files of the target (runfiles-relative paths). Runs
from the workspace's runfiles directory, so pyproject.toml (pytest's config)
is found; writes no bytecode or cache into the runfiles tree; keeps temporary
files and HOME (unset by Bazel) inside the test's TEST_TMPDIR; writes the
JUnit XML Bazel asks for.

Like `make test`, it skips the tests marked `long` (the long forms, which
`make test-all` runs, and `.ci/run` runs that first): one Bazel folder target
holding several long forms ran past Bazel's 900 s "large" timeout on the
shared 2-core machine. `bazel test --test_arg=-m --test_arg=long ...` runs
only them (pytest's last `-m` wins).
"""

import os
import sys

sys.dont_write_bytecode = True  # before pytest rewrites and caches assertions

# Python put this file's real folder (.ci/bazel in the source tree) first on
# sys.path; tests must not import from it.
_HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != _HERE]


def main() -> int:
    import pytest

    args = ["-p", "no:cacheprovider", "-m", "not long"]
    xml = os.environ.get("XML_OUTPUT_FILE")
    if xml:
        args.append(f"--junitxml={xml}")
    tmp = os.environ.get("TEST_TMPDIR")
    if tmp:
        args.append(f"--basetemp={os.path.join(tmp, 'pytest')}")
        os.environ["TMPDIR"] = tmp
        if not os.environ.get("HOME"):
            # Bazel 4 runs tests without HOME, in a read-only file system:
            # give libraries that write under ~ (Keras, onnxruntime's
            # ~/.cache) a writable, throw-away home.
            home = os.path.join(tmp, "home")
            os.makedirs(home, exist_ok=True)
            os.environ["HOME"] = home
    return pytest.main(args + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
