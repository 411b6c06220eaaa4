"""faiss peers of the vector-search benchmark (test/bench/search-bench.ts runs this).

    python3 faiss_peers.py '<job as JSON>'

Reads the bench's cached vector files (raw little-endian float32, unit rows) and measures, on the
same vectors and queries as VectorStore:
- IndexFlatIP: the exact scan the seed design used;
- IndexHNSWFlat (M 32, efConstruction 128), queried with efSearch 64 and 256.
Queries go one at a time on ONE OpenMP thread (per-query latency, as the app searches); the HNSW
build uses `build_threads`. Memory is the serialized index size (vectors + graph), which is what
the index holds in memory. Writes a JSON list of runs to `out`, in the shape search-peers.ts uses.

Uses Debian's python3-faiss (installed for /usr/bin/python3), not a pip wheel: the bench probes
interpreters and uses the first that imports faiss.
"""
import json
import sys
import time

import faiss
import numpy as np


def log(message):
    print(f"search-bench: {message}", file=sys.stderr, flush=True)


def load(source):
    # A memory map: the 1M file is 2 GB; faiss copies what it adds.
    return np.memmap(source["file"], dtype="<f4", mode="r", shape=(source["rows"], source["dim"]))


def search_sets(job, queries, index, limit=None):
    out = {}
    for s in job["data"]["queries"]["sets"]:
        ms, rows = [], []
        count = s["count"] if limit is None else min(limit, s["count"])
        for i in range(count):
            q = np.ascontiguousarray(queries[s["offset"] + i : s["offset"] + i + 1])
            started = time.perf_counter()
            _, ids = index.search(q, job["k"])
            ms.append((time.perf_counter() - started) * 1000)
            rows.append([int(x) for x in ids[0] if x >= 0])
        out[s["name"]] = {"ms": ms, "rows": rows}
    return out


def add_in_chunks(index, base, name):
    chunk = 50_000
    for start in range(0, base.shape[0], chunk):
        index.add(np.ascontiguousarray(base[start : start + chunk]))
        log(f"  faiss {name}: {min(start + chunk, base.shape[0]):,} / {base.shape[0]:,} added")


def main():
    job = json.loads(sys.argv[1])
    base = load(job["data"]["base"])
    queries = np.ascontiguousarray(load(job["data"]["queries"]))
    dim = base.shape[1]
    runs = []
    if "flat" in job["indexes"]:
        faiss.omp_set_num_threads(1)
        index = faiss.IndexFlatIP(dim)
        started = time.perf_counter()
        add_in_chunks(index, base, "flat")
        build_ms = (time.perf_counter() - started) * 1000
        log(f"  faiss flat: queries (the first {job['flat_queries']} of each set)")
        runs.append({
            "name": "faiss IndexFlatIP (exact)",
            "notes": f"exact scan; 1 thread; latency over the first {job['flat_queries']} queries of each set",
            "buildMs": build_ms,
            "memoryBytes": index.ntotal * dim * 4,
            "memoryNote": "the float vectors",
            "sets": search_sets(job, queries, index, job["flat_queries"]),
        })
        del index
    if "hnsw" in job["indexes"]:
        faiss.omp_set_num_threads(job["build_threads"])
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 128
        started = time.perf_counter()
        add_in_chunks(index, base, "HNSW")
        build_ms = (time.perf_counter() - started) * 1000
        memory = len(faiss.serialize_index(index))
        faiss.omp_set_num_threads(1)
        for ef in (64, 256):
            index.hnsw.efSearch = ef
            log(f"  faiss HNSW: queries at efSearch {ef}")
            runs.append({
                "name": f"faiss IndexHNSWFlat, efSearch {ef}",
                "notes": f"M 32, efConstruction 128; built on {job['build_threads']} threads; queries 1 thread",
                "buildMs": build_ms,
                "memoryBytes": memory,
                "memoryNote": "serialized index (vectors + graph)",
                "sets": search_sets(job, queries, index),
            })
    with open(job["out"], "w") as f:
        json.dump(runs, f)


if __name__ == "__main__":
    main()
