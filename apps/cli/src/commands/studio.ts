/**
 * `gan-control studio [--model DIR] [--port N]`: serves the built studio (apps/studio/dist) and one
 * model folder on localhost with Node's own http server, and prints the URL. The page runs the
 * model in the browser; nothing is fetched from elsewhere, so it works offline.
 *
 * Two roots only: `/model/…` → the model folder, everything else → the app. A request path is
 * decoded once, must be relative without `..`, NUL or backslashes, and its real path (links
 * followed) must stay inside its root; anything else is 404. The server listens on 127.0.0.1 and
 * answers only requests whose Host is that address or `localhost` (a web page elsewhere cannot reach
 * it through DNS rebinding).
 */
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Context } from '../context.js';
import { CliError, usageError } from '../errors.js';
import { readModelManifest, resolveModelPath } from '../model.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
};

/** Where the built studio is: the `@gan-control/studio` workspace's dist/. */
export function studioAppDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@gan-control/studio/package.json');
    return join(dirname(pkg), 'dist');
  } catch {
    return undefined;
  }
}

/**
 * The file a request path names inside `root`, or undefined when it names nothing there (missing,
 * a folder without index.html, or any way out of the root: `..`, an absolute or encoded path, a link).
 *
 * @example
 * fileInside('/srv/app', 'assets/index.js'); // '/srv/app/assets/index.js'
 * fileInside('/srv/app', '../etc/passwd');   // undefined
 */
export function fileInside(root: string, rel: string): string | undefined {
  if (rel.includes('\0') || rel.includes('\\') || isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) return undefined;
  if (rel.split('/').some((p) => p === '..' || p === '.')) return undefined;
  let realRoot: string;
  let real: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(resolve(realRoot, rel));
    if (statSync(real).isDirectory()) real = realpathSync(join(real, 'index.html'));
  } catch {
    return undefined;
  }
  const r = relative(realRoot, real);
  if (r === '' || r.startsWith('..') || isAbsolute(r) || r.split(sep).includes('..')) return undefined;
  return statSync(real).isFile() ? real : undefined;
}

export interface StudioServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Starts the studio's http server on 127.0.0.1 (`port` 0: any free port).
 *
 * @example
 * const s = await startStudioServer({ appDir: 'apps/studio/dist', modelDir: 'packages/domain-shapes/model', port: 5178 });
 * console.log(s.url); await s.close();
 */
export async function startStudioServer(options: { appDir: string; modelDir: string; port?: number }): Promise<StudioServer> {
  const { appDir, modelDir } = options;
  const host = '127.0.0.1';
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, text: string) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (hostHeader !== host && hostHeader !== 'localhost') return send(403, 'forbidden host');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(405, 'method not allowed');
    }
    let path: string;
    try {
      path = decodeURIComponent(new URL(req.url ?? '/', `http://${host}`).pathname);
    } catch {
      return send(400, 'bad path');
    }
    const [root, rel] = path.startsWith('/model/') ? [modelDir, path.slice('/model/'.length)] : [appDir, path.slice(1)];
    const file = fileInside(root, rel === '' ? 'index.html' : rel);
    if (!file) return send(404, 'not found');
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      'Content-Length': statSync(file).size,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file)
      .on('error', () => res.destroy())
      .pipe(res);
  };
  const server = createServer(handle);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host}:${port}/`,
    server,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** `gan-control studio`: serves until Ctrl-C. */
export async function studioCommand(_args: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw usageError(`--port ${String(opts.port)}: give a port number from 0 to 65535 (0: any free port)`);
  const where = resolveModelPath(String(opts.model ?? 'shapes'), ctx.cwd);
  const { dir } = readModelManifest(where.path);
  const appDir = studioAppDir();
  if (!appDir || !existsSync(join(appDir, 'index.html'))) {
    throw new CliError(
      'CLI_STUDIO_NOT_BUILT',
      `the studio app is not built${appDir ? ` (no ${join(appDir, 'index.html')})` : ' (the @gan-control/studio workspace is not installed next to the CLI)'}; in the gan-control repository run: npm run build -w @gan-control/studio`,
    );
  }
  let s: StudioServer;
  try {
    s = await startStudioServer({ appDir, modelDir: dir, port });
  } catch (err) {
    if ((err as { code?: string }).code === 'EADDRINUSE')
      throw new CliError('CLI_PORT_IN_USE', `port ${port} is in use; pick another with --port N (0: any free port)`, { cause: err });
    throw err;
  }
  ctx.info(`serving model ${where.label} (${dir})`);
  ctx.out(`gan-control studio: ${s.url}`);
  ctx.info('open it in a browser; press Ctrl-C to stop');
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void s.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
