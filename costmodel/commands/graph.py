"""`costmodel graph SPEC -o FILE`: the network as a Graphviz DAG with its costs."""

from __future__ import annotations


from ..cli import add_values, examples


def add_parser(sub):
    from ..outputs.graph import FORMATS
    from .report import _depth

    p = sub.add_parser("graph", help="the network as a Graphviz graph: layers with shapes, params and MACs",
                       epilog=examples("costmodel graph mobilenet_cifar -o mobilenet.svg",
                                       "costmodel graph imagenet/resnet_bottleneck --depth 1 -o resnet.png",
                                       "costmodel graph imagenet/resnet50 --format dot -o resnet50.dot"))
    p.add_argument("spec", help="network spec (YAML) or a shipped spec's name")
    add_values(p)
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="dot (needs nothing), svg or png (need Graphviz's dot); default: from the -o extension")
    p.add_argument("--depth", type=_depth, default=None, metavar="N",
                   help="draw blocks, repeats and stages below level N as single nodes with their subtotals")
    p.add_argument("-o", "--output", required=True, help="the file to write (.dot, .gv, .svg or .png)")
    return p


def output_format(args) -> str:
    from ..errors import SpecError

    if args.format is not None:
        return args.format
    suffix = args.output.lower().rsplit(".", 1)[-1]
    if suffix in ("dot", "gv"):
        return "dot"
    if suffix in ("svg", "png"):
        return suffix
    raise SpecError(f"{args.output}: expected a .dot, .gv, .svg or .png file (or give --format)", file="-o")


def run(args) -> int:
    from .. import analyze
    from ..errors import SpecError
    from ..outputs import graph

    fmt = output_format(args)
    if fmt != "dot":
        graph.dot_program()  # missing: fail now, before any work
    if args.depth == 0:
        raise SpecError("--depth 0 would draw one node; give 1 or more", file="--depth")
    evaluation = analyze(args.spec, dict(args.values), preset=args.preset)
    text = graph.dot(evaluation, args.depth)
    data = text.encode() if fmt == "dot" else graph.render(text, fmt)
    try:
        with open(args.output, "wb") as f:
            f.write(data)
    except OSError as e:
        raise SpecError(f"cannot write {args.output}: {e.strerror or e}") from None
    return 0
