import { ContrastiveError } from '../errors.js';

export const isGzip = (b: Uint8Array) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** gzip -> bytes with the platform's DecompressionStream (Node >= 18, browsers, Deno, Bun, workerd). */
export async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  if (typeof DecompressionStream === 'undefined') {
    throw new ContrastiveError('INVALID_ARGUMENT', `${name}: gzip input needs DecompressionStream, which this runtime lacks; decompress it first`);
  }
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `${name}: corrupt gzip data (${(e as Error).message})`);
  }
}
