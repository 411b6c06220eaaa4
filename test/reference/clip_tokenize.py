#!/usr/bin/python3
"""Reference CLIP tokenization: OpenAI's CLIP simple_tokenizer.py logic (ftfy.fix_text,
html.unescape twice, whitespace_clean, lower(), its split regex, byte-level BPE with '</w>'),
over the real vocabulary and merges of openai/clip-vit-base-patch32 (shared/clip-tokenizer:
vocab.json is OpenAI's encoder, merges.txt its bpe_ranks, the same 48,894 merges).

Reads a JSON list of strings on stdin; writes a JSON list of {"text", "cleaned", "ids"}: ids are
<|startoftext|> ... <|endoftext|>, cut to 77 keeping <|endoftext|> last (clip.tokenize with
truncate=True), not padded.

Needs: ftfy, regex (Debian: python3-regex; ftfy is not in Debian bookworm: its wheel).
Run: /usr/bin/python3 test/reference/clip_tokenize.py ../shared/clip-tokenizer < strings.json
"""
import html
import json
import os
import sys

import ftfy
import regex as re

CONTEXT = 77


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def get_pairs(word):
    return {(a, b) for a, b in zip(word, word[1:])}


def basic_clean(text):
    text = ftfy.fix_text(text)
    text = html.unescape(html.unescape(text))
    return text.strip()


def whitespace_clean(text):
    text = re.sub(r"\s+", " ", text)
    return text.strip()


class SimpleTokenizer:
    def __init__(self, folder):
        self.byte_encoder = bytes_to_unicode()
        with open(os.path.join(folder, "vocab.json"), encoding="utf-8") as f:
            self.encoder = json.load(f)
        with open(os.path.join(folder, "merges.txt"), encoding="utf-8") as f:
            lines = f.read().split("\n")
        merges = [tuple(line.split()) for line in lines[1:] if line]
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}
        self.pat = re.compile(r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""", re.IGNORECASE)

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = get_pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        word = " ".join(word)
        self.cache[token] = word
        return word

    def clean(self, text):
        return whitespace_clean(basic_clean(text)).lower()

    def encode(self, text):
        tokens = []
        for token in re.findall(self.pat, self.clean(text)):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            tokens.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return tokens


def main():
    tokenizer = SimpleTokenizer(sys.argv[1])
    sot, eot = tokenizer.encoder["<|startoftext|>"], tokenizer.encoder["<|endoftext|>"]
    out = []
    for text in json.load(sys.stdin):
        ids = [sot] + tokenizer.encode(text) + [eot]
        if len(ids) > CONTEXT:
            ids = ids[:CONTEXT]
            ids[-1] = eot
        out.append({"text": text, "cleaned": tokenizer.clean(text), "ids": ids})
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
