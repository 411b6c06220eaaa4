#!/usr/bin/python3
"""Reference resize sizes of Hugging Face CLIPImageProcessor (transformers'
get_resize_output_image_size with default_to_square=False, size=224):

    short, long = sorted(size)
    if short == 224: unchanged
    else: new_short, new_long = 224, int(224 * long / short)

Prints JSON: how many (width, height) pairs with 1 <= w, h <= 4096 the old Iris formula
floor(long * (224 / short)) gets wrong, and every such pair with the reference long side.
Pure Python, no third-party module. Run: /usr/bin/python3 test/reference/resize_sizes.py
"""
import json
import sys

SHORT = 224
LIMIT = 4096


def reference_long(short, long):
    return long if short == SHORT else int(SHORT * long / short)


def old_iris_long(short, long):
    import math
    return math.floor(long * (SHORT / short))


def main():
    limit = int(sys.argv[1]) if len(sys.argv) > 1 else LIMIT
    wrong = []
    for short in range(1, limit + 1):
        ratio = SHORT / short
        for long in range(short, limit + 1):
            ref = long if short == SHORT else int(SHORT * long / short)
            old = int(long * ratio)  # floor, both positive
            if ref != old:
                wrong.append([short, long, ref])
    # ordered pairs (w, h): a pair with short != long counts twice
    ordered = sum(1 if s == l else 2 for s, l, _ in wrong)
    json.dump({"limit": limit, "target": SHORT, "ordered_pairs_wrong": ordered, "wrong": wrong}, sys.stdout, separators=(",", ":"))


if __name__ == "__main__":
    main()
