/**
 * Projection off the page's main thread: `projectImage` from `@gan-control/encoders`, run in a
 * module worker on its own copy of the model.
 *
 * Why a worker: `projectImage` runs its steps in one call and only awaits `cost.data()` between
 * them, which on the wasm and cpu backends resolves as a microtask — the browser would neither
 * paint nor handle input until the last step. In a worker the page stays responsive whatever the
 * backend, and Cancel is `worker.terminate()` (an AbortSignal could not be read mid-projection
 * for the same reason). The result is the latent code, plain JSON by design (`latentCodeSchema`),
 * which the page hands to its own `Controller.generate({ latent })`.
 *
 * The settings are the CLI's `gan-control invert` defaults (apps/cli/src/commands/invert.ts):
 * mode 'groups', 8 starts screened for 20 steps each (`encoderStarts`: the encoders' sub-vectors
 * where the model has encoders and the browser can measure, the other groups drawn from seed 0),
 * latent prior 0.001, seed 0; steps from the page (default 300).
 */
import * as tf from '@tensorflow/tfjs-core';
import { encoderStarts, projectImage, type GeneratorLike, type LatentCode } from '@gan-control/encoders';
import type { Attribute } from '@gan-control/contrastive-loss';
import { startBackend } from './backend.js';
import { openModel, sourceOf, type SourceSpec, type StudioModel } from './model.js';

/** What the page asks. `target` is `prepareImage`'s `[1, R, R, 3]` in [-1, 1], flattened. */
export interface ProjectJob {
  readonly type: 'project';
  readonly backend: string;
  /** The page's address (for `tfjs-wasm/` and relative model URLs). */
  readonly page: string;
  readonly source: SourceSpec;
  readonly target: Float32Array;
  readonly resolution: number;
  readonly steps: number;
  /** Send the picture being optimised every this many steps. */
  readonly previewEvery: number;
}

/** What the worker answers. Pictures are RGBA bytes at the model's resolution. */
export type ProjectMessage =
  | { type: 'loading'; what: string }
  | { type: 'progress'; step: number; steps: number; loss: number; elapsedMs: number; preview?: Uint8ClampedArray }
  | {
      type: 'done';
      latent: LatentCode;
      psnr: number;
      mse: number;
      steps: number;
      ms: number;
      image: Uint8ClampedArray;
      start: 'encoders' | 'mean';
      /** Starts screened before the final `steps`. */
      starts: number;
      tensors: number;
      backend: string;
    }
  | { type: 'error'; message: string };

const PRIOR = 0.001;
const STARTS = 8;
const SCREEN_STEPS = 20;

let opened: { key: string; model: StudioModel } | undefined;
let backend: string | undefined;

const post = (m: ProjectMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

/** NHWC [-1, 1] floats → RGBA bytes, as the page's renderer writes them. */
function toRgba(x: ArrayLike<number>, resolution: number): Uint8ClampedArray {
  const out = new Uint8ClampedArray(resolution * resolution * 4);
  for (let i = 0; i < resolution * resolution; i++) {
    for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round((x[i * 3 + c] + 1) * 127.5);
    out[i * 4 + 3] = 255;
  }
  return out;
}

function keyOf(s: SourceSpec): string {
  return 'url' in s ? `url:${new URL(s.url, s.page).href}` : `files:${s.label}:${[...s.files.keys()].sort().join(',')}`;
}

async function run(job: ProjectJob): Promise<void> {
  if (backend === undefined) {
    post({ type: 'loading', what: `the ${job.backend} backend` });
    // The page's backend, else the first that starts in a worker.
    backend = await startBackend(job.backend, job.page).catch(() => startBackend(undefined, job.page));
  }
  const key = keyOf(job.source);
  if (opened?.key !== key) {
    opened?.model.dispose();
    opened = undefined;
    post({ type: 'loading', what: 'the model' });
    opened = { key, model: await openModel(sourceOf(job.source)) };
  }
  const { model } = opened;
  const R = job.resolution;
  const target = tf.tensor4d(job.target, [1, R, R, 3]);
  let image: tf.Tensor4D | undefined;
  try {
    const runtimes: Record<string, Attribute> = {};
    for (const a of model.attributes) if (a.runtime?.measure) runtimes[a.group] = a.runtime;
    const encoders = Object.keys(runtimes).length > 0 && model.controller.encoders.length > 0;
    // The starts' uncontrolled groups sit at (and around) the tracked w average; without one, the mean w.
    const start = model.generator.wAvg ? encoderStarts(model.controller, target, runtimes, { count: STARTS, seed: 0 }) : undefined;

    // The generator as projectImage sees it, with a tap on synthesis: at the steps the page wants
    // a preview, the picture the loss scores is read back (a copy; the tensor stays the tape's).
    const G = model.generator;
    let capture = false;
    let preview: Uint8ClampedArray | undefined;
    const watched: GeneratorLike = {
      zDim: G.zDim,
      wDim: G.wDim,
      numWs: G.numWs,
      groups: G.groups,
      get wAvg() {
        return G.wAvg;
      },
      noiseShapes: () => G.noiseShapes(),
      mapping: (z, o) => G.mapping(z, o),
      synthesis: (ws, o) => {
        const out = G.synthesis(ws, o);
        if (capture) {
          capture = false;
          preview = toRgba(out.dataSync(), R);
        }
        return out;
      },
    };
    const t0 = performance.now();
    const result = await projectImage(watched, target, {
      steps: job.steps,
      mode: 'groups',
      seed: 0,
      start,
      screenSteps: SCREEN_STEPS,
      latentPrior: PRIOR,
      layout: model.controller.groups.length ? { groups: model.controller.groups } : undefined,
      onProgress: (p) => {
        const shown = preview;
        preview = undefined;
        // The next step's synthesis is read when the one after it is due a preview.
        capture = (p.step + 1) % job.previewEvery === 0 || p.step + 1 === p.steps;
        post(
          { type: 'progress', step: p.step, steps: p.steps, loss: p.loss, elapsedMs: p.elapsedMs, preview: shown },
          shown ? [shown.buffer] : [],
        );
      },
    });
    // `tensors` (the worker's count after the job) is the same after every projection: nothing
    // leaks (the first one also leaves the controller's first-use caches).
    image = result.image;
    const rgba = toRgba(await image.data(), R);
    image.dispose();
    image = undefined;
    target.dispose();
    const ms = performance.now() - t0;
    post(
      {
        type: 'done',
        latent: result.latent,
        psnr: result.psnr,
        mse: result.mse,
        steps: result.steps,
        ms,
        image: rgba,
        start: encoders ? 'encoders' : 'mean',
        starts: result.starts,
        tensors: tf.memory().numTensors,
        backend: tf.getBackend(),
      },
      [rgba.buffer],
    );
  } finally {
    image?.dispose();
    if (!target.isDisposed) target.dispose();
  }
}

self.onmessage = (ev: MessageEvent<ProjectJob>) => {
  run(ev.data).catch((e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
};
