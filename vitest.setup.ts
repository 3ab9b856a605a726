// Every test runs on the pure-JS cpu backend unless it selects another one itself, with the same
// gradient set as the libraries register everywhere (tests and training differentiate alike).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@gan-control/gradients';

await tf.setBackend('cpu');
await tf.ready();
