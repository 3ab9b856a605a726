// Parity with NVIDIA's official stylegan2-ada-pytorch (fixtures in testdata/, see its README):
// every output within 2e-5 · max(max|ref|, 1) (R1 relative to its own peak), on the `cpu`
// backend and, where it initialises, on `wasm`.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  discriminatorLogistic,
  generatorLogisticNS,
  loadOfficialDiscriminator,
  loadOfficialGenerator,
  mixStyles,
  pathLengths,
  r1Penalty,
  type Discriminator,
  type Generator,
} from '../src/index.js';
import { fixtureConfig, readBytes, ref, relErr, RTOL } from './helpers.js';

const gk = fixtureConfig.G_kwargs as { synthesis_kwargs: Record<string, unknown> };
const fx = fixtureConfig.fixture;

describe.each(['cpu', 'wasm'])('official parity on %s', (backend) => {
  let G: Generator;
  let D: Discriminator;
  let previous: string;
  const within = (name: string, got: tf.Tensor, want: string, opts: { peak?: boolean } = {}) => {
    const r = ref(want);
    const e = relErr(got, r, opts);
    r.dispose();
    got.dispose();
    expect(e, `${name} vs ${want}: rel err ${e}`).toBeLessThanOrEqual(RTOL);
  };

  beforeAll(async () => {
    previous = tf.getBackend();
    await tf.setBackend(backend);
    await tf.ready();
    G = loadOfficialGenerator(readBytes('G.safetensors'), fixtureConfig.G_kwargs);
    D = loadOfficialDiscriminator(readBytes('D.safetensors'), fixtureConfig.D_kwargs);
  });
  afterAll(async () => {
    G.dispose();
    D.dispose();
    await tf.setBackend(previous);
  });

  it('mapping: ψ = 1, ψ = 0.7, ψ = 0.7 with cutoff, second latent', () => {
    const z = ref('z') as tf.Tensor2D;
    const z2 = ref('z2') as tf.Tensor2D;
    within('mapping', G.mapping(z), 'ws_psi1');
    within('mapping ψ', G.mapping(z, { truncationPsi: fx.truncation_psi }), 'ws_psi07');
    within('mapping cutoff', G.mapping(z, { truncationPsi: fx.truncation_psi, truncationCutoff: fx.truncation_cutoff }), 'ws_psi07_cutoff');
    within('mapping z2', G.mapping(z2), 'ws2_psi1');
    tf.dispose([z, z2]);
  });

  it('synthesis: const, none, unfused reference, truncated, style-mixed, end to end', () => {
    const ws = ref('ws_psi1') as tf.Tensor3D;
    const ws07 = ref('ws_psi07') as tf.Tensor3D;
    const ws2 = ref('ws2_psi1') as tf.Tensor3D;
    const z = ref('z') as tf.Tensor2D;
    within('synthesis const', G.synthesis(ws, { noiseMode: 'const' }), 'img_const');
    within('synthesis none', G.synthesis(ws, { noiseMode: 'none' }), 'img_none');
    within('synthesis (vs official non-fused)', G.synthesis(ws), 'img_const_unfused');
    within('synthesis ψ', G.synthesis(ws07), 'img_const_psi07');
    const mixed = mixStyles(ws, ws2, fx.mix_crossover);
    within('mixStyles', mixed, 'ws_mix');
    const wsMix = ref('ws_mix') as tf.Tensor3D;
    within('synthesis mix', G.synthesis(wsMix), 'img_mix');
    within('end to end', G.generate(z, { noiseMode: 'const' }), 'img_const');
    tf.dispose([ws, ws07, ws2, z, wsMix]);
  });

  it('discriminator logits on generated and real images', () => {
    for (const [img, logits] of [
      ['img_const', 'logits_const'],
      ['img_none', 'logits_none'],
      ['img_const_psi07', 'logits_psi07'],
      ['img_mix', 'logits_mix'],
      ['x_real', 'logits_real'],
    ]) {
      const x = ref(img) as tf.Tensor4D;
      within(`D(${img})`, D.logits(x), logits);
      x.dispose();
    }
  });

  it('conv_clamp probe (G and D with conv_clamp = 4)', () => {
    const Gc = loadOfficialGenerator(readBytes('G.safetensors'), {
      ...fixtureConfig.G_kwargs,
      synthesis_kwargs: { ...gk.synthesis_kwargs, conv_clamp: fx.probe_conv_clamp },
    });
    const Dc = loadOfficialDiscriminator(readBytes('D.safetensors'), { ...fixtureConfig.D_kwargs, conv_clamp: fx.probe_conv_clamp });
    const ws = ref('ws_psi1') as tf.Tensor3D;
    const img = ref('img_const') as tf.Tensor4D;
    within('clamped synthesis', Gc.synthesis(ws), 'img_const_clampprobe');
    within('clamped D', Dc.logits(img), 'logits_const_clampprobe');
    tf.dispose([ws, img]);
    Gc.dispose();
    Dc.dispose();
  });

  it('w_avg update and loss terms', () => {
    const Gt = G.clone();
    const z = ref('z') as tf.Tensor2D;
    const w = Gt.mapW(z);
    Gt.updateWAvg(w);
    within('w_avg', tf.clone(Gt.wAvg), 'w_avg_after_update');
    Gt.dispose();
    const lc = ref('logits_const');
    const lr = ref('logits_real');
    within('G loss', generatorLogisticNS(lc, { reduction: 'none' }), 'loss_G_nonsat');
    const d = discriminatorLogistic(lr, lc, { reduction: 'none' });
    within('D loss fake', d.fake, 'loss_D_fake');
    within('D loss real', d.real, 'loss_D_real');
    tf.dispose([z, w, lc, lr]);
  });

  it('R1: gradients and penalty', () => {
    const x = ref('x_real') as tf.Tensor4D;
    const r1 = r1Penalty((t) => D.logits(t), x);
    within('R1 logits', r1.logits, 'logits_real');
    within('R1 grad', r1.grads, 'r1_grad', { peak: true });
    within('R1 penalty', r1.penalty, 'r1_penalty', { peak: true });
    x.dispose();
  });

  it('path length: gradients and lengths', () => {
    const ws = ref('ws_psi1') as tf.Tensor3D;
    const ws2 = tf.slice(ws, [0, 0, 0], [fx.pl_batch, G.numWs, G.wDim]) as tf.Tensor3D;
    const noise = ref('pl_noise') as tf.Tensor4D;
    const pl = pathLengths(G, ws2, { plNoise: noise, synthesis: { noiseMode: 'const' } });
    within('pl grads', pl.grads, 'pl_grads');
    within('pl lengths', pl.lengths, 'pl_lengths');
    pl.images.dispose();
    tf.dispose([ws, ws2, noise]);
  });
});
