"""Ids that Hugging Face `tokenizers` gives with tokenizer.json (written by
WordPieceTokenizer.train on corpus.txt; see packages/contrastive/src/text/wordpiece.test.ts) for
texts.json: the library's own encoder must give the same ids.

    python3 test/reference/sentence/wordpiece/gen_tokenizer.py
"""
import json
import os

import tokenizers
from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
out = {"tokenizers": tokenizers.__version__, "cases": {}}
for name in ("tokenizer.json", "tokenizer-special.json"):
    tok = Tokenizer.from_file(os.path.join(HERE, name))
    texts = json.load(open(os.path.join(HERE, "texts.json")))
    out["cases"][name] = [{"text": t, "ids": tok.encode(t).ids, "tokens": tok.encode(t).tokens} for t in texts]
json.dump(out, open(os.path.join(HERE, "ids.json"), "w"), ensure_ascii=False, indent=0)
print("ok", tokenizers.__version__)
