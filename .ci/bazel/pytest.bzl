"""py_test targets that run pytest, one per folder of test files.

Used by tests/BUILD.bazel. Each target runs //.ci/bazel:pytest_main.py with
its test files as arguments, from the workspace's runfiles directory (so
pyproject.toml, pytest's config, applies).
"""

def _folder(path):
    return path.rpartition("/")[0] or "."

def _target_name(folder):
    # A suffix, so that no target is named like a folder of the package: the
    # executable `tests/devices` would clash with the runfiles folder
    # `tests/devices/`.
    return "root_test" if folder == "." else folder.replace("/", "_") + "_test"

def _under(folder, prefixes):
    for prefix in prefixes:
        if folder == prefix or folder.startswith(prefix + "/"):
            return True
    return False

def pytest_test(name, files, support = [], data = [], deps = [], size = "medium", **kwargs):
    """One py_test running pytest on `files`.

    Args:
      name: target name.
      files: test files (labels relative to the calling package).
      support: other Python files the tests need (conftest.py, helpers).
      data: other files the tests need; //:pyproject.toml is always added.
      deps: py_library targets under test.
      size: the Bazel test size.
      **kwargs: passed on to py_test (tags, timeout, env, ...).
    """
    if not files:
        fail("pytest_test(%s): no test files" % name)
    native.py_test(
        name = name,
        size = size,
        srcs = ["//.ci/bazel:pytest_main.py"] + files + [s for s in support if s not in files],
        main = "//.ci/bazel:pytest_main.py",
        args = ["$(rootpath %s)" % f for f in files],
        data = ["//:pyproject.toml"] + data,
        legacy_create_init = False,
        python_version = "PY3",
        srcs_version = "PY3",
        deps = deps,
        **kwargs
    )

def pytest_folders(test_files, smoke_folders, large_folders = [], unsandboxed_folders = [], support = [], data = [], deps = []):
    """A pytest target per folder of `test_files`, plus `:smoke`.

    A folder `a/b` (relative to the calling package) gets the target
    `a_b_test`; files directly in the package get `root_test`. Only the files directly in a
    folder belong to its target. `:smoke` runs the files of `smoke_folders`
    and their sub-folders; it fails the build if there are none.

    Args:
      test_files: the test files (from a glob).
      smoke_folders: folders whose tests are fast (no model builds).
      large_folders: folders (and sub-folders) whose targets get size "large".
      unsandboxed_folders: folders (and sub-folders) whose targets run outside
        Bazel's sandbox (tag "no-sandbox"), e.g. because they start a real sshd,
        which cannot drop privileges in the sandbox's user namespace.
      support: Python files every test may need (conftest.py, helpers).
      data: non-Python files every test may need.
      deps: py_library targets under test.
    """
    by_folder = {}
    for path in test_files:
        by_folder.setdefault(_folder(path), []).append(path)
    for folder in sorted(by_folder):
        pytest_test(
            name = _target_name(folder),
            files = by_folder[folder],
            support = support,
            data = data,
            deps = deps,
            size = "large" if _under(folder, large_folders) else "medium",
            tags = ["no-sandbox"] if _under(folder, unsandboxed_folders) else [],
        )

    smoke = [f for f in test_files if _under(_folder(f), smoke_folders)]
    if not smoke:
        fail("pytest_folders: no test files under %s" % smoke_folders)
    pytest_test(
        name = "smoke",
        files = smoke,
        support = support,
        data = data,
        deps = deps,
        size = "medium",
    )
