"""Finds SQL built from strings: .raw(), .extra(), RawSQL(), cursor.execute()/executemany()
calls whose SQL is an f-string with values in it, %-formatted, concatenated or .format()-ed
with non-constant values — directly or through a variable assigned so in the same function.

Used by test_owasp.py; runnable on its own (`python tests/security/sqlscan.py`) to list the
findings with their keys for the allow-list.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

SQL_METHODS = {"execute", "executemany", "raw", "extra"}
SQL_FUNCTIONS = {"RawSQL"}


@dataclass(frozen=True)
class Finding:
    path: str  # relative to the repository
    function: str  # enclosing function's qualified name ("<module>" at top level)
    line: int
    call: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.path, self.function)


def _is_constant(node) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(isinstance(v, ast.Constant) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _is_constant(node.left) and _is_constant(node.right)
    return False


def _dynamic(node) -> bool:
    """An SQL expression built from strings with something other than constants in it."""
    if isinstance(node, ast.List | ast.Tuple):
        return any(_dynamic(element) for element in node.elts)
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return not _is_constant(node)
    return bool(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"format", "join"}
    )


def _sql_argument(call: ast.Call):
    if call.args:
        return call.args[0]
    for kw in call.keywords:
        if kw.arg in {"sql", "query", "raw_query", "where", "select"}:
            return kw.value
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str):
        self.path = path
        self.stack: list[ast.AST] = []
        self.names: list[str] = []
        self.findings: list[Finding] = []

    def _scope(self, node):
        self.stack.append(node)
        self.names.append(node.name)
        self.generic_visit(node)
        self.names.pop()
        self.stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scope

    def _assigned(self, name: str) -> list[ast.AST]:
        scope = self.stack[-1] if self.stack else None
        if scope is None:
            return []
        values = []
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name) and target.id == name:
                        values.append(node.value)
            elif (
                isinstance(node, ast.AugAssign | ast.AnnAssign)
                and isinstance(node.target, ast.Name)
                and node.target.id == name
                and node.value
            ):
                values.append(node.value if isinstance(node, ast.AnnAssign) else node)
        return values

    def visit_Call(self, node: ast.Call):
        func = node.func
        name = (
            func.attr
            if isinstance(func, ast.Attribute)
            else func.id
            if isinstance(func, ast.Name)
            else ""
        )
        if (isinstance(func, ast.Attribute) and name in SQL_METHODS) or name in SQL_FUNCTIONS:
            arg = _sql_argument(node)
            dynamic = False
            if arg is not None:
                if _dynamic(arg):
                    dynamic = True
                elif isinstance(arg, ast.Name):
                    for value in self._assigned(arg.id):
                        if isinstance(value, ast.AugAssign) or _dynamic(value):
                            dynamic = True
            if dynamic:
                self.findings.append(
                    Finding(self.path, ".".join(self.names) or "<module>", node.lineno, name)
                )
        self.generic_visit(node)


def scan(root: Path, packages=("servicefirst", "config")) -> list[Finding]:
    findings: list[Finding] = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if "/migrations/" in rel or "/tests/" in rel:
                continue
            scanner = _Scanner(rel)
            scanner.visit(ast.parse(path.read_text(encoding="utf-8"), filename=rel))
            findings.extend(scanner.findings)
    return findings


if __name__ == "__main__":  # pragma: no cover - a listing for the allow-list
    for f in scan(Path(__file__).resolve().parents[2]):
        print(f"{f.path}:{f.line}  {f.function}  .{f.call}()")
