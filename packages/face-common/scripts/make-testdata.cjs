// Makes a face plugin's test photographs (./testdata of the package it runs in) from freely licensed
// source images (see the plugins' testdata/README.md):
// detects the face with upstream face-api (SSD MobileNet + 68 landmarks), cuts an axis-aligned square
// around it the way FFHQ aligns faces (centre = eye midpoint + 0.1·eye→mouth, side = 2·max(2·|eye→eye|,
// 1.8·|eye→mouth|)), resizes it to 160×160 and writes binary PPM (P6), which the tests read with no
// image library. Usage, from a plugin package: node ../face-common/scripts/make-testdata.cjs [--out DIR] [--all] <name>=<image path> [...]
// (--all: every detected face, written as <name>-<k>.ppm; used by scripts/calibrate.ts for more identities).
const fs = require('node:fs');
const path = require('node:path');
const sharp = require('sharp');
const { loadUpstream } = require('./upstream-face-api.cjs');

const SIZE = 160;

async function main() {
  const faceapi = await loadUpstream(['ssdMobilenetv1', 'faceLandmark68Net']);
  const tf = faceapi.tf;
  const args = process.argv.slice(2);
  const outAt = args.indexOf('--out');
  const out = outAt >= 0 ? args.splice(outAt, 2)[1] : path.join(process.cwd(), 'testdata');
  const allAt = args.indexOf('--all');
  const all = allAt >= 0 && args.splice(allAt, 1).length > 0;
  fs.mkdirSync(out, { recursive: true });
  for (const arg of args) {
    const [name, file] = arg.split('=');
    const { data, info } = await sharp(file).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const rgb =
      info.channels === 3
        ? data
        : Buffer.from(
            Array.from(
              { length: info.width * info.height * 3 },
              (_, i) => data[Math.floor(i / 3) * info.channels + (info.channels === 1 ? 0 : i % 3)],
            ),
          );
    const img = tf.tensor3d(new Uint8Array(rgb), [info.height, info.width, 3], 'int32');
    const found = all ? await faceapi.detectAllFaces(img).withFaceLandmarks() : [await faceapi.detectSingleFace(img).withFaceLandmarks()];
    img.dispose();
    if (!found[0]) throw new Error(`no face found in ${file}`);
    for (const [k, res] of found.entries()) {
      const faceName = all ? `${name}-${k}` : name;
      const p = res.landmarks.positions;
      const mean = (a, b) => p.slice(a, b).reduce((s, q) => [s[0] + q.x / (b - a), s[1] + q.y / (b - a)], [0, 0]);
      const eyeL = mean(36, 42),
        eyeR = mean(42, 48);
      const eye = [(eyeL[0] + eyeR[0]) / 2, (eyeL[1] + eyeR[1]) / 2];
      const mouth = [(p[48].x + p[54].x) / 2, (p[48].y + p[54].y) / 2];
      const e2e = Math.hypot(eyeR[0] - eyeL[0], eyeR[1] - eyeL[1]);
      const e2m = [mouth[0] - eye[0], mouth[1] - eye[1]];
      const c = [eye[0] + 0.1 * e2m[0], eye[1] + 0.1 * e2m[1]];
      const side = Math.round(2 * Math.max(2 * e2e, 1.8 * Math.hypot(e2m[0], e2m[1])));
      const left = Math.round(c[0] - side / 2),
        top = Math.round(c[1] - side / 2);
      const ext = {
        left: Math.max(0, -left),
        top: Math.max(0, -top),
        right: Math.max(0, left + side - info.width),
        bottom: Math.max(0, top + side - info.height),
      };
      const crop = await sharp(Buffer.from(rgb), { raw: { width: info.width, height: info.height, channels: 3 } })
        .extend({ ...ext, extendWith: 'mirror' })
        .extract({ left: left + ext.left, top: top + ext.top, width: side, height: side })
        .resize(SIZE, SIZE, { kernel: 'lanczos3' })
        .raw()
        .toBuffer();
      fs.writeFileSync(path.join(out, `${faceName}.ppm`), Buffer.concat([Buffer.from(`P6\n${SIZE} ${SIZE}\n255\n`), crop]));
      console.log(
        `${faceName}: score ${res.detection.score.toFixed(3)}, crop ${side}px at (${left}, ${top}) of ${info.width}×${info.height}`,
      );
    }
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
