"""faiss peer of the faces benchmark (test/bench/faces-bench.ts runs this).

    /usr/bin/python3 faiss_faces.py '<job as JSON>'

Groups the same face embeddings as Iris's incremental clustering, the batch way: every pair at or
above the match threshold found by faiss's exact IndexFlatIP range search, then connected
components (union-find) of two or more faces are people. That is single-linkage at the threshold
(DBSCAN with minPts 2): what a batch re-clustering of the whole library costs. One OpenMP thread
unless `threads` says otherwise. Prints one JSON line: seconds, people, and each face's group.
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
    parent = np.arange(job["rows"])

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(job["rows"]):
        for j in ids[lims[i]:lims[i + 1]]:
            if j != i:
                a, b = find(i), find(int(j))
                if a != b:
                    parent[a] = b
    roots = np.array([find(i) for i in range(job["rows"])])
    seconds = time.perf_counter() - started
    _, inverse, counts = np.unique(roots, return_inverse=True, return_counts=True)
    group = np.where(counts[inverse] >= 2, inverse, -1)
    print(json.dumps({"seconds": seconds, "people": int((counts >= 2).sum()), "group": group.tolist()}))


main()
