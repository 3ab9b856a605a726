#!/usr/bin/env node
// Builds the optional native addon of @gan-control/backend (native/gan_native.cc, N-API) into
// build/gan_control_native.node with the C++ compiler already on the machine and the Node headers
// that ship with Node. Never needs the network. Tuned for the building CPU (-march=native); a
// sidecar JSON records that CPU so the loader rebuilds or skips the addon on another machine.
//
//   node scripts/build-native.mjs            build (exit 1 with the reason on failure)
//   node scripts/build-native.mjs --install  as an npm install script: never fails the install
//   node scripts/build-native.mjs --force    rebuild even if up to date
import { buildNative } from './native-build-lib.mjs';

const args = new Set(process.argv.slice(2));
const result = buildNative({ force: args.has('--force'), log: (m) => console.log(`@gan-control/backend: ${m}`) });
if (result.ok) {
  console.log(`@gan-control/backend: native addon ${result.built ? 'built' : 'up to date'}: ${result.path}`);
} else {
  const msg = `@gan-control/backend: native addon not built (${result.reason}); the wasm/cpu kernels are used instead.`;
  if (args.has('--install')) console.warn(msg);
  else {
    console.error(msg);
    process.exitCode = 1;
  }
}
