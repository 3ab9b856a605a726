/**
 * Speed of the official GAN-Control generator layout at full size, with random weights of the
 * released FFHQ shapes (512 px, latent 512 in 7 groups, n_mlp 8, rosinality channel table with
 * channel_multiplier 2). Not a test: run `npx tsx packages/stylegan2/src/gan-control/gan-control.bench.ts [cpu|wasm] [resolution]`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadGanControlGenerator } from './generator.js';
import type { GanControlStateDict } from './weights.js';

const backend = process.argv[2] ?? 'cpu';
const size = Number(process.argv[3] ?? 512);
const cm = 2;
const table: Record<number, number> = {
  4: 512,
  8: 512,
  16: 512,
  32: 512,
  64: 256 * cm,
  128: 128 * cm,
  256: 64 * cm,
  512: 32 * cm,
  1024: 16 * cm,
};
const groups: [string, number][] = [
  ['id', 128],
  ['expression', 64],
  ['pose', 64],
  ['illumination', 64],
  ['age', 64],
  ['hair', 64],
  ['other', 64],
];
const latent = 512;

let seed = 12345;
function rand(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    a[i] = ((seed / 2 ** 32) * 2 - 1) * scale;
  }
  return a;
}
const blur = (f: number) => ({
  shape: [4, 4],
  data: Float32Array.from([1, 3, 3, 1].flatMap((a) => [1, 3, 3, 1].map((b) => (a * b * f) / 64))),
});

const sd: GanControlStateDict = {};
const t = (name: string, shape: number[], scale = 1) =>
  (sd[name] = {
    shape,
    data: rand(
      shape.reduce((a, b) => a * b, 1),
      scale,
    ),
  });
for (const [g, d] of groups) {
  for (let i = 1; i <= 8; i++) {
    const inn = i === 1 ? d : 256;
    const out = i === 8 ? d : 256;
    t(`style.${g}.${i}.weight`, [out, inn], 100);
    t(`style.${g}.${i}.bias`, [out]);
  }
}
t('input.input', [1, table[4], 4, 4]);
const styled = (p: string, inn: number, out: number, up: boolean) => {
  t(`${p}.conv.weight`, [1, out, inn, 3, 3]);
  if (up) sd[`${p}.conv.blur.kernel`] = blur(4);
  t(`${p}.conv.modulation.weight`, [inn, latent]);
  t(`${p}.conv.modulation.bias`, [inn]);
  t(`${p}.noise.weight`, [1], 0.1);
  t(`${p}.activate.bias`, [out], 0.1);
};
const rgb = (p: string, inn: number, up: boolean) => {
  t(`${p}.bias`, [1, 3, 1, 1], 0.1);
  if (up) sd[`${p}.upsample.kernel`] = blur(4);
  t(`${p}.conv.weight`, [1, 3, inn, 1, 1]);
  t(`${p}.conv.modulation.weight`, [inn, latent]);
  t(`${p}.conv.modulation.bias`, [inn]);
};
styled('conv1', table[4], table[4], false);
rgb('to_rgb1', table[4], false);
let inC = table[4];
for (let r = 8, i = 0; r <= size; r *= 2, i += 2) {
  styled(`convs.${i}`, inC, table[r], true);
  styled(`convs.${i + 1}`, table[r], table[r], false);
  rgb(`to_rgbs.${i / 2}`, table[r], true);
  inC = table[r];
}
for (let i = 0, n = 2 * Math.log2(size) - 3; i < n; i++) {
  const r = 4 * 2 ** Math.floor((i + 1) / 2);
  t(`noises.noise_${i}`, [1, 1, r, r]);
}
const args = {
  model_config: { size, latent_size: latent, n_mlp: 8, channel_multiplier: cm, split_fc: true, conv_transpose: true, img_channels: 3 },
  training_config: {
    sub_groups_dict: Object.fromEntries(
      groups.reduce<[string, { place_in_latent: [number, number] }][]>((acc, [g, d]) => {
        const at = acc.length ? acc[acc.length - 1][1].place_in_latent[1] : 0;
        acc.push([g, { place_in_latent: [at, at + d] }]);
        return acc;
      }, []),
    ),
  },
};

if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend(backend);
await tf.ready();
const params = Object.values(sd).reduce((a, x) => a + x.data.length, 0);
const G = loadGanControlGenerator(sd, args);
const z = tf.randomNormal([1, latent], 0, 1, 'float32', 1) as tf.Tensor2D;
// Multiply-adds ×2 of the synthesis convolutions (the bulk of the work): 3×3 convs at each
// resolution, the transposed 3×3 up-convs counted at their input resolution, 1×1 ToRGBs.
let flops = 2 * 9 * table[4] * table[4] * 16 + 2 * table[4] * 3 * 16;
for (let r = 8; r <= size; r *= 2)
  flops += 2 * 9 * table[r / 2] * table[r] * (r / 2) ** 2 + 2 * 9 * table[r] * table[r] * r * r + 2 * table[r] * 3 * r * r;
for (let run = 0; run < 2; run++) {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const img = tf.tidy(() => G.synthesis(G.mapping(z)));
  await img.data();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(
    JSON.stringify({
      backend: tf.getBackend(),
      resolution: size,
      params,
      run,
      wallSeconds: +(ms / 1000).toFixed(2),
      cpuSeconds: +cpuSeconds.toFixed(2),
      gflop: +(flops / 1e9).toFixed(2),
      gflopPerCpuSecond: +(flops / 1e9 / cpuSeconds).toFixed(2),
      shape: img.shape,
    }),
  );
  img.dispose();
}
G.dispose();
