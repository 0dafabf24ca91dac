"""`costmodel explore SPEC -o page.html`: one self-contained page with a slider per symbol.

(The module is not `explore.py`: that name is the design-space analyses' module, costmodel/analyses/explore.py.)
"""

from __future__ import annotations

from ..cli import examples, output_file


def add_parser(sub):
    p = sub.add_parser("explore", help="one self-contained HTML page: a slider per symbol, totals computed in the browser",
                       epilog=examples("costmodel explore mobilenet_cifar -o mobilenet.html",
                                       "costmodel explore imagenet/resnet_bottleneck --preset resnext50_32x4d -o resnet.html",
                                       "costmodel explore effnet/effnet -o effnet.html   # then open effnet.html#resolution=64"))
    p.add_argument("spec", help="network spec (YAML) or a shipped spec's name")
    p.add_argument("--preset", metavar="NAME", default=None, help="the preset the page opens with")
    p.add_argument("-o", "--output", required=True, type=output_file(".html", ".htm"), help="the page to write")
    return p


def run(args) -> int:
    from .. import load_network
    from ..errors import SpecError
    from ..outputs.jsprint import Unprintable
    from ..outputs.page import page

    network = load_network(args.spec).for_values(preset=args.preset)  # a preset's options: its tree
    try:
        text = page(network, preset=args.preset)
    except Unprintable as e:
        raise SpecError(f"cannot write the page: {e}", file=network.spec.file) from None
    try:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise SpecError(f"cannot write {args.output}: {e.strerror or e}") from None
    return 0
