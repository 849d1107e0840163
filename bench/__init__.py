"""Performance benchmark suite (a script and a Markdown report, not timed tests).

    python -m bench.run [--out results/bench] [--quick]    # pipeline, queries, peer, memory
    python -m bench.scale [--sizes 10000,100000,1000000]   # FAISS index types on synthetic vectors

Every figure is reported both as measured and as a ratio against a baseline
measured in the same run, because the CPU is shared and absolute seconds
drift from one run to the next while same-run ratios mostly do not.
"""
