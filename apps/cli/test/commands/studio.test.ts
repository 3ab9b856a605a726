import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main.js';
import { fileInside, startStudioServer, type StudioServer } from '../../src/commands/studio.js';

/** A raw GET (no URL normalisation by a client library), with an optional Host header. */
function get(url: string, path: string, host?: string): Promise<{ status: number; body: string; type?: string }> {
  const u = new URL(url);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET', headers: host ? { host } : {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('studio server', () => {
  let base: string;
  let server: StudioServer;

  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'studio-server-'));
    mkdirSync(join(base, 'app/assets'), { recursive: true });
    mkdirSync(join(base, 'model/encoders'), { recursive: true });
    writeFileSync(join(base, 'app/index.html'), '<!doctype html>app');
    writeFileSync(join(base, 'app/assets/a.js'), 'console.log(1)');
    writeFileSync(join(base, 'model/model.json'), '{"format":"gan-control-model"}');
    writeFileSync(join(base, 'model/encoders/color.json'), '{}');
    writeFileSync(join(base, 'secret.txt'), 'secret');
    symlinkSync(join(base, 'secret.txt'), join(base, 'model/link.txt'));
    server = await startStudioServer({ appDir: join(base, 'app'), modelDir: join(base, 'model'), port: 0 });
  });

  afterAll(async () => {
    await server?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('serves the app and the model folder on 127.0.0.1', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const index = await get(server.url, '/');
    expect(index).toMatchObject({ status: 200, body: '<!doctype html>app' });
    expect(index.type).toContain('text/html');
    expect((await get(server.url, '/assets/a.js')).type).toContain('text/javascript');
    expect(await get(server.url, '/model/model.json')).toMatchObject({ status: 200, body: '{"format":"gan-control-model"}' });
    expect((await get(server.url, '/model/encoders/color.json?x=1')).status).toBe(200);
    expect((await get(server.url, '/nope.js')).status).toBe(404);
  });

  it('never serves a file outside its two roots', async () => {
    for (const path of [
      '/../secret.txt',
      '/model/../../secret.txt',
      '/model/%2e%2e/%2e%2e/secret.txt',
      '/model/..%2f..%2fsecret.txt',
      '/model/..%5c..%5csecret.txt',
      '/%2e%2e/secret.txt',
      '/model/link.txt',
      '/model/%00model.json',
      `/${encodeURIComponent(join(base, 'secret.txt'))}`,
      '/model/%252e%252e/secret.txt',
    ]) {
      const r = await get(server.url, path);
      expect(r.body, path).not.toContain('secret');
      expect([400, 404], path).toContain(r.status);
    }
  });

  it('answers only localhost hosts and GET/HEAD', async () => {
    expect((await get(server.url, '/', 'evil.example:80')).status).toBe(403);
    expect((await get(server.url, '/', `localhost:${new URL(server.url).port}`)).status).toBe(200);
    const r = await new Promise<number>((ok, fail) => {
      const u = new URL(server.url);
      const req = request({ host: u.hostname, port: u.port, path: '/', method: 'POST' }, (res) => {
        res.resume();
        ok(res.statusCode ?? 0);
      });
      req.on('error', fail);
      req.end('x');
    });
    expect(r).toBe(405);
  });

  it('fileInside rejects escapes and resolves folders to index.html', () => {
    const app = join(base, 'app');
    expect(fileInside(app, 'assets/a.js')).toBe(join(app, 'assets/a.js'));
    expect(fileInside(app, '')).toBe(join(app, 'index.html'));
    expect(fileInside(app, '../secret.txt')).toBeUndefined();
    expect(fileInside(app, join(base, 'secret.txt'))).toBeUndefined();
    expect(fileInside(join(base, 'model'), 'link.txt')).toBeUndefined();
    expect(fileInside(app, 'assets\\..\\..\\secret.txt')).toBeUndefined();
  });

  it('gan-control studio rejects a bad --port (usage error, exit 2)', async () => {
    let err = '';
    const code = await main(['studio', '--port', 'abc'], {
      cwd: base,
      stdout: { write: () => true },
      stderr: { write: (c: string) => (err += c) },
    });
    expect(code).toBe(2);
    expect(err).toContain('--port abc');
  });
});
