import { defineConfig } from 'tsup';
import { getTsupConfig } from '../../scripts/tsup-config.mjs';

export default defineConfig(getTsupConfig({ root: import.meta.dirname }));
