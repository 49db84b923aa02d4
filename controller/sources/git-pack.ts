// Screening a fetched pack before isomorphic-git indexes it (issue 10 item 1). Indexing inflates every object
// to hash it, so a push of a 1 GiB run of zeros (about 1 MiB compressed) would cost a gigabyte of memory in
// every fetch, and crash-loop the controller. Here every object's declared size (its entry header, or for a
// delta the result size at the start of its data) is checked against LIMITS.maxGitObjectBytes, and each is
// inflated with its output capped at that size (a header that lies is caught too), one at a time and
// discarded, before the pack is handed on.
import { inflateSync } from 'node:zlib';
import type { GitHttpRequest, GitHttpResponse, HttpClient } from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { LIMITS, MIB, mib } from './limits.ts';

export class PackRefused extends Error {
  override name = 'PackRefused';
}

/** The pack inside an upload-pack response (pkt-lines; band 1 of side-band-64k), or the raw pack after NAK. */
export function packOf(response: Uint8Array): Buffer {
  const buf = Buffer.from(response.buffer, response.byteOffset, response.byteLength);
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 4 <= buf.length) {
    if (buf.toString('latin1', i, i + 4) === 'PACK') { parts.push(buf.subarray(i)); break; }
    const len = Number.parseInt(buf.toString('latin1', i, i + 4), 16);
    if (!Number.isInteger(len) || len < 0) break;
    if (len === 0) { i += 4; continue; }
    const payload = buf.subarray(i + 4, i + len);
    if (payload[0] === 1) parts.push(payload.subarray(1));
    i += len;
  }
  return Buffer.concat(parts);
}

/**
 * The entry header of the pack object at `pos`: its type (1-4 whole objects, 6 and 7 deltas), its size
 * (for a delta, the size of the delta data) and where the header ends. The size is a little-endian varint:
 * 4 bits in the first byte, 7 in each following one while the high bit is set.
 */
export function packObjectHeader(buf: Uint8Array, pos: number): { type: number; size: number; end: number } {
  let c = buf[pos++]!;
  const type = (c >> 4) & 7;
  let size = c & 15;
  let shift = 4;
  while (c & 0x80) {
    c = buf[pos++]!;
    size += (c & 0x7f) * 2 ** shift;
    shift += 7;
  }
  return { type, size, end: pos };
}

/** Throws PackRefused when an object of the pack is larger than the limit; otherwise returns its object count. */
export function screenPack(pack: Buffer, maxObject = LIMITS.maxGitObjectBytes): number {
  if (pack.length === 0) return 0;
  if (pack.toString('latin1', 0, 4) !== 'PACK') throw new PackRefused('the server sent something that is not a git pack');
  const count = pack.readUInt32BE(8);
  let pos = 12;
  const tooBig = (size: number) => new PackRefused(`the fetched commit holds a git object of ${mib(size)}; objects may be at most ${maxObject / MIB} MiB (maxGitObjectBytes), so it was not indexed`);
  for (let n = 0; n < count; n++) {
    if (pos >= pack.length) throw new PackRefused('the fetched pack ends early');
    const { type, size, end } = packObjectHeader(pack, pos);
    pos = end;
    if (size > maxObject) throw tooBig(size);
    if (type === 6) { let c: number; do c = pack[pos++]!; while (c & 0x80); } // OFS_DELTA: the base's offset
    else if (type === 7) pos += 20; // REF_DELTA: the base's id
    let out: { buffer: Buffer; engine: { bytesWritten: number } };
    try {
      out = inflateSync(pack.subarray(pos), { info: true, maxOutputLength: Math.max(1, size) }) as unknown as typeof out;
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooBig(size + 1);
      throw new PackRefused(`the fetched pack is damaged (${(err as Error).message})`);
    }
    if (type === 6 || type === 7) {
      // A delta starts with the base's size and the result's size (varints): the result is what gets built.
      const d = out.buffer;
      let j = 0;
      const varint = () => { let v = 0; let s = 0; let b: number; do { b = d[j++] ?? 0; v += (b & 0x7f) * 2 ** s; s += 7; } while (b & 0x80); return v; };
      varint();
      const result = varint();
      if (result > maxObject) throw tooBig(result);
    }
    pos += out.engine.bytesWritten;
  }
  return count;
}

/**
 * isomorphic-git's node HTTP client, with every upload-pack response (clone and fetch) read up to
 * LIMITS.maxPackBytes and screened before isomorphic-git sees it.
 */
export const screenedHttp: HttpClient = {
  async request(req: GitHttpRequest): Promise<GitHttpResponse> {
    const res = await http.request(req);
    if (req.method !== 'POST' || !/\/git-upload-pack(\?|$)/.test(req.url) || !res.body) return res;
    const chunks: Uint8Array[] = [];
    let total = 0;
    for await (const chunk of res.body) {
      total += chunk.byteLength;
      if (total > LIMITS.maxPackBytes) throw new PackRefused(`the fetch response is larger than ${LIMITS.maxPackBytes / MIB} MiB (maxPackBytes); it was not read further`);
      chunks.push(chunk);
    }
    const all = Buffer.concat(chunks);
    screenPack(packOf(all));
    return { ...res, body: (async function* () { yield all; })() };
  },
};
