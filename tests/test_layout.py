"""Checks that fail when the layout rots: the architecture doc, module size and names, the fixes
that errors suggest, and how the CLI is composed. They read the source; nothing is run."""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("qa", "vectorstore")
DOC = ROOT / "docs" / "architecture.md"
MAX_LINES = 400

# --------------------------------------------------------------------------- the module tree


def module_files() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")
                  if "__pycache__" not in p.parts)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=rel(path))


def is_empty_init(path: Path) -> bool:
    """An `__init__.py` holding nothing but (at most) a docstring."""
    if path.name != "__init__.py":
        return False
    body = parse(path).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return not body


def test_the_tree_is_found() -> None:
    names = {rel(p) for p in module_files()}
    assert {"qa/cli/__init__.py", "qa/settings.py", "vectorstore/index.py"} <= names


# --------------------------------------------------------------------------- a. the doc

DOC_PATH = re.compile(r"(?<![\w./-])((?:qa|vectorstore)/[\w/]*\.py)\b")


def doc_paths() -> set[str]:
    return set(DOC_PATH.findall(DOC.read_text(encoding="utf-8")))


def test_every_module_is_named_in_the_architecture_doc() -> None:
    named = doc_paths()
    missing = [rel(p) for p in module_files() if not is_empty_init(p) and rel(p) not in named]
    assert not missing, f"{rel(DOC)} does not name these modules:\n" + "\n".join(missing)


def test_every_module_the_doc_names_exists() -> None:
    gone = sorted(p for p in doc_paths() if not (ROOT / p).is_file())
    assert not gone, f"{rel(DOC)} names modules that do not exist:\n" + "\n".join(gone)


# --------------------------------------------------------------------------- b. size


def test_no_module_is_over_the_line_limit() -> None:
    long = []
    for path in module_files():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            long.append(f"{rel(path)}: {lines} lines")
    assert not long, f"modules over {MAX_LINES} lines (split them):\n" + "\n".join(long)


# --------------------------------------------------------------------------- c. names


def test_no_module_or_package_shadows_the_standard_library() -> None:
    shadows = []
    for path in module_files():
        parts = path.relative_to(ROOT).with_suffix("").parts
        for i, name in enumerate(parts):
            if name != "__init__" and name in sys.stdlib_module_names:
                where = "/".join(parts[: i + 1]) + ("" if i + 1 < len(parts) else ".py")
                shadows.append(f"{where}: shadows the standard library's `{name}`")
    shadows = sorted(set(shadows))
    assert not shadows, "rename these:\n" + "\n".join(shadows)


# --------------------------------------------------------------------------- d. fix texts

# Keywords whose strings are shown to the user as what to do next. url_setting/model_setting are
# the setting names that qa/api_errors.py interpolates into its fixes.
FIX_KEYWORDS = frozenset({"fix", "too_long_fix", "url_setting", "model_setting"})
# Calls whose second positional argument is a fix: status_error(message, fix).
FIX_POSITIONAL = {"status_error": 1}
HOLE = "{…}"  # stands for an interpolated value

