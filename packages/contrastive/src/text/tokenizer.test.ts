import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';

// the optional peer is absent: its import fails as it does when the package is not installed
vi.mock('@huggingface/tokenizers', () => {
  throw new Error("Cannot find package '@huggingface/tokenizers'");
});

describe('loadTokenizer without @huggingface/tokenizers', () => {
  it('is a ContrastiveError MISSING_DEPENDENCY naming the package to install', async () => {
    const { loadTokenizer } = await import('./tokenizer.js');
    const json = JSON.parse(readFileSync(new URL('../../../../test/reference/text/minilm/tokenizer.json', import.meta.url), 'utf8'));
    let err: unknown;
    try {
      await loadTokenizer(json);
    } catch (e) {
      err = e;
    }
    expectError(
      () => {
        throw err;
      },
      'MISSING_DEPENDENCY',
      '@huggingface/tokenizers',
      'npm i @huggingface/tokenizers',
    );
  });

  it('takes the module from the caller instead (bundles that cannot import it by name)', async () => {
    const { loadTokenizer } = await import('./tokenizer.js');
    const module = {
      Tokenizer: class {
        encode(t: string, o?: { add_special_tokens?: boolean }) {
          const ids = [...t].map((c) => c.charCodeAt(0));
          return { ids: o?.add_special_tokens === false ? ids : [1, ...ids, 2] };
        }
        token_to_id() {
          return 0;
        }
      },
    };
    const tok = await loadTokenizer({}, { module });
    expect(tok.encode('abcdef', { maxLength: 5 })).toEqual([1, 97, 98, 99, 2]);
    const b = tok.batch(['ab', 'abcd']);
    expect(Array.from(b.attentionMask.data)).toEqual([1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(Array.from(b.inputIds.data)).toEqual([1, 97, 98, 2, 0, 0, 1, 97, 98, 99, 100, 2]);
  });
});
