#!/usr/bin/python3
"""Reference SentencePiece tokenization, for the CLIP zoo's SentencePiece tokenizers (SigLIP 2's
Gemma BPE with byte fallback, M-CLIP's XLM-R Unigram): trains a small model of each kind with the
sentencepiece library itself, then gives its pieces, scores and normaliser table (what Hugging
Face's converter turns into tokenizer.json) and its own encoding of every test string.

Reads JSON {"training": [str], "texts": [str], "dir": str} on stdin; writes JSON
{"unigram": {...}, "bpe": {...}}, each {"pieces": [[piece, score, type]], "charsmap": base64 or
null, "unk_id", "ids": [[int]]}. Type: 1 normal, 2 unknown, 3 control, 4 user defined, 6 byte.

Needs: sentencepiece (Debian: python3-sentencepiece).
Run: /usr/bin/python3 test/reference/sentencepiece_tokenize.py < input.json
"""
import base64
import json
import os
import sys

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as model_pb2


def train(kind, training_file, prefix):
    options = dict(
        input=training_file,
        model_prefix=prefix,
        model_type=kind,
        vocab_size=800,
        hard_vocab_limit=False,
        character_coverage=1.0,
        bos_id=-1,
        eos_id=-1,
        unk_id=0,
        minloglevel=2,
    )
    if kind == "unigram":
        # XLM-R's: NFKC through the precompiled table, a dummy prefix space.
        options.update(normalization_rule_name="nmt_nfkc", add_dummy_prefix=True)
    else:
        # Gemma's: no normalisation, no dummy prefix, bytes for what the vocabulary lacks.
        options.update(normalization_rule_name="identity", add_dummy_prefix=False, byte_fallback=True, remove_extra_whitespaces=False)
    spm.SentencePieceTrainer.train(**options)
    return prefix + ".model"


def describe(model_file, texts):
    proto = model_pb2.ModelProto()
    with open(model_file, "rb") as f:
        proto.ParseFromString(f.read())
    processor = spm.SentencePieceProcessor(model_file=model_file)
    charsmap = proto.normalizer_spec.precompiled_charsmap
    return {
        "pieces": [[p.piece, p.score, p.type] for p in proto.pieces],
        "charsmap": base64.b64encode(charsmap).decode() if charsmap else None,
        "unk_id": processor.unk_id(),
        "ids": [processor.encode(text) for text in texts],
    }


def main():
    request = json.load(sys.stdin)
    training_file = os.path.join(request["dir"], "training.txt")
    with open(training_file, "w", encoding="utf-8") as f:
        f.write("\n".join(request["training"]))
    out = {}
    for kind in ("unigram", "bpe"):
        out[kind] = describe(train(kind, training_file, os.path.join(request["dir"], kind)), request["texts"])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
