"""faiss peer of the faces benchmark (test/bench/faces-bench.ts runs this).

    /usr/bin/python3 faiss_faces.py '<job as JSON>'

Groups the same face embeddings as Iris's incremental clustering, the batch way: every pair at or
above the match threshold found by faiss's exact IndexFlatIP range search, then connected
components (union-find) of two or more faces are people. That is single-linkage at the threshold
(DBSCAN with minPts 2): what a batch re-clustering of the whole library costs. One OpenMP thread
unless `threads` says otherwise. Prints one JSON line: seconds, people, and each face's group.
Components are found by label propagation in numpy (Debian has no scipy here).
"""
import json
import sys
import time

import faiss
import numpy as np


def main():
    job = json.loads(sys.argv[1])
    faiss.omp_set_num_threads(job.get("threads", 1))
    vectors = np.fromfile(job["file"], dtype="<f4").reshape(job["rows"], job["dim"])
    started = time.perf_counter()
    index = faiss.IndexFlatIP(job["dim"])
    index.add(vectors)
    lims, _, ids = index.range_search(vectors, job["threshold"])
    # Connected components by label propagation in numpy (no scipy here): every face takes the
    # smallest label among its neighbours (each row's neighbours are a slice of ids, so one
    # reduceat per round), then labels point-jump; until nothing changes.
    lims = lims.astype(np.int64)
    counts = np.diff(lims)
    starts = lims[:-1][counts > 0]
    has = np.nonzero(counts > 0)[0]
    roots = np.arange(job["rows"])
    while True:
        nearest = np.minimum.reduceat(roots[ids], starts)
        updated = roots.copy()
        updated[has] = np.minimum(updated[has], nearest)
        updated = updated[updated]
        if np.array_equal(updated, roots):
            break
        roots = updated
    seconds = time.perf_counter() - started
    _, inverse, counts = np.unique(roots, return_inverse=True, return_counts=True)
    group = np.where(counts[inverse] >= 2, inverse, -1)
    print(json.dumps({"seconds": seconds, "people": int((counts >= 2).sum()), "group": group.tolist()}))


main()
