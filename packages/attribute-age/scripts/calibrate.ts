// Calibrates τ+ / τ− of the age plugin on real photographs (README "Calibration").
//
// Same age: each face against five nuisance variants of itself (4 px shifted crop, ±20 % brightness,
// 5° in-plane rotation, mirroring) — what the generator changes when only *other* sub-vectors change.
// Different ages: every pair of different faces. Extra faces: `node ../face-common/scripts/make-testdata.cjs --all --out DIR
// s1=…/face-api/demo/sample1.jpg …` (face-api's demo photos, used here only, never copied into the repo).
//
// Usage: tsx scripts/calibrate.ts [DIR with extra <photo>-<k>.ppm faces]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import ageAttribute from '../src/index.js';

function readPpm(file: string): tf.Tensor3D {
  const b = readFileSync(file);
  const m = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(b.subarray(0, 32).toString('latin1'))!;
  const [w, h] = [Number(m[1]), Number(m[2])];
  return tf.tidy(() =>
    tf.sub(tf.div(tf.tensor3d(new Float32Array(b.subarray(m[0].length, m[0].length + w * h * 3)), [h, w, 3]), 127.5), 1),
  );
}

function variants(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = x.shape;
    const shifted = tf.image.resizeBilinear(tf.slice(x, [0, 4, 4, 0], [1, h - 4, w - 4, 3]), [h, w]);
    const brighter = tf.clipByValue(tf.add(x, 0.4), -1, 1);
    const darker = tf.clipByValue(tf.sub(x, 0.4), -1, 1);
    const rotated = tf.sub(tf.image.rotateWithOffset(tf.add(x, 1), (5 * Math.PI) / 180, 0), 1);
    const mirrored = tf.reverse(x, 2);
    return tf.concat([shifted, brighter, darker, rotated, mirrored]) as tf.Tensor4D;
  });
}

const quantile = (v: number[], q: number) => {
  const s = [...v].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  return s[Math.floor(i)] + (s[Math.ceil(i)] - s[Math.floor(i)]) * (i - Math.floor(i));
};
const stats = (v: number[]) => ({
  n: v.length,
  min: Math.min(...v),
  p05: quantile(v, 0.05),
  p16: quantile(v, 0.16),
  median: quantile(v, 0.5),
  p95: quantile(v, 0.95),
  max: Math.max(...v),
});

async function main() {
  await tf.setBackend('cpu');
  const attr = await ageAttribute.setup(ageAttribute.options.parse({}));
  const testdata = join(import.meta.dirname, '..', 'testdata');
  const faces: { photo: string; name: string; file: string }[] = [
    { photo: 'astronaut+camera', name: 'astronaut', file: join(testdata, 'astronaut.ppm') },
    { photo: 'astronaut+camera', name: 'camera', file: join(testdata, 'camera.ppm') },
  ];
  const extra = process.argv[2];
  if (extra)
    for (const f of readdirSync(extra)
      .filter((f) => f.endsWith('.ppm'))
      .sort())
      faces.push({ photo: f.split('-')[0], name: f.replace('.ppm', ''), file: join(extra, f) });

  const emb: number[][] = [];
  const same: number[] = [];
  const d = (a: number[], b: number[]) => Math.abs(a[0] - b[0]);
  const ages: Record<string, number> = {};
  for (const f of faces) {
    const x = tf.tidy(() => tf.expandDims(readPpm(f.file)) as tf.Tensor4D);
    const batch = tf.tidy(() => tf.concat([x, variants(x)]) as tf.Tensor4D);
    const e = tf.tidy(() => (attr.embed(batch) as tf.Tensor2D).arraySync());
    tf.dispose([x, batch]);
    emb.push(e[0]);
    ages[f.name] = Math.round(e[0][0] * 10) / 10;
    for (let k = 1; k < e.length; k++) same.push(d(e[0], e[k]));
    process.stderr.write('.');
  }
  const different: number[] = [];
  for (let i = 0; i < faces.length; i++)
    for (let j = i + 1; j < faces.length; j++) {
      different.push(d(emb[i], emb[j]));
    }
  attr.dispose();
  console.log(
    JSON.stringify(
      {
        distance: '|Δage| (years)',
        faces: faces.length,
        sameVariants: stats(same),
        differentFaces: stats(different),
        age: stats(emb.map((e) => e[0])),
        ages,
      },
      null,
      2,
    ),
  );
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
