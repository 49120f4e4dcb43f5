"""The analyses: plain functions over a store, one topic per module (gaps, bottlenecks, ...).

Import the function from its module, e.g. ``from graph.analysis.gaps import gaps``.
"""
