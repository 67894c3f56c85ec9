"""On-demand benchmarks (`make bench`); each module has a ``main()`` that prints its ratios."""
