#!/usr/bin/env node
// `npm run bench`: one run, one machine — the conv table, the StyleGAN2 generator and the full
// GAN-Control training step at 32 and 64 px, a profile of that step (ms per phase beside PyTorch's,
// ms/calls/MB per kernel), each attribute plugin's forward/backward at batch 16, for every
// available backend, with PyTorch alongside when `python3 -c "import torch"` works (its BLAS and
// both thread counts printed; wall and CPU ms on both sides).
// Sources are loaded through tsx (workspace packages from src/, no build needed).
//
//   npm run bench                      everything (several minutes on 2 cores)
//   npm run bench -- --quick           fewer repetitions, 32 px only
//   npm run bench -- --only conv,gan,profile,plugins --json bench.json --no-torch --python /usr/bin/python3
//                    --torch-threads 2,1 --reps 5 --steps 4 --resolutions 32,64 --full
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
register({ tsconfig: join(root, 'tsconfig.base.json') });
const { main } = await import(pathToFileURL(join(root, 'scripts', 'bench', 'main.ts')).href);
await main(process.argv.slice(2));
