import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyBytes } from '../src/keys.ts';
import { DEFAULT_MAX_VALUE_BYTES } from '../src/options.ts';
import { ReplyParser, type ReplySink } from '../src/parser.ts';
import { allocValue, decodeValue, SLAB_BYTES, SLAB_VALUE_MAX_BYTES } from '../src/values.ts';
import { sharedClient } from './support.ts';

/** keyBytes as it was before its regex fast path: one loop over every UTF-16 unit. */
function referenceKeyBytes(key: string, prefixBytes: number): string | { error: string } {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return { error: 'character' };
  }
  if (key.length === 0) return { error: 'empty' };
  if (!(key as unknown as { isWellFormed(): boolean }).isWellFormed()) return { error: 'surrogate' };
  const bytes = Buffer.from(key, 'utf8');
  if (bytes.length + prefixBytes > 250) return { error: 'bytes' };
  return bytes.toString('latin1');
}

function outcome(key: string, prefixBytes: number): string | { error: string } {
  try {
    return keyBytes(key, prefixBytes);
  } catch (error) {
    expect(error).toMatchObject({ code: 'ERR_INVALID_KEY' });
    const message = (error as Error).message;
    if (message.includes(' at index ')) return { error: 'character' };
    if (message.includes('the key is empty')) return { error: 'empty' };
    if (message.includes('lone surrogate')) return { error: 'surrogate' };
    return { error: 'bytes' };
  }
}

describe('keyBytes fast path for printable ASCII keys', () => {
  it('accepts and refuses exactly the keys the per-character loop did (property)', () => {
    const edge = fc.constantFrom(' ', '\x00', '\x1f', '\x20', '\x21', '\x7e', '\x7f', '\x80', 'é', '\uffff', '\ud800');
    const key = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 260 }),
      fc.string({ unit: 'grapheme-ascii', maxLength: 260 }),
      fc
        .tuple(fc.string({ unit: 'grapheme-ascii', maxLength: 250 }), edge, fc.nat(250))
        .map(([s, c, at]) => s.slice(0, at) + c + s.slice(at)),
    );
    fc.assert(
      fc.property(key, fc.constantFrom(0, 10, 249), (k, prefix) => {
        expect(outcome(k, prefix)).toEqual(referenceKeyBytes(k, prefix));
      }),
      { numRuns: 2000 },
    );
  });

  it('names the first bad character of an ASCII key', () => {
    expect(() => keyBytes('ab c\x01', 0)).toThrow(/space at index 2/);
    expect(() => keyBytes('abc\x7f', 0)).toThrow(/0x7f at index 3/);
    expect(() => keyBytes('é\r', 0)).toThrow(/0x0d at index 1/);
  });

  it('takes ASCII keys up to 250 bytes with the prefix, and returns them as given', () => {
    const key = 'k'.repeat(240);
    expect(keyBytes(key, 10)).toBe(key);
    expect(() => keyBytes(key, 11)).toThrow(/251 bytes with the 11-byte keyPrefix/);
    expect(keyBytes('é', 0)).toBe('\xc3\xa9');
  });
});

/** Fills `buffer` with a pattern that differs for every `seed`. */
function stamp(buffer: Uint8Array, seed: number): void {
  for (let i = 0; i < buffer.length; i++) buffer[i] = (seed * 31 + i * 7) & 0xff;
}

function stamped(buffer: Uint8Array, seed: number): boolean {
  for (let i = 0; i < buffer.length; i++) if (buffer[i] !== ((seed * 31 + i * 7) & 0xff)) return false;
  return true;
}

/** Sizes around every boundary of allocValue, and some anywhere up to 20 KiB. */
const valueSize = fc.oneof(
  fc.constantFrom(0, 1, 4095, 4096, 4097, SLAB_VALUE_MAX_BYTES - 1, SLAB_VALUE_MAX_BYTES, SLAB_VALUE_MAX_BYTES + 1),
  fc.integer({ min: 0, max: 20 * 1024 }),
);