# Flags after these names (up to the next , ; ( ) or backtick) belong to that program.
FOREIGN = re.compile(r"(?<![\w.-])(?:pip|llama\.cpp|chroma run|chmod|qpdf|ocrmypdf)(?![\w-])")
CLAUSE = re.compile(r"[,;()`]")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*(?![\w{-])")
ENV_NAME = re.compile(r"(?<![A-Za-z0-9_])QA_[A-Z_]+(?![A-Za-z0-9_{])")
BACKTICKED = re.compile(r"`([^`]*)`")


@dataclass(frozen=True)
class FixText:
    where: str  # file:line
    text: str


def string_value(node: ast.expr, constants: dict[str, tuple[str, int]]) -> str | None:
    """The text of a string expression, interpolations as HOLE; None when it is not a string."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else HOLE for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = string_value(node.left, constants), string_value(node.right, constants)
        if left is None and right is None:
            return None
        return (left if left is not None else HOLE) + (right if right is not None else HOLE)
    if isinstance(node, ast.Name) and node.id in constants:
        return constants[node.id][0]
    return None


def collect_fix_texts(source: str, name: str) -> list[FixText]:
    """Every fix text in one module: `fix=`-style keywords, `status_error(msg, fix)`, class
    defaults such as `too_long_fix: str = "..."`, and module constants passed as a fix."""
    tree = ast.parse(source, filename=name)
    constants: dict[str, tuple[str, int]] = {}
    for stmt in tree.body:
        target = value = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        if isinstance(target, ast.Name) and value is not None:
            text = string_value(value, {})
            if text is not None:
                constants[target.id] = (text, stmt.lineno)

    found: list[FixText] = []

    def add(node: ast.expr) -> None:
        text = string_value(node, constants)
        if text is None:
            return
        line = constants[node.id][1] if isinstance(node, ast.Name) else node.lineno
        found.append(FixText(f"{name}:{line}", text))

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg in FIX_KEYWORDS:
                    add(kw.value)
            func = node.func
            callee = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            position = FIX_POSITIONAL.get(callee or "")
            if position is not None and len(node.args) > position:
                add(node.args[position])
        elif (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
              and node.target.id in FIX_KEYWORDS and node.value is not None):
            add(node.value)
    return found


@dataclass
class Command:
    path: str  # "qa docs list"
    options: dict[str, bool] = field(default_factory=dict)  # option -> takes a value
    subcommands: dict[str, Command] = field(default_factory=dict)


@dataclass
class Cli:
    root: Command
    all_options: set[str]
    env_names: set[str]


HELP = {"--help": False, "-h": False}


@cache
def real_cli() -> Cli:
    """The command tree as click sees it, and the `QA_*` names settings read."""
    import typer.main

    import qa.cli
    from qa.settings import ENV_PREFIX, Settings

    def build(cmd: Any, path: str) -> Command:
        node = Command(path, dict(HELP))
        for param in cmd.params:
            if param.param_type_name == "option":
                takes_value = not (param.is_flag or param.count)
                for opt in (*param.opts, *param.secondary_opts):
                    node.options[opt] = takes_value
        for name, sub in (getattr(cmd, "commands", None) or {}).items():
            node.subcommands[name] = build(sub, f"{path} {name}")
        return node

    root = build(typer.main.get_command(qa.cli.app), "qa")
    everything: set[str] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        everything |= set(node.options)
        stack.extend(node.subcommands.values())
    env = {ENV_PREFIX + name.upper() for name in Settings.model_fields} | {ENV_PREFIX + "CONFIG"}
    return Cli(root, everything, env)


def command_problems(line: str, cli: Cli) -> list[str]:
    """What is wrong with one backticked `qa ...` command line."""
    tokens = line.split()
    node, problems, i = cli.root, [], 1
    while i < len(tokens):
        token = tokens[i]
        if HOLE in token:
            break  # an interpolated value: nothing more to check
        if token.startswith("-"):
            flag = token.split("=", 1)[0]
            allowed = {**cli.root.options, **node.options}  # global options go anywhere
            if flag not in allowed:
                problems.append(f"`{line}`: `{node.path}` has no option {flag}")
            elif allowed[flag] and "=" not in token:
                i += 1  # skip the option's value
        elif node.subcommands:
            if token not in node.subcommands:
                problems.append(f"`{line}`: no command `{node.path} {token}`")
                break
            node = node.subcommands[token]
        i += 1
    return problems


def fix_problems(text: str, cli: Cli) -> list[str]:
    """Flags, `qa ...` commands and `QA_*` names in one fix text that do not exist."""
    problems: list[str] = []
    free = text
    for match in BACKTICKED.finditer(text):
        span = match.group(1).strip()
        if span.split()[:1] == ["qa"]:
            problems += command_problems(span, cli)
            free = free.replace(match.group(0), "``", 1)
    for clause in CLAUSE.split(free):
        foreign = FOREIGN.search(clause)
        mine = clause[: foreign.start()] if foreign else clause
        for flag in FLAG.findall(mine):
            if flag not in cli.all_options:
                problems.append(f"no qa command has {flag}")
    for name in ENV_NAME.findall(text):
        if name not in cli.env_names:
            problems.append(f"{name} is not a setting")
    return problems


def all_fix_texts() -> list[FixText]:
    return [fix for path in module_files()
            for fix in collect_fix_texts(path.read_text(encoding="utf-8"), rel(path))]


def test_fix_texts_name_flags_commands_and_settings_that_exist() -> None:
    cli = real_cli()
    fixes = all_fix_texts()
    assert len(fixes) >= 40, f"only {len(fixes)} fix texts found: is the collector broken?"
    assert any("`qa ingest --reindex`" in f.text for f in fixes)
    offenders = [f"{fix.where}: {problem} in {fix.text!r}"
                 for fix in fixes for problem in fix_problems(fix.text, cli)]
    assert not offenders, "fixes that name things that do not exist:\n" + "\n".join(offenders)


@pytest.mark.parametrize("text", [
    "rebuild it with `qa ingest --reindexx`",
    "re-ingest into a new --reindexx",
    "set QA_NOPE, or retry",
    "see `qa docs lisst`",
    "see `qa stats --limit 3`",  # --limit exists, but not on `qa stats`
    "pip install x, then run with --reindexx",  # the clause after pip is ours again
    "make it readable (chmod +r) or exclude it with --excludee",
])
def test_the_fix_checker_catches_made_up_names(text: str) -> None:
    assert fix_problems(text, real_cli()), f"no problem found in {text!r}"


@pytest.mark.parametrize("text", [
    "rebuild it with `qa ingest --reindex`, or lower QA_K",
    "see `qa docs list --limit 5` or `qa --store DIR docs show ID --text`",
    "fix QA_CONFIG or create it",
    "pip install --force-reinstall 'qa-desk[local]'",
    "serve a pooled model (e.g. llama.cpp with --pooling mean) or use a new --store",
    f"set QA_EMBEDDER={HOLE}, or use a new --store or QA_COLLECTION",
])
def test_the_fix_checker_accepts_real_names(text: str) -> None:
    assert fix_problems(text, real_cli()) == []


def test_the_collector_reads_every_form_of_fix() -> None:
    source = '''
HINT = "pip install x"

class Endpoint:
    too_long_fix: str = "send less"

def f(n):
    raise E("a", fix="one " "two")
    raise E("b", fix=f"use {n} or QA_K")
    raise E("c", fix=HINT)
    raise E("d", fix="x" + str(n))
    status_error("msg", "wait and retry")
    Endpoint(too_long_fix="lower QA_K", url_setting="QA_BASE_URL")
    raise E("e", fix=n.fix)
'''
    found = {(f.where, f.text) for f in collect_fix_texts(source, "m.py")}
    assert found == {
        ("m.py:5", "send less"),
        ("m.py:8", "one two"),
        ("m.py:9", f"use {HOLE} or QA_K"),
        ("m.py:2", "pip install x"),
        ("m.py:11", f"x{HOLE}"),
        ("m.py:12", "wait and retry"),
        ("m.py:13", "lower QA_K"),
        ("m.py:13", "QA_BASE_URL"),
    }


# --------------------------------------------------------------------------- e. CLI wiring

CLI_DIR = ROOT / "qa" / "cli"
SHARED = {"__init__", "common"}


def command_modules() -> list[Path]:
    return sorted(p for p in CLI_DIR.glob("*.py") if p.stem not in SHARED)


def test_the_cli_is_composed_explicitly_in_its_init() -> None:
    tree = parse(CLI_DIR / "__init__.py")
    imported = {alias.asname or alias.name for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module == "qa.cli"
                for alias in node.names}
    added = {(arg.value.id, arg.attr) for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
             and node.func.attr == "add_typer" and node.args
             and isinstance(arg := node.args[0], ast.Attribute)
             and isinstance(arg.value, ast.Name)}
    problems = []
    for path in command_modules():
        if path.stem not in imported:
            problems.append(f"qa/cli/__init__.py does not import {path.stem}")
        typers = [t.id for node in parse(path).body if isinstance(node, ast.Assign)
                  and isinstance(call := node.value, ast.Call)
                  and ast.unparse(call.func) == "typer.Typer"
                  for t in node.targets if isinstance(t, ast.Name)]
        if not typers:
            problems.append(f"{rel(path)} defines no typer.Typer()")
        for name in typers:
            if (path.stem, name) not in added:
                problems.append(f"qa/cli/__init__.py never calls add_typer({path.stem}.{name})")
    assert not problems, "\n".join(problems)


def test_no_command_module_registers_itself_on_the_app() -> None:
    offenders = []
    for path in sorted(CLI_DIR.glob("*.py")):
        if path.stem == "__init__":
            continue
        for node in ast.walk(parse(path)):
            names: set[str] = set()
            if isinstance(node, ast.ImportFrom):
                package = node.module == "qa.cli" or (node.level == 1 and node.module is None)
                if package:
                    names = {a.name for a in node.names} & {"app", "*"}
                elif node.module == "qa" and any(a.name == "cli" for a in node.names):
                    names = {"qa.cli"}
            elif isinstance(node, ast.Import):
                names = {a.name for a in node.names if a.name == "qa.cli"}
            if names:
                offenders.append(f"{rel(path)}:{node.lineno}: imports {', '.join(sorted(names))}")
    assert not offenders, "command modules must not reach the app:\n" + "\n".join(offenders)


def test_qa_help_lists_every_command() -> None:
    from typer.testing import CliRunner

    import qa.cli

    result = CliRunner().invoke(qa.cli.app, ["--help"])
    assert result.exit_code == 0, result.output
    missing = [name for name in real_cli().root.subcommands if name not in result.output]
    assert not missing, f"`qa --help` does not list {missing}"
