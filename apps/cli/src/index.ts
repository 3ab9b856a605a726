// Programmatic entry of the gan-control CLI (the executable is dist/cli.js).
export { main } from './main.js';
export type { Io } from './main.js';
export { parseSet, parseSweep, asList } from './args.js';
export type { AttributeRequest, SetRequest, Sweep } from './args.js';
export { CliError, usageError, reportError, formatZodIssues, EXIT_USER, EXIT_USAGE } from './errors.js';
export { createProgress, renderBar, formatDuration } from './progress.js';
export type { Progress } from './progress.js';
export { listInstalledPlugins, resolvePlugin, loadPlugin, manifestSchema } from './plugins.js';
export type { InstalledPlugin, Manifest, ResolvedPlugin } from './plugins.js';
export { scaffoldPlugin, scaffoldNames, scaffoldFiles } from './scaffold.js';
export { startStudioServer, studioAppDir, fileInside } from './commands/studio.js';
export type { StudioServer } from './commands/studio.js';
