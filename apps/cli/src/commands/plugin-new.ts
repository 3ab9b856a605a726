/** `gan-control plugin new <name>`: scaffold an attribute-plugin package. */
import type { Context } from '../context.js';
import { stringFlag } from '../args.js';
import { usageError } from '../errors.js';
import { scaffoldPlugin } from '../scaffold.js';

export async function pluginCommand([action, name]: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  if (action !== 'new') throw usageError(`unknown 'plugin' action '${action}'; the only action is 'new': gan-control plugin new <name>`);
  const { dir, files, names } = scaffoldPlugin(name, { cwd: ctx.cwd, dir: stringFlag(opts.dir, '--dir') });
  ctx.out(`created ${names.packageName} (attribute '${names.attribute}') in ${dir}:`);
  for (const f of files) ctx.out(`  ${f}`);
  ctx.out(`next: cd ${dir} && npm install && npm test`);
}