describe('values from 4 KiB to 16 KiB are cut from a shared 64 KiB slab', () => {
  // The slab starts where Node's own pool stops (half of Buffer.poolSize): pin Node 20's 8 KiB pool so these
  // tests mean the same on Node 24, whose 64 KiB pool already serves every size the slab would.
  const poolSize = Buffer.poolSize;
  beforeAll(() => {
    Buffer.poolSize = 8 * 1024;
  });
  afterAll(() => {
    Buffer.poolSize = poolSize;
  });

  it('serves 4 KiB to SLAB_VALUE_MAX_BYTES from the slab, and nothing else', () => {
    expect(SLAB_VALUE_MAX_BYTES).toBe(16 * 1024);
    expect(SLAB_BYTES).toBe(64 * 1024);
    const slabs = new Set<ArrayBufferLike>();
    for (const length of [4096, 10240, SLAB_VALUE_MAX_BYTES]) {
      const value = allocValue(length);
      expect(value.length).toBe(length);
      expect(value.buffer.byteLength).toBe(SLAB_BYTES);
      expect(value.byteOffset % 8).toBe(0);
      slabs.add(value.buffer);
    }
    // Below 4 KiB Node's own pool serves it (whatever size that pool was made at); above the limit a value has
    // its own memory.
    expect(slabs.has(allocValue(4095).buffer)).toBe(false);
    expect(allocValue(SLAB_VALUE_MAX_BYTES + 1).buffer.byteLength).toBe(SLAB_VALUE_MAX_BYTES + 1);
  });

  it('starts a new slab for a value that does not fit in the rest of the current one', () => {
    // Four 16000-byte values (aligned to 8 already) fill 64000 bytes; a fifth does not fit in the 1536 left.
    let first = allocValue(16_000);
    while (first.byteOffset !== 0) first = allocValue(16_000);
    const values = [first, allocValue(16_000), allocValue(16_000), allocValue(16_000), allocValue(16_000)];
    expect(values.slice(0, 4).map((v) => v.buffer)).toEqual([first.buffer, first.buffer, first.buffer, first.buffer]);
    expect(values[4]!.buffer).not.toBe(first.buffer);
    expect(values[4]!.byteOffset).toBe(0);
    for (const [i, value] of values.entries()) stamp(value, i);
    expect(values.every(stamped)).toBe(true);
  });

  it('never hands out overlapping memory (property)', () => {
    fc.assert(
      fc.property(fc.array(valueSize, { minLength: 1, maxLength: 40 }), (sizes) => {
        const values = sizes.map((size) => allocValue(size));
        values.forEach((v, i) => {
          expect(v.length).toBe(sizes[i]);
          stamp(v, i);
        });
        expect(values.every(stamped)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a value kept from a reply is never changed by later replies, nor by reuse of the chunk it came in (property)', () => {
    fc.assert(
      fc.property(
        fc.array(valueSize, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 24 * 1024 }), { minLength: 1, maxLength: 30 }),
        (sizes, cuts) => {
          const expected = sizes.map((size, i) => {
            const value = Buffer.allocUnsafe(size);
            stamp(value, i);
            return value;
          });
          const stream = Buffer.concat(
            expected.flatMap((value, i) => [
              Buffer.from(`VALUE k${i} 0 ${value.length}\r\n`),
              value,
              Buffer.from('\r\nEND\r\n'),
            ]),
          );
          const kept: Buffer[] = [];
          const parser = new ReplyParser({
            onLine: () => {},
            onValueHeader: () => {},
            onMetaHeader: () => {},
            onValue: (src, start, end, owned) =>
              kept.push(decodeValue(0, src, start, end, owned, DEFAULT_MAX_VALUE_BYTES) as Buffer),
          });
          // Chunks are cut from one buffer that is scribbled over after each feed, as a socket reusing its memory would.
          let at = 0;
          for (let c = 0; at < stream.length; c++) {
            const size = Math.min(cuts[c % cuts.length]!, stream.length - at);
            const chunk = Buffer.from(stream.subarray(at, at + size));
            parser.feed(chunk);
            chunk.fill(0xee);
            at += size;
          }
          expect(kept.length).toBe(sizes.length);
          expect(kept.every((value, i) => value.equals(expected[i]!))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('10 KiB values kept from many gets stay intact through a real memcached', async () => {
    const client = sharedClient();
    const values = Array.from({ length: 20 }, (_, i) => {
      const value = Buffer.allocUnsafe(10 * 1024 + i);
      stamp(value, i);
      return value;
    });
    await Promise.all(values.map((value, i) => client.set(`perf:slab:${i}`, value)));
    const kept = (await Promise.all(values.map((_, i) => client.get(`perf:slab:${i}`)))) as Buffer[];
    for (let round = 0; round < 5; round++) {
      await Promise.all(values.map((_, i) => client.get(`perf:slab:${(i + round) % values.length}`)));
      await client.getMulti(values.map((_, i) => `perf:slab:${i}`));
    }
    expect(kept.every((value, i) => value.equals(values[i]!))).toBe(true);
  });
});

/** Everything the parser reports for `stream` fed in `chunks`, then the error it threw, if any. */
function parseEvents(stream: Buffer, chunkSize: number): string[] {
  const events: string[] = [];
  const sink: ReplySink = {
    onLine: (src, start, end) => events.push(`line ${src.toString('latin1', start, end)}`),
    onValueHeader: (src, ks, ke, flags, cs, ce) =>
      events.push(`value ${src.toString('latin1', ks, ke)} ${flags} ${cs < 0 ? '-' : src.toString('latin1', cs, ce)}`),
    onMetaHeader: (src, start, end) => events.push(`meta${src.toString('latin1', start, end)}`),
    onValue: (src, start, end) => events.push(`data ${src.toString('latin1', start, end)}`),
  };
  const parser = new ReplyParser(sink);
  try {
    for (let at = 0; at < stream.length; at += chunkSize) parser.feed(stream.subarray(at, at + chunkSize));
  } catch (error) {
    events.push(`threw ${(error as Error).message}`);
  }
  return events;
}

describe('VALUE and END lines read in one pass', () => {
  it('report exactly what the line-by-line path reports, for well-formed and malformed lines (property)', () => {
    // Tokens a VALUE line is made of, and ones that break it.
    const key = fc.oneof(
      fc.constantFrom('k', 'bench:100:000001', 'é', 'a\x7fb', '', 'a\rb', 'a\tb'),
      fc.string({ maxLength: 8 }),
    );
    const number = fc.oneof(
      fc.constantFrom('0', '1', '4294967295', '4294967296', '2147483647', '2147483648', '', 'x', '1x', ' ', '007'),
      fc.nat().map(String),
    );
    const line = fc.oneof(
      fc
        .tuple(key, number, fc.nat({ max: 12 }), fc.option(number, { nil: undefined }))
        .map(([k, flags, bytes, cas]) => `VALUE ${k} ${flags} ${bytes}${cas === undefined ? '' : ` ${cas}`}\r\n`),
      fc
        .tuple(key, number, number, fc.option(number, { nil: undefined }))
        .map(([k, flags, bytes, cas]) => `VALUE ${k} ${flags} ${bytes}${cas === undefined ? '' : ` ${cas}`}\r\n`),
      fc.constantFrom(
        'END\r\n',
        'END\n',
        'ENDX\r\n',
        'EN\r\n',
        'VALUE\r\n',
        'VALUE \r\n',
        'VALUE k 0 1\n',
        'VALUE k 0 1\rX\r\n',
        'VALUE k 0 1 2\rX\r\n',
        'VALUES k 0 1\r\n',
      ),
      fc.string({ maxLength: 12 }).map((text) => `${text}\r\n`),
    );
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 6 }), fc.integer({ min: 2, max: 64 }), (lines, size) => {
        // A well-formed VALUE header is followed by its data block; 'abcdefghijkl' cut to its length.
        const text = lines
          .map((l) => {
            const m = /^VALUE \S+ \d+ (\d+)/.exec(l);
            return m && Number(m[1]) <= 12 ? `${l}${'abcdefghijkl'.slice(0, Number(m[1]))}\r\n` : l;
          })
          .join('');
        const stream = Buffer.from(text, 'utf8');
        // One byte at a time never leaves a whole line in a chunk: the general path reads every line.
        const general = parseEvents(stream, 1);
        expect(parseEvents(stream, stream.length)).toEqual(general);
        expect(parseEvents(stream, size)).toEqual(general);
      }),
      { numRuns: 1000 },
    );
  });
});
