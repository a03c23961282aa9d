"""Line coverage, the Python half: what is measured, and what counts as a
statement.

The worker records lines in C (``src/coverage/line_tracer.cpp``); this
module tells it which directories to measure and, when the host writes a
report, computes each file's executable statements, the denominator of the
report.  Statements follow coverage.py's definition as closely as is
reasonable (docs/coverage.md lists the differences known):

* the lines of every code object's line table (``co_lines()``), nested
  functions and classes included;
* a statement spanning several physical lines (brackets, backslashes,
  triple-quoted strings) counts once, at its first line, and a line event
  anywhere inside it counts for that first line;
* docstrings are not statements;
* a line marked ``# pragma: no cover`` is not, nor is the whole suite of a
  compound statement (or decorated definition) so marked.
"""

import io
import os
import re
import site
import sys
import sysconfig
import token
import tokenize
import types

_PRAGMA = re.compile(r"#\s*(pragma|PRAGMA)[:\s]?\s*(no|NO)\s*(cover|COVER)")
_IMPORTABLE = re.compile(r"^[^.#~!$@%^&*()+=,]+\.pyw?$")


def _real(path):
    return os.path.realpath(os.path.abspath(path))


def _module_dir(name):
    module = sys.modules.get(name)
    path = getattr(module, "__file__", None)
    if not path:
        return None
    path = _real(path)
    # A package's directory; a single-module distribution's own file.
    return os.path.dirname(path) if os.path.basename(path) == "__init__.py" else path


def excluded_dirs():
    """The standard library and every site-packages directory: not measured
    unless a coverage source lies inside one of them."""
    dirs = set()
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(name)
        if path:
            dirs.add(_real(path))
    try:
        dirs.update(_real(p) for p in site.getsitepackages())
    except Exception:
        pass
    try:
        dirs.add(_real(site.getusersitepackages()))
    except Exception:
        pass
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix}:
        dirs.add(_real(os.path.join(prefix, "lib", "python%d.%d" % sys.version_info[:2])))
    return sorted(dirs)


def never_dirs():
    """Never measured, wherever they are: tach's shim, pytest, pluggy."""
    dirs = {os.path.dirname(_real(__file__))}
    for name in ("pytest", "_pytest", "pluggy", "py"):
        path = _module_dir(name)
        if path:
            dirs.add(path)
    return sorted(dirs)


def start(bridge):
    """Install the worker's tracer before pytest imports the project."""
    sources = [_real(s) for s in bridge.COVERAGE_SOURCES] or [_real(os.getcwd())]
    bridge.coverage_start(sources, excluded_dirs(), never_dirs())


# ------------------------------------------------------------- statements

def _code_lines(code):
    lines = set()
    stack = [code]
    while stack:
        current = stack.pop()
        for const in current.co_consts:
            if isinstance(const, types.CodeType):
                stack.append(const)
        for _start, _end, line in current.co_lines():
            if line:
                lines.add(line)
    return lines


def _scan(source):
    """One pass over the tokens: multi-line statements (first -> last),
    docstring lines, and lines excluded by the pragma."""
    spans = {}
    docstrings = set()
    pragma_lines = {i for i, text in enumerate(source.splitlines(), 1) if _PRAGMA.search(text)}
    excluded = set(pragma_lines)

    first = None             # first line of the logical line being read
    prev = token.INDENT      # a string right after an INDENT is a docstring
    depth = 0                # bracket nesting
    indent = 0
    suite_indent = None      # excluding a suite deeper than this
    decorator_excluded = False
    line_start = True        # next significant token begins a logical line
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        kind, text, (srow, _), (erow, _), _line = tok
        if kind == token.INDENT:
            indent += 1
        elif kind == token.DEDENT:
            indent -= 1
        elif kind == token.OP:
            if text in "([{":
                depth += 1
            elif text in ")]}":
                depth -= 1
            elif text == ":" and depth == 0 and suite_indent is None:
                if erow in pragma_lines or decorator_excluded:
                    # `if x:  # pragma: no cover` excludes the whole suite
                    excluded.add(erow)
                    suite_indent = indent
                    decorator_excluded = False
            elif text == "@" and line_start:
                if srow in pragma_lines:
                    decorator_excluded = True
                if decorator_excluded:
                    excluded.add(srow)
        elif kind == token.STRING and prev == token.INDENT:
            docstrings.update(range(srow, erow + 1))
        elif kind == token.NEWLINE:
            if first is not None and erow != first:
                spans[first] = erow
            first = None
            line_start = True
        if kind not in (token.COMMENT, token.NL, token.NEWLINE, token.INDENT, token.DEDENT,
                        token.ENDMARKER) and text.strip():
            if first is None:
                first = srow
                if suite_indent is not None and indent <= suite_indent:
                    suite_indent = None
                if suite_indent is not None:
                    excluded.add(srow)
            line_start = False
        prev = kind
    return spans, docstrings, excluded


def analyse(path):
    """(statements, multiline pairs) of one file; ([], []) if it is not
    Python that this interpreter can compile."""
    try:
        with tokenize.open(path) as f:
            source = f.read()
        code = compile(source, path, "exec", dont_inherit=True)
        spans, docstrings, excluded = _scan(source)
    except (OSError, SyntaxError, ValueError, UnicodeDecodeError, tokenize.TokenError):
        return [], []
    first_of = {}
    for first, last in spans.items():
        for line in range(first, last + 1):
            first_of[line] = first
    raw = _code_lines(code)
    excluded_first = {first_of.get(l, l) for l in excluded}
    ignore = excluded_first | docstrings
    starts = raw - ignore
    statements = {first_of.get(l, l) for l in starts} - ignore
    multiline = []
    for first in sorted(spans):
        multiline += [first, spans[first]]
    return sorted(statements), multiline


def _importable_files(root):
    """Python files under `root` that could be imported: in `root` itself
    or in a package (a directory with __init__.py) below it."""
    for dirpath, dirnames, filenames in os.walk(root):
        if dirpath != root and "__init__.py" not in filenames:
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
        for name in sorted(filenames):
            if _IMPORTABLE.match(name):
                yield os.path.join(dirpath, name)


def statements(bridge, paths, include_unimported):
    """[(path, statements, multiline)] for `paths` and, when asked, every
    importable measured file under the coverage sources."""
    wanted = list(paths)
    if include_unimported:
        seen = set(wanted)
        sources = [_real(s) for s in bridge.COVERAGE_SOURCES] or [_real(os.getcwd())]
        for source in sources:
            if not os.path.isdir(source):
                continue
            for path in _importable_files(source):
                path = _real(path)
                if path not in seen and bridge.coverage_measured(path):
                    seen.add(path)
                    wanted.append(path)
    out = []
    for path in wanted:
        lines, multiline = analyse(path)
        out.append((path, lines, multiline))
    return out
