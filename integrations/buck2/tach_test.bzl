"""tach_test for Buck2: a pytest suite run by tach as a Buck2 test.

    load("//tach:tach_test.bzl", "tach_test")

    tach_test(
        name = "calc_test",
        srcs = glob(["calc/tests/test_*.py"]),
        resources = glob(["calc/*.py"]) + ["calc/tests/conftest.py"],
        tach_args = ["-v"],
        env = {
            # Only for a tach run from its build tree; an installed one
            # finds its worker and shim by itself.
            "TACH_WORKER": "/path/to/tach/build/src/tach-worker",
            "TACH_SHIM_DIR": "/path/to/tach/python_shim",
        },
    )

Buck2's test runner runs ExternalRunnerTestInfo.command with .env from
the project root; exit code 0 is a pass.  tach's exit codes: 0 all passed,
1 some failed, 2 interrupted, 3 internal/infrastructure error, 4 usage
error, 5 no tests collected.  See docs/integrations/buck2.md.
"""

def _tach_test_impl(ctx: AnalysisContext) -> list[Provider]:
    if ctx.attrs.tach:
        tach = ctx.attrs.tach[RunInfo]
    else:
        tach = ctx.attrs.tach_path

    # The test files as paths from the project root (the runner's working
    # directory, see run_from_project_root below); the resources are inputs
    # the command does not name, declared so that the runner (and remote
    # execution) provides them.
    command = cmd_args(
        tach,
        "--rootdir=.",
        "-p",
        "no:cacheprovider",
        ctx.attrs.tach_args,
        "--",
        ctx.attrs.srcs,
        hidden = ctx.attrs.resources,
    )

    env = {
        # The project root on sys.path: `import calc.ops` works, node ids are
        # project-relative (calc/tests/test_add.py::test_add).
        "PYTHONPATH": ".",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update(ctx.attrs.env)

    return [
        DefaultInfo(default_outputs = ctx.attrs.srcs, other_outputs = ctx.attrs.resources),
        # `buck2 run` runs the suite too.
        RunInfo(args = command),
        ExternalRunnerTestInfo(
            type = "tach",
            command = [command],
            env = env,
            labels = ctx.attrs.labels,
            contacts = ctx.attrs.contacts,
            run_from_project_root = True,
            use_project_relative_paths = True,
        ),
    ]

tach_test = rule(
    impl = _tach_test_impl,
    attrs = {
        "contacts": attrs.list(attrs.string(), default = []),
        "env": attrs.dict(key = attrs.string(), value = attrs.arg(), default = {}),
        "labels": attrs.list(attrs.string(), default = []),
        "resources": attrs.list(attrs.source(), default = []),
        "srcs": attrs.list(attrs.source(), default = []),
        "tach": attrs.option(attrs.dep(providers = [RunInfo]), default = None),
        "tach_args": attrs.list(attrs.string(), default = []),
        "tach_path": attrs.string(default = "tach"),
    },
)
