export { expectNoLeaks, trackTensors, trackPageTensors } from './leaks.js';
export type { LeakCheckOptions, TrackTensorsOptions, TensorTracker, PageTensorTracker, TfPage } from './leaks.js';
export { fakeAttributePlugin, fakeOptionsSchema } from './fake-plugin.js';
export type { FakePlugin, FakePluginCalls } from './fake-plugin.js';
export { solidImages, randomImages } from './images.js';
export { readPpm, photoFixtures, maxAbsDiff, onBackend, measureRows } from './photos.js';
export type { PpmImage, PhotoFixtures } from './photos.js';
export { pairGradient } from './gradients.js';
