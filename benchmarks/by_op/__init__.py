"""One module per op family, each with ``cases()`` for ``bench_by_op.py``."""
