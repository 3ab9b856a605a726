// Writes testdata/reference.json: upstream face-api's `computeFaceDescriptor` (its own weight loader,
// its own forward, tfjs cpu backend) on the 150×150 centre crop of each test photograph, i.e. the
// default 480/512 crop of the 160×160 PPMs. The tests check the rebuilt forward against these numbers.
// Usage: node scripts/make-reference.cjs
const fs = require('node:fs');
const path = require('node:path');
const { loadUpstream } = require('../../face-common/scripts/upstream-face-api.cjs');

const dir = path.join(__dirname, '..', 'testdata');
function readPpm(file) {
  const b = fs.readFileSync(file);
  const header = b.subarray(0, 20).toString('latin1').split(/\s+/);
  const [w, h] = [Number(header[1]), Number(header[2])];
  return { w, h, data: b.subarray(b.length - w * h * 3) };
}

async function main() {
  const faceapi = await loadUpstream(['faceRecognitionNet']);
  const tf = faceapi.tf;
  const out = {
    generator: 'scripts/make-reference.cjs',
    upstream: `@vladmandic/face-api ${faceapi.version}`,
    backend: tf.getBackend(),
    crop: { fraction: 480 / 512, side: 150 },
    descriptors: {},
  };
  for (const name of ['astronaut', 'camera']) {
    const { w, h, data } = readPpm(path.join(dir, `${name}.ppm`));
    const img = tf.tensor3d(new Float32Array(data), [h, w, 3]);
    const off = Math.floor((w - 150) / 2);
    const crop = tf.slice(img, [off, off, 0], [150, 150, 3]);
    const d = await faceapi.nets.faceRecognitionNet.computeFaceDescriptor(crop);
    out.descriptors[name] = Array.from(d);
    tf.dispose([img, crop]);
  }
  fs.writeFileSync(path.join(dir, 'reference.json'), JSON.stringify(out, null, 1) + '\n');
  console.log('wrote', path.join(dir, 'reference.json'));
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
