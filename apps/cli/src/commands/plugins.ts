/** `gan-control plugins`: attribute plugins installed in the user's project, from their manifests. */
import type { Context } from '../context.js';
import { listInstalledPlugins } from '../plugins.js';
import { formatTable } from '../table.js';

export async function pluginsCommand(_args: string[], opts: Record<string, unknown>, ctx: Context): Promise<void> {
  const installed = listInstalledPlugins(ctx.cwd);
  if (opts.json) {
    ctx.out(
      JSON.stringify(
        installed.map((p) => ({
          package: p.packageName,
          version: p.version,
          dir: p.dir,
          attributes:
            p.manifest?.attributes.map((a) => ({ name: a.name, values: a.values.map((v) => ({ name: v.name, unit: v.unit })) })) ?? [],
          ...(p.problem ? { problem: p.problem } : {}),
        })),
        null,
        2,
      ),
    );
    return;
  }
  if (installed.length === 0) {
    ctx.out(
      `no attribute plugins installed in ${ctx.cwd}; install one (npm install @gan-control/attribute-pose) or create one (gan-control plugin new <name>)`,
    );
    return;
  }
  const rows: string[][] = [];
  for (const p of installed) {
    if (!p.manifest) {
      rows.push(['?', `${p.packageName}@${p.version}`, p.problem ?? '']);
      continue;
    }
    for (const a of p.manifest.attributes) {
      const units = [...new Set(a.values.map((v) => v.unit))].join(', ');
      const values =
        a.values.length === 0
          ? '-'
          : a.values.length > 6
            ? `${a.values.length} values ${a.values[0].name} … ${a.values[a.values.length - 1].name} (${units})`
            : a.values.map((v) => `${v.name} (${v.unit})`).join(', ');
      rows.push([a.name, `${p.packageName}@${p.version}`, values]);
    }
  }
  ctx.out(formatTable(['attribute', 'package', 'values (unit)'], rows));
}
