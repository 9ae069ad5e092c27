"""Render a template with its kind's sample data, for template authors and the docs.

    python -m plugins.renderers.preview TEMPLATE OUT [--dpi 203]

TEMPLATE is a built-in template's name or a template JSON file; OUT's extension picks the
language (.png, .pdf, .tspl, .zpl, .escpos). docs/images/label-76x130.png is made with
`python -m plugins.renderers.preview label-76x130 docs/images/label-76x130.png`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from core.contracts.renderer import RenderRequest, TemplateSpec
from core.errors import OrderhubError
from core.templates import builtin_template, read_template_file, sample_data, template_from_json
from plugins.renderers.escpos import EscposRenderer
from plugins.renderers.pdf import PdfRenderer
from plugins.renderers.png import PngRenderer
from plugins.renderers.tspl import TsplRenderer
from plugins.renderers.zpl import ZplRenderer

RENDERERS = {
    "png": PngRenderer,
    "pdf": PdfRenderer,
    "tspl": TsplRenderer,
    "zpl": ZplRenderer,
    "escpos": EscposRenderer,
}


def load(template: str) -> TemplateSpec:
    path = Path(template)
    if path.suffix == ".json" and path.exists():
        return template_from_json(read_template_file(path), source=str(path))
    return builtin_template(template)


def preview(template: str, out: Path, dpi: int = 203) -> int:
    """Write the rendering; return its size in bytes."""
    language = out.suffix.lstrip(".").lower()
    if language not in RENDERERS:
        raise SystemExit(f"preview: unknown output type {out.suffix!r}; use {', '.join(RENDERERS)}")
    spec = load(template)
    request = RenderRequest(spec, sample_data(spec.kind), language, dpi=dpi)
    content = RENDERERS[language]().render(request).content
    out.write_bytes(content)
    return len(content)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("template")
    parser.add_argument("out", type=Path)
    parser.add_argument("--dpi", type=int, default=203)
    args = parser.parse_args(argv)
    try:
        size = preview(args.template, args.out, args.dpi)
    except OrderhubError as exc:
        print(f"preview: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {args.out} ({size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
