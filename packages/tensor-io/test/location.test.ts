import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { baseName, isNotFound, joinLocation, listFolder, parentLocation, readBytes, readText } from '../src/location.js';

const dir = mkdtempSync(join(tmpdir(), 'tensor-io-location-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
mkdirSync(join(dir, 'sub'));
writeFileSync(join(dir, 'sub', 'a.json'), '{"x":1}');

describe('locations: a path in Node, a URL anywhere', () => {
  it('reads, lists and joins paths like node:fs and node:path', async () => {
    const file = joinLocation(dir, 'sub', 'a.json');
    expect(file).toBe(join(dir, 'sub', 'a.json'));
    expect(await readText(file)).toBe('{"x":1}');
    expect(new TextDecoder().decode(await readBytes(file))).toBe('{"x":1}');
    expect(await listFolder(joinLocation(dir, 'sub'))).toEqual(['a.json']);
    expect(parentLocation(file)).toBe(join(dir, 'sub'));
    expect(baseName(file)).toBe('a.json');
    const missing = await readBytes(joinLocation(dir, 'nope.bin')).catch((e: unknown) => e);
    expect(isNotFound(missing)).toBe(true);
    expect((missing as Error).message).toContain('nope.bin'); // Node's own ENOENT error
  });

  it('reads file: URLs from disk and joins http URLs as folders', async () => {
    expect(await readText(pathToFileURL(join(dir, 'sub', 'a.json')))).toBe('{"x":1}');
    expect(joinLocation('https://example.org/models/shapes', 'encoders', 'color.json')).toBe(
      'https://example.org/models/shapes/encoders/color.json',
    );
    expect(parentLocation('https://example.org/models/shapes/model.json')).toBe('https://example.org/models/shapes/');
    expect(baseName('https://example.org/models/shapes/generator.safetensors')).toBe('generator.safetensors');
    await expect(listFolder('https://example.org/models/shapes')).rejects.toMatchObject({ code: 'LOCATION_UNSUPPORTED' });
  });

  it('fetches URLs (data: URL) and passes bytes through', async () => {
    expect(await readText('data:text/plain,hello')).toBe('hello');
    const bytes = new Uint8Array([1, 2, 3]);
    expect(await readBytes(bytes)).toBe(bytes);
    expect([...(await readBytes(bytes.buffer))]).toEqual([1, 2, 3]);
  });
});
