import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
await tf.setBackend('cpu');
const B = 64, F = 913;
const f = tf.randomNormal([B, F]) as tf.Tensor2D;
function t(name: string, fn: () => tf.Tensor) { tf.tidy(()=>{fn().dataSync()}); const t0=performance.now(); for (let i=0;i<3;i++) tf.tidy(()=>{fn().dataSync()}); console.log(name, ((performance.now()-t0)/3).toFixed(1),'ms'); }
const copies = new Array(B).fill(f);
t('concat0', () => tf.concat(copies, 0));
t('concat1', () => tf.concat(copies, 1));
const A = tf.concat(copies, 0); const S = tf.reshape(tf.concat(copies, 1), [B*B, F]);
t('sub', () => tf.sub(S, A));
const d = tf.sub(S, A);
t('abs', () => tf.abs(d));
t('mean1', () => tf.mean(d, 1));
t('sum1', () => tf.sum(d, 1));
t('square', () => tf.square(d));
t('sign', () => tf.sign(d));
t('div', () => tf.div(d, F));
t('tensor from js', () => { const data = f.dataSync(); const out = new Float32Array(B*B*F); for (let i=0;i<B;i++) for (let j=0;j<B;j++) { const o=(i*B+j)*F; for (let k=0;k<F;k++) out[o+k]=data[i*F+k]-data[j*F+k]; } return tf.tensor2d(out,[B*B,F]); });
