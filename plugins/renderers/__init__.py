"""Built-in renderers: template + data → PDF, PNG, TSPL, ZPL or ESC/POS bytes.

One sub-package per language, each registered through the `orderhub` entry-point group
like a third-party plugin. They share the layout (`plan`), the shipped CJK font (`fonts`),
the Code 128 encoder, the raster canvas and the caches of what is the same on every label.
"""
