import { defineConfig } from 'tsup';
import { getTsupConfig } from '../../scripts/tsup-config.mjs';

export default defineConfig(getTsupConfig({ entry: ['src/index.ts', 'src/node.ts'], root: import.meta.dirname }));
