#!/usr/bin/python3
"""Reference image preprocessing: what Hugging Face's CLIPImageProcessor (and
ChineseCLIPImageProcessor) do to the pixels, with Pillow itself doing the resize, as transformers
does (to_pil_image, then Image.resize(size, resample=BICUBIC)), then the centre crop.

Input images are synthetic and deterministic (the same formulas are in test/engine/
clip-fidelity.test.ts), so no image file is needed on either side. Reads a JSON list of cases on
stdin: {"name", "pattern", "width", "height", "mode": "shortest_edge" | "exact"} (or "file": a
lossless RGB image to read instead of a pattern; optional "size", default 224, and "resample",
"bicubic" or "bilinear", default bicubic: the CLIP zoo's other processors) and writes, per
case, the size×size RGB crop as base64, its sha256 and the resized size.

Needs: Pillow (Debian: python3-pil). Run: /usr/bin/python3 test/reference/pil_preprocess.py < cases.json
"""
import base64
import hashlib
import json
import sys

from PIL import Image

SIZE = 224


def pattern(name, width, height):
    """Interleaved RGB bytes; keep in step with the TypeScript copy."""
    out = bytearray(width * height * 3)
    i = 0
    for y in range(height):
        for x in range(width):
            for c in range(3):
                if name == "noise":
                    v = ((x * 73 + y * 151 + c * 29) ^ (x * y * 7 + c * 101)) & 255
                elif name == "checker":
                    v = 235 if ((x >> 2) + (y >> 2) + c) & 1 else 20
                elif name == "gradient":
                    v = (x * 255 // max(width - 1, 1) + y * 255 // max(height - 1, 1) * (c + 1)) & 255
                else:
                    raise ValueError(name)
                out[i] = v
                i += 1
    return bytes(out)


def resize_size(width, height, mode, size=SIZE):
    if mode == "exact":
        return size, size
    # transformers' get_resize_output_image_size(default_to_square=False)
    short, long = (width, height) if width <= height else (height, width)
    if short == size:
        return width, height
    new_short, new_long = size, int(size * long / short)
    return (new_short, new_long) if width <= height else (new_long, new_short)


def run(case):
    width, height = case["width"], case["height"]
    if "file" in case:  # a real picture, as a lossless file both sides read
        image = Image.open(case["file"]).convert("RGB")
    else:
        image = Image.frombytes("RGB", (width, height), pattern(case["pattern"], width, height))
    size = case.get("size", SIZE)
    resample = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR}[case.get("resample", "bicubic")]
    out_w, out_h = resize_size(width, height, case["mode"], size)
    resized = image.resize((out_w, out_h), resample=resample)
    # transformers' center_crop: top = (h - crop) // 2, left = (w - crop) // 2
    left, top = (out_w - size) // 2, (out_h - size) // 2
    crop = resized.crop((left, top, left + size, top + size)).tobytes()
    return {**case, "resized": [out_w, out_h], "sha256": hashlib.sha256(crop).hexdigest(), "pixels": base64.b64encode(crop).decode()}


def main():
    cases = json.load(sys.stdin)
    json.dump([run(case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
