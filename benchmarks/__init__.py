"""Benchmarks: a seeded generator of chain datasets (:mod:`benchmarks.generate`) and the script
that measures chainx on them (:mod:`benchmarks.run`, ``make bench``)."""
