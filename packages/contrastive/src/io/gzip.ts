import { ContrastiveError } from '../errors.js';

export const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** The default cap on decompressed bytes: 1 GiB. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 2 ** 30;

export interface GunzipOptions {
  /** Stop with an error past this many decompressed bytes (default 1 GiB). */
  maxBytes?: number;
  /**
   * The size the content announces, from its first bytes (e.g. an IDX header): called as data
   * arrives with everything so far, returns the expected total or undefined while it cannot
   * tell yet. Decompression stops with an error as soon as the output exceeds it.
   */
  expectedBytes?: (head: Uint8Array) => number | undefined;
}

/**
 * gzip -> bytes with the platform's DecompressionStream (Node >= 18, browsers, Deno, Bun,
 * workerd), streamed and bounded: a small file that would expand past `maxBytes` or past the
 * size its own header announces is refused without holding more than that in memory.
 */
export async function gunzip(bytes: Uint8Array, name: string, opts: GunzipOptions = {}): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${name}: gzip input needs DecompressionStream, which this runtime lacks; decompress it first`);
  }
  const max = opts.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  if (typeof max !== 'number' || !(max >= 0)) throw new ContrastiveError('INVALID_ARGUMENT', `${name}: maxBytes must be a number >= 0, got ${String(max)}`);
  let reader: ReadableStreamDefaultReader<Uint8Array>;
  try {
    reader = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${name}: corrupt gzip data (${(e as Error).message})`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  let expected: number | undefined;
  let head = new Uint8Array(0);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > max) {
        throw new ContrastiveError('OUT_OF_MEMORY', `${name}: decompresses to more than ${max} bytes (the limit; raise maxBytes to read it)`);
      }
      if (expected === undefined && opts.expectedBytes) {
        if (head.length < 1024) {
          const h = new Uint8Array(Math.min(1024, head.length + value.length));
          h.set(head);
          h.set(value.subarray(0, h.length - head.length), head.length);
          head = h;
        }
        expected = opts.expectedBytes(head);
      }
      if (expected !== undefined && total > expected) {
        throw new ContrastiveError(
          'INVALID_ARGUMENT',
          `${name}: decompresses to more than the ${expected} bytes its header announces (corrupt or crafted file)`,
        );
      }
      chunks.push(value);
    }
  } catch (e) {
    void reader.cancel().catch(() => {});
    if (e instanceof ContrastiveError) throw e;
    throw new ContrastiveError('INVALID_ARGUMENT', `${name}: corrupt gzip data (${(e as Error).message})`);
  }
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}
