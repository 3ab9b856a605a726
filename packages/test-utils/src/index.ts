export { expectNoLeaks } from './leaks';
export type { LeakCheckOptions } from './leaks';
export { fakeAttributePlugin, fakeOptionsSchema } from './fake-plugin';
export type { FakePlugin, FakePluginCalls } from './fake-plugin';
export { solidImages, randomImages } from './images';
export { readPpm, photoFixtures, maxAbsDiff, onBackend, measureRows } from './photos';
export type { PpmImage, PhotoFixtures } from './photos';
export { pairGradient } from './gradients';
