// The same model folder, read from disk and over HTTP (fetch — the path a browser takes), gives
// the same controller and the same images; a URL folder cannot be listed, so the encoders are found
// by latent group.
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shapesModel } from '@gan-control/domain-shapes';
import { Controller, loadEncoders } from '../src/index.js';

const modelDir = resolve(import.meta.dirname, '../../domain-shapes/model');
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const file = normalize(join(modelDir, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)));
    if (!file.startsWith(modelDir)) {
      res.writeHead(403).end();
      return;
    }
    // One request per connection: a pooled keep-alive socket the server already closed would
    // surface as a random ECONNRESET in fetch.
    readFile(file).then(
      (bytes) => res.writeHead(200, { connection: 'close' }).end(bytes),
      () => res.writeHead(404, { connection: 'close' }).end(),
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

describe('Controller.load from a URL', () => {
  it('gives the controller and images of the folder on disk', async () => {
    const local = await Controller.load(modelDir);
    const remote = await Controller.load(base);
    try {
      expect(remote.supported).toEqual(local.supported);
      const opts = { set: { color: 120, size: 0.3 }, seed: 4, count: 2 };
      const a = local.generate(opts);
      const b = remote.generate(opts);
      expect(await a.images.data()).toEqual(await b.images.data());
      tf.dispose([a.images, a.ws, b.images, b.ws]);
    } finally {
      local.dispose();
      remote.dispose();
    }
  });

  it('finds encoders behind a URL by group, skipping groups without one; needs the groups to', async () => {
    const encoders = await loadEncoders(`${base}encoders`, { groups: ['size', 'other', 'color'] });
    expect(encoders.map((e) => e.group)).toEqual(['color', 'size']);
    for (const e of encoders) e.dispose();
    await expect(loadEncoders(`${base}encoders`)).rejects.toMatchObject({
      code: 'ENCODERS_BAD_FILE',
      message: expect.stringMatching(/cannot list encoders/),
    });
  });

  it('a missing model is a clear error naming the URL', async () => {
    await expect(Controller.load(`${base}no-such-model/`)).rejects.toThrow(/no-such-model\/generator\.safetensors/);
  });
});

describe('the bundled model by its exported location', () => {
  it('Controller.load(shapesModel) is the controller of packages/domain-shapes/model', async () => {
    expect(shapesModel.protocol).toBe('file:');
    const byUrl = await Controller.load(shapesModel);
    const byPath = await Controller.load(modelDir);
    try {
      expect(byUrl.supported).toEqual(byPath.supported);
      const a = byUrl.generate({ seed: 3, count: 2, set: { color: 120 } });
      const b = byPath.generate({ seed: 3, count: 2, set: { color: 120 } });
      expect(await a.images.data()).toEqual(await b.images.data());
      tf.dispose([a.images, a.ws, b.images, b.ws]);
    } finally {
      byUrl.dispose();
      byPath.dispose();
    }
  });
});
