// Loads the *upstream* @vladmandic/face-api (its CommonJS node-wasm build, unmodified) on the
// project's own @tensorflow/tfjs-core + cpu backend, so reference outputs can be produced without
// installing the @tensorflow/tfjs umbrella package. Dev-only: used by make-reference / make-testdata.
//
// face-api's node builds `require('@tensorflow/tfjs')`; we resolve that name to a small shim that
// re-exports tfjs-core and restores the deprecated chained tensor methods face-api calls
// (`t.div(…)`, `t.as4D(…)`, …), which the umbrella package registers and tfjs-core's node bundle
// does not. Every chained method is the op of the same name applied to `this`.
const Module = require('node:module');
const path = require('node:path');

const shimPath = path.join(require('node:os').tmpdir(), `gan-control-tfjs-shim-${process.pid}.cjs`);
const fs = require('node:fs');
fs.writeFileSync(
  shimPath,
  `
const core = require(${JSON.stringify(require.resolve('@tensorflow/tfjs-core'))});
require(${JSON.stringify(require.resolve('@tensorflow/tfjs-backend-cpu'))});
const P = core.Tensor.prototype;
for (const [k, f] of Object.entries(core)) {
  if (typeof f === 'function' && /^[a-z]/.test(k) && !(k in P)) P[k] = function (...a) { return f(this, ...a); };
}
P.as1D = function () { return core.reshape(this, [-1]); };
P.as2D = function (a, b) { return core.reshape(this, [a, b]); };
P.as3D = function (a, b, c) { return core.reshape(this, [a, b, c]); };
P.as4D = function (a, b, c, d) { return core.reshape(this, [a, b, c, d]); };
module.exports = core;
`,
);
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === '@tensorflow/tfjs') return shimPath;
  return resolve.call(this, request, ...rest);
};
const faceapi = require(path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'dist/face-api.node-wasm.js'));
fs.rmSync(shimPath, { force: true }); // loaded; the temporary file is no longer needed
const modelDir = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');

/** Loads face-api on the cpu backend with the named nets' weights (through face-api's own loader). */
async function loadUpstream(nets) {
  await faceapi.tf.setBackend('cpu');
  await faceapi.tf.ready();
  for (const n of nets) await faceapi.nets[n].loadFromDisk(modelDir);
  return faceapi;
}

module.exports = { faceapi, loadUpstream, modelDir };
