import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyBytes } from '../src/keys.ts';

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
