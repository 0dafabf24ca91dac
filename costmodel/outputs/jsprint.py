"""Closed forms (sympy) -> JavaScript with the Python side's exact semantics.

Numbers on the page are exact rationals over BigInt (`RUNTIME`, the object `R`): a value is
`[numerator, denominator]`, denominator > 0, in lowest terms; floor and ceil are exact, and so is
every channel rounding. Each sympy function a closed form may hold is one entry of `FUNCTIONS`:
the sympy class, the name of its JavaScript twin in `R`, and that twin's source. A node the printer
does not know is refused when the page is written (`Unprintable`), never guessed at.

    table = Table(symbols=["alpha", "delta"])
    i = table.add(closed_form)          # index of a compiled function (v) => rational
    table.javascript()                  # "const F = [ (v) => ..., ... ];"
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from ..symbolic import MakeDivisible, RoundCeil, RoundDivisible, RoundFloor, RoundNearest


class Unprintable(ValueError):
    """A closed form holds a sympy node the JavaScript printer has no rule for."""


@dataclass(frozen=True)
class Function:
    name: str  # the function's name in R
    source: str  # its definition, a JavaScript method of R over rationals


# The sympy functions of closed forms and their JavaScript twins (exact; see symbolic.py for the rules).
FUNCTIONS = {
    sympy.floor: Function("floor", "floor(x) { return R.int(R.fdiv(x[0], x[1])); }"),
    sympy.ceiling: Function("ceil", "ceil(x) { return R.int(-R.fdiv(-x[0], x[1])); }"),
    sympy.Min: Function("min", "min(...xs) { return xs.reduce((a, b) => (R.cmp(a, b) <= 0 ? a : b)); }"),
    sympy.Max: Function("max", "max(...xs) { return xs.reduce((a, b) => (R.cmp(a, b) >= 0 ? a : b)); }"),
    # channel rounding (symbolic.py): Keras floor, ceil, nearest with halves up, torchvision's divisible
    RoundFloor: Function("floor", ""),
    RoundCeil: Function("ceil", ""),
    RoundNearest: Function("nearest", "nearest(x) { return R.floor(R.add(x, R.of(1n, 2n))); }"),
    RoundDivisible: Function("divisible", """divisible(x, d) {
    const step = d[0];
    let c = R.fdiv(R.floor(R.add(x, R.of(step, 2n)))[0], step) * step;  // nearest multiple, halves up
    if (c < step) c = step;  // at least the divisor
    if (R.cmp(R.int(c), R.mul(R.of(9n, 10n), x)) < 0) c += step;  // never more than 10 % below x
    return R.int(c);
  }"""),
    # make_divisible(v, divisor, min_value) (expr.make_divisible): the same rule with its own minimum
    MakeDivisible: Function("make_divisible", """make_divisible(x, d, m) {
    const step = d[0];
    let c = R.fdiv(R.floor(R.add(x, R.of(step, 2n)))[0], step) * step;  // nearest multiple, halves up
    if (c < m[0]) c = m[0];  // at least min_value
    if (R.cmp(R.int(c), R.mul(R.of(9n, 10n), x)) < 0) c += step;  // never more than 10 % below x
    return R.int(c);
  }"""),
}

RUNTIME_CORE = """
const R = {
  gcd(a, b) { if (a < 0n) a = -a; if (b < 0n) b = -b; while (b) { [a, b] = [b, a % b]; } return a; },
  of(n, d) {
    if (d === 0n) throw new Error("division by zero");
    if (d < 0n) { n = -n; d = -d; }
    const g = R.gcd(n, d) || 1n;
    return [n / g, d / g];
  },
  int(n) { return [n, 1n]; },
  fdiv(a, b) { const q = a / b; return (a % b !== 0n && ((a < 0n) !== (b < 0n))) ? q - 1n : q; },
  add(...xs) { return xs.reduce((a, b) => R.of(a[0] * b[1] + b[0] * a[1], a[1] * b[1])); },
  mul(...xs) { return xs.reduce((a, b) => R.of(a[0] * b[0], a[1] * b[1])); },
  pow(x, k) {
    if (k < 0n) { if (x[0] === 0n) throw new Error("division by zero"); x = R.of(x[1], x[0]); k = -k; }
    return R.of(x[0] ** k, x[1] ** k);
  },
  cmp(a, b) { const d = a[0] * b[1] - b[0] * a[1]; return d < 0n ? -1 : d > 0n ? 1 : 0; },
  isInt(x) { return x[1] === 1n; },
  text(x) { return x[1] === 1n ? String(x[0]) : `${x[0]}/${x[1]}`; },  // as Python's Fraction prints
  parse(text) {  // "2", "0.5", "1/3", "2e3": an exact rational, or null
    const t = String(text).trim().replace(/_/g, "");
    let m = t.match(/^([+-]?\\d+)\\s*\\/\\s*(\\d+)$/);
    if (m) return BigInt(m[2]) === 0n ? null : R.of(BigInt(m[1]), BigInt(m[2]));
    m = t.match(/^([+-]?)(\\d*)(?:\\.(\\d*))?(?:[eE]([+-]?\\d+))?$/);
    if (!m || (m[2] + (m[3] || "")) === "") return null;
    const digits = BigInt((m[1] === "-" ? "-" : "") + (m[2] || "0") + (m[3] || ""));
    const exp = BigInt(m[4] || "0") - BigInt((m[3] || "").length);
    return exp >= 0n ? R.of(digits * 10n ** exp, 1n) : R.of(digits, 10n ** -exp);
  },
"""


def runtime() -> str:
    """The JavaScript of `R`: the core arithmetic and one method per entry of FUNCTIONS."""
    methods = {f.name: f.source for f in FUNCTIONS.values() if f.source}
    return RUNTIME_CORE + "".join(f"  {source},\n" for source in methods.values()) + "};\n"


def javascript(expr: sympy.Basic, symbols: dict[str, str]) -> str:
    """One closed form as a JavaScript expression over `v` (symbol name -> rational).
    `symbols` maps each sympy symbol name to its JavaScript accessor."""
    if isinstance(expr, sympy.Symbol):
        if expr.name not in symbols:
            raise Unprintable(f"symbol {expr.name!r} is not one of the spec's symbols")
        return symbols[expr.name]
    if isinstance(expr, sympy.Integer):
        return f"R.int({int(expr)}n)"
    if isinstance(expr, sympy.Rational):
        return f"R.of({int(expr.p)}n, {int(expr.q)}n)"
    if isinstance(expr, sympy.Add):
        return f"R.add({', '.join(javascript(a, symbols) for a in expr.args)})"
    if isinstance(expr, sympy.Mul):
        return f"R.mul({', '.join(javascript(a, symbols) for a in expr.args)})"
    if isinstance(expr, sympy.Pow):
        base, exponent = expr.args
        if not isinstance(exponent, sympy.Integer):
            raise Unprintable(f"power with a non-integer exponent: {expr}")
        return f"R.pow({javascript(base, symbols)}, {int(exponent)}n)"
    function = FUNCTIONS.get(type(expr)) or next((f for cls, f in FUNCTIONS.items()
                                                  if isinstance(cls, type) and isinstance(expr, cls)), None)
    if function is None:
        raise Unprintable(f"the JavaScript printer has no rule for the sympy node {type(expr).__name__} (in {expr}); "
                          f"add one entry to FUNCTIONS in costmodel/outputs/jsprint.py")
    return f"R.{function.name}({', '.join(javascript(a, symbols) for a in expr.args)})"


class Table:
    """Compiled closed forms, each once: `add(expr)` returns its index in the JavaScript array `F`."""

    def __init__(self, symbols):
        self.accessors = {name: f"v[{_quoted(name)}]" for name in symbols}
        self.index: dict = {}
        self.bodies: list[str] = []

    def add(self, expr) -> int:
        expr = sympy.Integer(expr) if isinstance(expr, int) else expr
        if expr not in self.index:
            self.index[expr] = len(self.bodies)
            self.bodies.append(javascript(expr, self.accessors))
        return self.index[expr]

    def javascript(self) -> str:
        return "const F = [\n" + "".join(f"  (v) => {body},\n" for body in self.bodies) + "];\n"


def _quoted(text: str) -> str:
    import json
    return json.dumps(text)
