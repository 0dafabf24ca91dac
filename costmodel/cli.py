"""Command line: a thin argparse front end; each sub-command is a module in `commands/`.

Exit status: 0 success; 2 bad input (spec, option or value), one line on stderr, no traceback;
3 the symbolic analysis disagreed with the reference propagator (a costmodel bug: please report).
Commands may return 1 for "ran fine, but the answer is no" (e.g. a verification that found
differences).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import warnings
from fractions import Fraction

from . import __version__
from .errors import DISTRIBUTION, CheckError, SpecError, SpecWarning

EXIT_BAD_INPUT = 2
EXIT_CHECK_FAILED = 3


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):  # each command's epilog (its examples) keeps its lines
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):  # one line, exit 2, as for every other bad input
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def assignment(text: str) -> tuple[str, str]:
    """`--set NAME=VALUE`."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), value.strip()


def add_values(p, help: str = "symbol value (repeatable); others keep their defaults") -> None:
    """`--set NAME=VALUE` and `--preset NAME`, for every command that takes symbol values."""
    p.add_argument("--set", dest="values", metavar="NAME=VALUE", type=assignment, action="append", default=[],
                   help=help)
    p.add_argument("--preset", metavar="NAME", default=None,
                   help="a named set of symbol values from the spec's presets: (a --set overrides one of them)")


def chosen_values(args, spec) -> dict:
    """The values a command was given for one spec: its --preset's, then each --set."""
    values = {}
    if getattr(args, "preset", None) is not None:
        from .network import preset_values
        values.update(preset_values(spec, args.preset))
    values.update(dict(args.values))
    return values


def fraction(text: str) -> Fraction:
    """An exact number: 0.5, 1/3, 2."""
    from .spec import parse_value
    try:
        return parse_value(text, "value")
    except SpecError as e:
        raise argparse.ArgumentTypeError(e.message) from None


def budget(text: str) -> Fraction:
    """A budget (`--max-macs 6e6`): an exact positive number, 6e6 = 6,000,000, 1/3, 2_000.
    Not `fraction`: budgets are far above the limit on symbol values."""
    try:
        value = Fraction(text.replace("_", ""))
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def output_file(*extensions: str):
    """An argparse type for an output path: the extension is checked before any work is done."""
    def check(text: str) -> str:
        if not text.lower().endswith(extensions):
            raise argparse.ArgumentTypeError(f"{text}: expected a {' or '.join(extensions)} file")
        return text
    return check


def add_format(p, choices: tuple | None = None, default: str = "table", help: str | None = None) -> None:
    """`--format`, the same five choices on every command that prints a table (a command that
    cannot print one of them passes fewer)."""
    from .outputs.tables import FORMATS
    choices = FORMATS if choices is None else choices
    p.add_argument("--format", choices=choices, default=default,
                   help=help or f"output format: {', '.join(choices)} (default %(default)s)")


def add_units(p) -> None:
    """`--units raw|si`: whole numbers (default) or K/M/G counts and KiB/MiB bytes."""
    from .outputs.tables import UNITS
    p.add_argument("--units", choices=UNITS, default="raw",
                   help="raw: whole numbers (default); si: counts in K/M/G (x1000), bytes in KiB/MiB (x1024), "
                        "table, markdown and latex only")


def add_display(p) -> None:
    """`--color` and `--width`, for the table format on a terminal."""
    from .outputs.tables import COLOURS
    p.add_argument("--color", dest="colour", choices=COLOURS, default="auto",
                   help="colour the table: auto (a terminal, and NO_COLOR unset), always, never")
    p.add_argument("--width", type=_width, default=None, metavar="N",
                   help="fit the table in N characters by dropping columns (0: never drop; default: the "
                        "terminal's width when stdout is a terminal, else no limit)")


def _width(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a width 0, 1, 2, ..., got {text!r}")
    return int(text)


def require_plotting(args) -> None:
    """`--plot FILE` without matplotlib: fail before any work, with the install hint."""
    if getattr(args, "plot", None) is None:
        return
    import importlib.util
    try:
        found = importlib.util.find_spec("matplotlib") is not None
    except ValueError:  # sys.modules['matplotlib'] is None: imports of it fail
        found = False
    if not found or sys.modules.get("matplotlib", True) is None:
        from .errors import install_hint
        raise SpecError(f"--plot needs matplotlib: {install_hint('plot')} (or pip install matplotlib)",
                        file="--plot")


def examples(*commands: str) -> str:
    """A command's --help epilog: its example command lines, one per line."""
    return "examples:\n" + "\n".join(f"  {line}" for line in commands)


def commands(only: str | None = None) -> list:
    """The command modules (each imports what its options need); `only`: that one alone, if it is one."""
    from . import commands as package
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_"))
    if only in names:
        names = [only]
    return [importlib.import_module(f"{package.__name__}.{name}") for name in names]


def _command_of(argv) -> str | None:
    """The command an argument list names (its first word that is not an option), or None when a
    top-level option that prints something (--help, --version) comes first: then every command's
    parser is built, as the top-level help lists them all."""
    for word in argv:
        if not word.startswith("-"):
            return word
        if word not in ("--no-cache",):
            return None
    return None


def parser(argv=None) -> argparse.ArgumentParser:
    """The command line's parser; given the arguments, with only the parser of the command they
    name (the other commands' modules are not imported: start-up is part of every command's time)."""
    top = _Parser(prog="costmodel", description="Closed-form cost model of convolutional networks.",
                  epilog=examples("costmodel list", "costmodel report mobilenet_cifar --set alpha=0.5",
                                  "costmodel COMMAND --help"))
    top.add_argument("--version", action="version", version=f"%(prog)s {__version__} ({DISTRIBUTION})")
    top.add_argument("--no-cache", action="store_true",
                     help="do not read or write the cache of closed-form text (also: COSTMODEL_NO_CACHE=1)")
    sub = top.add_subparsers(dest="command", required=True, parser_class=_Parser)
    only = None if argv is None else _command_of(argv)
    modules = commands(only)
    for module in modules:
        module.add_parser(sub).set_defaults(run=module.run)
    if len(modules) == 1 and only not in sub.choices:  # a module that registers another name: all of them
        return parser()
    return top


def _warn(message, category, filename, lineno, file=None, line=None, _default=warnings.showwarning):
    """A SpecWarning as one line on stderr; any other warning as Python shows it."""
    if issubclass(category, SpecWarning):
        sys.stderr.write(f"costmodel: warning: {message}\n")
    else:
        _default(message, category, filename, lineno, file, line)


def main(argv=None) -> int:
    warnings.showwarning = _warn
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser(argv).parse_args(argv)
    if args.no_cache:
        from . import cache
        cache.enabled = False
    assignments = getattr(args, "values", None)  # the --set NAME=VALUE pairs of a command
    names = [name for name, _ in assignments] if isinstance(assignments, list) else []
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:  # the last one would silently win
        sys.stderr.write(f"costmodel: --set {repeated[0]} is given more than once\n")
        return EXIT_BAD_INPUT
    try:
        require_plotting(args)
        return args.run(args)
    except SpecError as e:  # one line per error (a spec may have several independent ones)
        sys.stderr.write("".join(f"costmodel: {line}\n" for line in e.lines()))
        return EXIT_BAD_INPUT
    except CheckError as e:
        sys.stderr.write(f"costmodel: internal check failed (symbolic != reference), please report: {e}\n")
        return EXIT_CHECK_FAILED
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
