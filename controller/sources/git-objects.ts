// The size of a git object from its header, without inflating the object (issue 10 item 1): the git
// source checks every blob and tree against the limits before reading it, so a small packfile that inflates
// to gigabytes (one 4 MiB blob named by 600 paths, a 1 GB run of zeros) costs a few bytes of I/O to refuse.
//
// Loose objects (`objects/ab/cdef…`) are zlib streams starting `<type> <size>\0`: the first bytes are inflated.
// Packed objects are found through the pack indexes (version 2): the entry header holds the size of a whole
// object, and a delta's data starts with the base size and the result size (two varints), so only its first
// bytes are inflated.
import { closeSync, openSync, readFileSync, readSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { constants, inflateSync } from 'node:zlib';
import { packObjectHeader } from './git-pack.ts';

interface PackIndex { pack: string; count: number; fanout: Uint32Array; idx: Buffer }

/** Reads sizes of objects in one git directory; pack indexes are read once per instance (one per revision). */
export class ObjectSizes {
  readonly #gitdir: string;
  #packs: PackIndex[] | undefined;

  constructor(gitdir: string) {
    this.#gitdir = gitdir;
  }

  /** The inflated size of the object, or undefined when it cannot be found (isomorphic-git then reports it). */
  size(oid: string): number | undefined {
    const loose = join(this.#gitdir, 'objects', oid.slice(0, 2), oid.slice(2));
    let head: Buffer | undefined;
    try {
      head = readAt(loose, 0, 64);
    } catch {
      head = undefined;
    }
    if (head) {
      const text = partialInflate(head).toString('latin1');
      const m = /^[a-z]+ (\d+)\0/.exec(text);
      return m ? Number(m[1]) : undefined;
    }
    for (const p of this.#indexes()) {
      const offset = findOffset(p, oid);
      if (offset !== undefined) return packedSize(p.pack, offset);
    }
    return undefined;
  }

  #indexes(): PackIndex[] {
    if (this.#packs) return this.#packs;
    const dir = join(this.#gitdir, 'objects', 'pack');
    const out: PackIndex[] = [];
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.idx'));
    } catch {
      names = [];
    }
    for (const name of names) {
      const idx = readFileSync(join(dir, name));
      // Version 2: magic \377tOc, version 2, 256 fanout counts.
      if (idx.readUInt32BE(0) !== 0xff744f63 || idx.readUInt32BE(4) !== 2) continue;
      const fanout = new Uint32Array(256);
      for (let i = 0; i < 256; i++) fanout[i] = idx.readUInt32BE(8 + i * 4);
      out.push({ pack: join(dir, name.replace(/\.idx$/, '.pack')), count: fanout[255]!, fanout, idx });
    }
    this.#packs = out;
    return out;
  }
}

function readAt(file: string, position: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, position);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Inflates what a truncated zlib stream yields (at most a few KiB from 64 input bytes). */
function partialInflate(head: Buffer): Buffer {
  try {
    return inflateSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return Buffer.alloc(0);
  }
}

function findOffset(p: PackIndex, oid: string): number | undefined {
  const want = Buffer.from(oid, 'hex');
  const first = want[0]!;
  let lo = first === 0 ? 0 : p.fanout[first - 1]!;
  let hi = p.fanout[first]!;
  const shaBase = 8 + 256 * 4;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = p.idx.compare(want, 0, 20, shaBase + mid * 20, shaBase + mid * 20 + 20);
    if (c === 0) {
      const offBase = shaBase + p.count * 20 + p.count * 4;
      const off = p.idx.readUInt32BE(offBase + mid * 4);
      if (off & 0x80000000) {
        const largeBase = offBase + p.count * 4;
        return Number(p.idx.readBigUInt64BE(largeBase + (off & 0x7fffffff) * 8));
      }
      return off;
    }
    // c > 0: the wanted oid sorts after the one at mid.
    if (c > 0) lo = mid + 1;
    else hi = mid;
  }
  return undefined;
}

const OFS_DELTA = 6;
const REF_DELTA = 7;

/** Size of the object at `offset` of a pack: from its header, or from the result size at the start of its delta. */
function packedSize(pack: string, offset: number): number | undefined {
  const buf = readAt(pack, offset, 128);
  const { type, size, end } = packObjectHeader(buf, 0);
  let i = end;
  if (type !== OFS_DELTA && type !== REF_DELTA) return size;
  if (type === OFS_DELTA) {
    let c: number;
    do c = buf[i++]!; while (c & 0x80);
  } else i += 20;
  const delta = partialInflate(buf.subarray(i));
  let j = 0;
  const varint = () => {
    let v = 0;
    let s = 0;
    let b: number;
    do {
      b = delta[j++] ?? 0;
      v += (b & 0x7f) * 2 ** s;
      s += 7;
    } while (b & 0x80 && j < delta.length);
    return v;
  };
  varint(); // the base's size
  const result = varint();
  return delta.length >= 2 ? result : undefined;
}
