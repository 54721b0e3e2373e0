import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../src/index.ts';
import { ownServer, track } from './support.ts';

const PYTHON = '/usr/bin/python3';
const run = promisify(execFile);

/** Runs Python with pylibmc against `address`; `mc` is a pylibmc.Client. Prints what the script prints. */
async function python(address: string, body: string): Promise<string> {
  const script = `import pylibmc, sys, zlib\nmc = pylibmc.Client([sys.argv[1]])\n${body}\n`;
  const { stdout } = await run(PYTHON, ['-c', script, address], { timeout: 15_000 });
  return stdout.trim();
}

const hasPylibmc = existsSync(PYTHON);

describe.skipIf(!hasPylibmc && !process.env.CI)('values shared with pylibmc 1.6 (Python 3)', () => {
  let address = '';
  let client: Client;
  beforeAll(async () => {
    address = (await ownServer()).address;
    client = track(new Client(address));
  });

  it('reads what pylibmc wrote as the matching JS values', async () => {
    await python(
      address,
      `
mc.set('py:bytes', b'\\x00raw\\r\\n')
mc.set('py:str', 'héllo ✓')
mc.set('py:int', 42)
mc.set('py:neg', -7)
mc.set('py:long', 2**70)
mc.set('py:true', True)
mc.set('py:false', False)
mc.set('py:zlib', 'abc' * 2000, min_compress_len=100)
mc.set('py:zbytes', b'xyz' * 2000, min_compress_len=100)
mc.set('py:float', 1.5)
`,
    );
    expect(await client.get('py:bytes')).toEqual(Buffer.from('\0raw\r\n'));
    expect(await client.get('py:str')).toBe('héllo ✓');
    expect(await client.get('py:int')).toBe(42);
    expect(await client.get('py:neg')).toBe(-7);
    expect(await client.get('py:long')).toBe(2n ** 70n);
    expect(await client.get('py:true')).toBe(true);
    expect(await client.get('py:false')).toBe(false);
    expect(await client.get('py:zlib')).toBe('abc'.repeat(2000));
    expect(await client.get('py:zbytes')).toEqual(Buffer.from('xyz'.repeat(2000)));
    // A pickle cannot be read in Node: it comes back as its raw bytes.
    expect(Buffer.isBuffer(await client.get('py:float'))).toBe(true);
  });

  it('writes values pylibmc reads as the matching Python values', async () => {
    const compressing = track(new Client(address, { compressionThreshold: 100 }));
    await client.set('js:bytes', Buffer.from('\0raw\r\n'));
    await client.set('js:str', 'héllo ✓');
    await client.set('js:int', 42);
    await client.set('js:bigint', 2n ** 70n);
    await client.set('js:true', true);
    await client.set('js:json', { a: [1, 2] });
    await compressing.set('js:zlib', 'abc'.repeat(2000));
    const out = await python(
      address,
      `
for k in ['js:bytes', 'js:str', 'js:int', 'js:bigint', 'js:true', 'js:json']:
    print(k, repr(mc.get(k)))
print('js:zlib', mc.get('js:zlib') == 'abc' * 2000)
`,
    );
    expect(out.split('\n')).toEqual([
      "js:bytes b'\\x00raw\\r\\n'",
      "js:str 'héllo ✓'",
      'js:int 42',
      'js:bigint 1180591620717411303424',
      'js:true 1',
      `js:json b'{"a":[1,2]}'`,
      'js:zlib True',
    ]);
  });

  it('getOrSet stores what pylibmc reads, compressed too, and serves what pylibmc stored', async () => {
    const compressing = track(new Client(address, { compressionThreshold: 100 }));
    await client.getOrSet('gos:str', () => 'héllo ✓', { ttl: 60, grace: 30 });
    await client.getOrSet('gos:int', () => 42, { ttl: 60 });
    await compressing.getOrSet('gos:zlib', () => 'abc'.repeat(2000), { ttl: 60 });
    const out = await python(
      address,
      `
print(repr(mc.get('gos:str')), mc.get('gos:int'), mc.get('gos:zlib') == 'abc' * 2000)
mc.set('gos:py', 'from python')
`,
    );
    expect(out).toBe("'héllo ✓' 42 True");
    expect(await client.getOrSet('gos:py', () => 'not run', { ttl: 60 })).toBe('from python');
  });

  it('counters are shared: pylibmc incr on a JS integer and JS incr on a pylibmc int', async () => {
    await client.set('js:counter', 10);
    expect(await python(address, "print(mc.incr('js:counter', 5))")).toBe('15');
    expect(await client.incr('js:counter')).toBe(16);
    await python(address, "mc.set('py:counter', 2**62)");
    expect(await client.incr('py:counter', 2n ** 62n, { bigint: true })).toBe(2n ** 63n);
    expect(await client.get('py:counter')).toBe(2n ** 63n);
    await expect(client.decr('py:counter', 1)).rejects.toMatchObject({
      code: 'ERR_MEMCACHED_COUNTER_UNSAFE',
      value: 2n ** 63n - 1n,
    });
    expect(await python(address, "print(mc.get('py:counter'))")).toBe(String(2n ** 63n - 1n));
  });
});
