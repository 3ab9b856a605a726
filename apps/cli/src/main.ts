/**
 * The command table: flags → library calls. Each command's module (and the heavy libraries it
 * uses: tfjs, the generator, sharp) loads only when that command runs.
 */
import { cac } from 'cac';
import { asList, normalizeArgv, parsePluginFlags } from './args.js';
import { parseBackend } from './backend.js';
import type { Context } from './context.js';
import { EXIT_USAGE, reportError, usageError } from './errors.js';
import { VERSION } from './version.js';

/** Streams and folder the CLI runs against (tests pass their own). */
export interface Io {
  cwd: string;
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown; isTTY?: boolean };
}

const defaultIo = (): Io => ({ cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr });

type Opts = Record<string, unknown>;

const PLUGIN_HELP =
  'the plugin measuring an attribute, instead of the one model.json names (repeatable); a model folder itself may only name installed plugin packages, so a plugin file runs only when given here';

/**
 * Runs the CLI on `argv` (without `node` and the script) and returns the exit code.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], io: Io = defaultIo()): Promise<number> {
  const cli = cac('gan-control');
  let ctx: Context | undefined;
  const verbose = argv.includes('--verbose');
  const makeCtx = (opts: Opts): Context => {
    ctx = {
      cwd: io.cwd,
      out: (line) => io.stdout.write(`${line}\n`),
      info: (line) => io.stderr.write(`${line}\n`),
      isTTY: Boolean(io.stderr.isTTY),
      verbose,
      backend: parseBackend(opts.backend),
      plugins: parsePluginFlags(asList(opts.plugin)),
    };
    return ctx;
  };
  // cac hands an action its positional arguments, then the options object.
  const run =
    (load: () => Promise<(args: string[], opts: Opts, ctx: Context) => Promise<void>>) =>
    async (...params: unknown[]) => {
      const opts = params[params.length - 1] as Opts;
      const args = params.slice(0, -1).map((a) => (a === undefined ? undefined : String(a))) as string[];
      const c = makeCtx(opts);
      const fn = await load();
      await fn(args, opts, c);
    };

  cli
    .option('--backend <name>', 'tfjs backend: auto | tensorflow | wasm | cpu (auto: tfjs-node-gpu, then tfjs-node, then wasm, then cpu)', {
      default: 'auto',
    })
    .option('--verbose', 'show stack traces on errors');

  cli
    .command('demo', 'the embedded default: sweep grids per attribute and the precision table on the bundled shapes model')
    .option('--out <dir>', 'folder for the grids and the report', { default: 'gan-control-demo' })
    .option('--seed <n>', 'seed of the rows', { default: 0 })
    .option('--model <name|path>', 'another model folder instead of the bundled one', { default: 'shapes' })
    .option('--plugin <attribute=package|path>', PLUGIN_HELP)
    .option('--json', 'print the report as JSON')
    .example('  gan-control demo --out demo/')
    .action(run(async () => (await import('./commands/demo.js')).demoCommand));

  cli
    .command('generate', 'generate images with attributes set by value and the rest sampled')
    .option('--model <name|path>', "bundled model name ('shapes') or a checkpoint path", { default: 'shapes' })
    .option('--plugin <attribute=package|path>', PLUGIN_HELP)
    .option('--set <attr[.value]=number>', 'set an attribute value (repeatable): --set pose.yaw=30 --set age=60')
    .option('--seed <n>', 'seed of the sampled latents (the same seed gives the same images)', { default: 0 })
    .option('--count <n>', 'images (or rows of a --sweep grid)', { default: 1 })
    .option('--truncation <psi>', 'truncation ψ toward the mean w (1 = none)', { default: 1 })
    .option('--keep <attr>', "hold this attribute's sampled sub-vector fixed across the batch (repeatable)")
    .option('--sweep <attr[.value]=from:to:steps>', 'a grid: a row per seed, a column per value')
    .option('--out <file.png|dir>', 'one PNG (a grid when there are several images) or a folder of PNGs', { default: 'generated.png' })
    .option('--extrapolate', 'allow values outside the range the encoders were trained on')
    .option(
      '--shift <attr[.value]=±number>',
      "move a value along the model's fitted directions (directions.json; repeatable): --shift color.hue=+40",
    )
    .option('--keep-others', 'with --shift/--set along directions: the conditional edit, every other fitted value held')
    .example('  gan-control generate --model shapes --set color.hue=120 --set size=0.3 --count 4 --out green.png')
    .example('  gan-control generate --model my-model --shift color.hue=+40 --keep-others --count 4 --out warmer.png')
    .example('  gan-control generate --model shapes --sweep color.hue=0:300:6 --count 3 --out hue-sweep.png')
    .example('  gan-control generate --model ./runs/faces/model --set pose.yaw=30 --set age=60 --keep id --count 4 --out out/')
    .action(run(async () => (await import('./commands/generate.js')).generateCommand));

  cli
    .command(
      'invert <image>',
      "project an image (PNG/JPEG, any size: centre square, resized to the model) into the model's latent, saved as JSON",
    )
    .option('--model <name|path>', "bundled model name ('shapes') or a model folder", { default: 'shapes' })
    .option('--plugin <attribute=package|path>', PLUGIN_HELP)
    .option('--steps <n>', 'optimisation steps (NVIDIA projector.py uses 1000)', { default: 300 })
    .option('--mode <w|groups|w+>', 'optimise one w, one w per latent group, or one w per style input', { default: 'groups' })
    .option('--start <encoders|mean>', "start from the encoders applied to the image's measured values, or from the mean w", {
      default: 'encoders',
    })
    .option('--starts <n>', "starts to screen: the encoders' one and n − 1 with the uncontrolled groups drawn from --seed", {
      default: 8,
    })
    .option('--screen-steps <n>', 'steps each start gets before the best one goes on for --steps', { default: 20 })
    .option('--seed <n>', 'seed of the latent noise and the extra starts (the same seed gives the same latent)', { default: 0 })
    .option('--prior <weight>', 'pull toward the latent distribution (0: projector.py; 0.001 measured to edit far better)', {
      default: 0.001,
    })
    .option('--out <latent.json>', 'where the latent goes', { default: 'latent.json' })
    .option('--png <file.png>', 'also write the reconstruction')
    .option('--allow-grayscale', 'project an image without colour anyway')
    .option(
      '--max-pixels <n>',
      'refuse images that declare more pixels than this (default 16777216 = 4096 × 4096; raise it only for files you trust)',
    )
    .option('--json', 'print PSNR, MSE and the measured values as JSON')
    .example('  gan-control invert photo.png --model shapes --out latent.json --png recon.png')
    .action(run(async () => (await import('./commands/invert.js')).invertCommand));

  cli
    .command('edit <input>', 'edit your own picture by value: an image (projected first) or a latent.json from invert')
    .option('--model <name|path>', "bundled model name ('shapes') or a model folder", { default: 'shapes' })
    .option('--plugin <attribute=package|path>', PLUGIN_HELP)
    .option('--set <attr[.value]=number>', 'set an attribute value (repeatable): --set color.hue=200')
    .option('--sweep <attr[.value]=from:to:steps>', 'a row of pictures, one per value')
    .option('--keep <attr>', "hold this group's sub-vector fixed across the row (repeatable)")
    .option('--resample <group>', 'draw this latent group from --seed instead of the picture (repeatable)')
    .option('--truncation <psi>', 'truncation ψ of the picture toward the mean w (1 = none)', { default: 1 })
    .option('--seed <n>', 'seed of --resample and of the projection', { default: 0 })
    .option('--steps <n>', 'projection steps when the input is an image', { default: 300 })
    .option('--mode <w|groups|w+>', 'projection mode when the input is an image', { default: 'groups' })
    .option('--start <encoders|mean>', 'projection start when the input is an image', { default: 'encoders' })
    .option('--starts <n>', 'projection: starts to screen (the uncontrolled groups drawn from --seed)', { default: 8 })
    .option('--screen-steps <n>', 'projection: steps each start gets before the best goes on', { default: 20 })
    .option('--prior <weight>', 'projection: pull toward the latent distribution (0: projector.py)', { default: 0.001 })
    .option(
      '--feedback <n>',
      'closed-loop passes: measure the edited picture, correct the encoder inputs by the miss (default 1 where the plugins measure; 0: the open-loop edit)',
    )
    .option('--save-latent <latent.json>', 'also save the projected latent')
    .option('--allow-grayscale', 'project an image without colour anyway')
    .option(
      '--max-pixels <n>',
      'refuse images that declare more pixels than this (default 16777216 = 4096 × 4096; raise it only for files you trust)',
    )
    .option('--out <file.png>', 'the edited picture (a row with --sweep)', { default: 'edited.png' })
    .option('--extrapolate', 'allow values outside the range the encoders were trained on')
    .option('--json', 'print the measured values as JSON')
    .example('  gan-control edit photo.png --model shapes --set color.hue=200 --out edited.png')
    .example('  gan-control edit latent.json --model shapes --sweep size=0.17:0.33:5 --out sizes.png')
    .action(run(async () => (await import('./commands/edit.js')).editCommand));

  cli
    .command('evaluate', 'control precision (requested vs measured) and leakage per attribute')
    .option('--model <name|path>', "bundled model name ('shapes') or a model folder", { default: 'shapes' })
    .option('--plugin <attribute=package|path>', PLUGIN_HELP)
    .option('--samples <n>', 'base samples per attribute (grid rows)', { default: 4 })
    .option('--steps <n>', 'requested values per attribute (grid columns)', { default: 5 })
    .option('--range-samples <n>', "random samples measuring each attribute's range", { default: 64 })
    .option('--seed <n>', 'seed', { default: 0 })
    .option(
      '--method <name>',
      "gan-control (the model's encoders) | interfacegan (setTo along directions.json) | ganspace (setTo within the components named for each value) | regression (the value regressors of <model>/regression)",
      { default: 'gan-control' },
    )
    .option('--keep-others', 'with --method interfacegan or ganspace: the conditional edit (every other fitted value held)')
    .option('--fit-samples <n>', 'with --method ganspace: samples fitting each value on its named components', { default: 1024 })
    .option(
      '--regression-mode <mode>',
      "with --method regression: residual (w + E(y*) − E(measured y), the seed's rest kept) | replace (w = E(y*))",
    )
    .option(
      '--compare',
      "also the comparison metrics from the same images: leakage into the domain's uncontrolled factors (shape kind), worst leakage, DS, MIG, DCI, realism KS per factor; JSON: { method, model, settings, cost, attributes, metrics }",
    )
    .option('--out <dir>', 'also write a PNG grid per attribute into this folder')
    .option('--json', 'print the report as JSON (per attribute: unit, range, meanError, p90Error, leakage)')
    .example('  gan-control evaluate --model shapes')
    .example('  gan-control evaluate --model runs/shapes --json > precision.json')
    .example('  gan-control evaluate --model my-model --method interfacegan --json')
    .example('  gan-control evaluate --model my-model --method regression --compare --json')
    .action(run(async () => (await import('./commands/evaluate.js')).evaluateCommand));

  cli
    .command(
      'directions',
      'fit post-hoc control on any model: InterFaceGAN boundaries or GANSpace components (saved as <model>/directions.json), or value regressors y → w (saved in <model>/regression/)',
    )
    .option('--model <path>', 'model folder (trained, converted, or a copy of a bundled one)')
    .option('--plugin <attribute=package|path>', PLUGIN_HELP)
    .option(
      '--method <name>',
      'interfacegan (a boundary per measured value) | ganspace (PCA of w, components named by correlation) | regression (an MLP per attribute from its values to the whole w: the encoders without a partition)',
      { default: 'interfacegan' },
    )
    .option('--samples <n>', 'sampled w, each rendered and measured', { default: 2048 })
    .option('--seed <n>', "seed of the samples (disjoint from evaluate's)", { default: 0 })
    .option('--components <k>', 'ganspace: principal components kept', { default: 10 })
    .option('--epochs <n>', 'regression: training epochs (early stopping on the held-out 10 %)', { default: 60 })
    .option('--hidden <widths>', "regression: hidden layer widths, e.g. 256,256,256 (default the encoders' 512,512,512)")
    .option('--json', 'print the fit report as JSON')
    .example('  gan-control directions --model my-model --samples 2048')
    .example('  gan-control directions --model my-model --method ganspace --components 10')
    .example('  gan-control directions --model my-model --method regression --samples 8192 --hidden 256,256,256')
    .action(run(async () => (await import('./commands/directions.js')).directionsCommand));

  cli
    .command('train [config]', 'train a GAN-Control model from a config file (JSON) or a preset')
    .option(
      '--preset <name>',
      'a built-in configuration: shapes-32 (the bundled model), shapes-32-baseline (the same as a plain StyleGAN2), tiny-8 (smoke test)',
    )
    .option('--out <dir>', 'run folder: checkpoints/, samples/, metrics.jsonl, model/ (default: runs/<name>)')
    .option('--resume', 'continue the run in --out from its last complete checkpoint')
    .option('--kimg <n>', 'override the training length (thousands of images)')
    .option('--allow-config-change', 'with --resume: continue a run under a changed config (e.g. a longer --kimg)')
    .option('--r1-gamma <g>', "override the config's R1 weight γ (recorded in the checkpoint's configHistory on a resumed run)")
    .option('--lr <lr>', "override the config's G and D learning rates")
    .option(
      '--clamp-output',
      "clamp the generator's images to [-1, 1] (generator.clampOutput; off in the presets, as in the official network)",
    )
    .option('--minutes <m>', 'stop cleanly (checkpoint saved, exit 0) after this many minutes; --resume continues')
    .option('--json', 'print the result as JSON')
    .example('  gan-control train --preset shapes-32 --out runs/shapes')
    .example('  gan-control train my-config.json --out runs/mine --resume')
    .action(run(async () => (await import('./commands/train.js')).trainCommand));

  cli
    .command('encoders', 'sample (y, w) pairs from a trained model and train its attribute encoders')
    .option('--model <path>', 'model folder (from train or convert); encoders go to its encoders/ folder')
    .option('--plugin <attribute=package|path>', PLUGIN_HELP)
    .option('--samples <n>', 'training pairs to sample', { default: 8192 })
    .option('--epochs <n>', 'maximum epochs per encoder (early stopping may end sooner)', { default: 60 })
    .option('--batch <n>', 'encoder training batch size', { default: 128 })
    .option('--hidden <widths>', 'hidden layer widths (default 512,512,512 as official)')
    .option('--seed <n>', 'seed of the samples, split and initialisation', { default: 0 })
    .option('--data <dir>', 'folder for the sampled pairs (default: <model>/encoder-data)')
    .option(
      '--refine <steps>',
      'after training, refine each encoder through the generator for this many steps (0: none); see gan-control refine',
      { default: 0 },
    )
    .option('--calibrate <n>', "calibration passes after training (0: none): input offsets that cancel each encoder's measured bias", {
      default: 2,
    })
    .option('--calibrate-samples <n>', 'images per calibration knot and pass (24 knots per value)', { default: 32 })
    .option('--resume', 'continue an interrupted sampling run in --data')
    .option('--json', 'print the validation report as JSON')
    .example('  gan-control encoders --model runs/shapes --samples 8192 --epochs 60')
    .action(run(async () => (await import('./commands/encoders.js')).encodersCommand));

  cli
    .command('calibrate', "fit the input calibration of a model's encoders (offsets that cancel each encoder's measured bias)")
    .option('--model <path>', 'model folder with encoders/ (from gan-control encoders)')
    .option('--plugin <attribute=package|path>', PLUGIN_HELP)
    .option('--passes <n>', 'correction passes (one more pass measures the result)', { default: 2 })
    .option('--samples <n>', 'images per knot and pass (24 knots per value)', { default: 32 })
    .option('--seed <n>', "seed of the calibration images (disjoint from evaluate's)", { default: 0 })
    .option('--json', 'print the before/after errors as JSON')
    .example('  gan-control calibrate --model runs/shapes')
    .action(run(async () => (await import('./commands/calibrate.js')).calibrateCommand));

  cli
    .command('refine', "refine a model's encoders through the generator (cycle loss; seams for angles), then recalibrate them")
    .option('--model <path>', 'model folder with encoders/ (from gan-control encoders)')
    .option('--plugin <attribute=package|path>', PLUGIN_HELP)
    .option('--steps <n>', 'Adam steps per encoder', { default: 1000 })
    .option('--only <names>', 'comma-separated attributes to refine (default: every encoder of at most 4 values)')
    .option('--seed <n>', 'seed of the refining and calibration images', { default: 0 })
    .option('--calibrate <n>', 'calibration passes afterwards (0: none)', { default: 2 })
    .option('--calibrate-samples <n>', 'images per calibration knot and pass (24 knots per value)', { default: 32 })
    .option('--json', 'print the before/after errors as JSON')
    .example('  gan-control refine --model runs/shapes --steps 2000')
    .action(run(async () => (await import('./commands/refine.js')).refineCommand));

  cli
    .command('plugins', 'list the attribute plugins installed in this project (read from package.json, not imported)')
    .option('--json', 'print as JSON')
    .example('  gan-control plugins')
    .action(run(async () => (await import('./commands/plugins.js')).pluginsCommand));

  cli
    .command('plugin <action> <name>', "scaffold a plugin package: 'plugin new <name>'")
    .option('--dir <path>', 'target folder (default: ./<package name>)')
    .example('  gan-control plugin new brightness')
    .example('  gan-control plugin new @me/attribute-glow --dir packages/glow')
    .action(run(async () => (await import('./commands/plugin-new.js')).pluginCommand));

  cli
    .command('convert <input>', 'import an official checkpoint into the project format')
    .option('--args <args.json>', 'official GAN-Control args.json (for a GAN-Control checkpoint.pt)')
    .option('--kwargs <config.json>', 'official StyleGAN2-ADA G_kwargs JSON (for a generator .safetensors)')
    .option('--attribute <group[=plugin]>', 'record the attribute plugin of a latent group, for evaluate/encoders (repeatable)')
    .option(
      '--encoder <group=controller.pt>',
      'import an official controller as the encoder of a group; inputs default to yaw,pitch,roll (deg) for orientation and age (years), else group=file@name:unit:min:max,… (repeatable)',
    )
    .option('--out <path>', 'output checkpoint folder')
    .example('  gan-control convert checkpoint.pt --args args.json --attribute orientation=pose --attribute age --out ffhq-model')
    .example('  gan-control convert checkpoint.pt --args args.json --encoder orientation=controller_orientation.pt --out ffhq-model')
    .example('  gan-control convert G.safetensors --kwargs G_kwargs.json --out sg2-model')
    .action(run(async () => (await import('./commands/convert.js')).convertCommand));

  cli
    .command('inspect <path>', "print a checkpoint's resolution, latent groups, attributes and encoders")
    .option('--json', 'print as JSON')
    .example('  gan-control inspect shapes')
    .example('  gan-control inspect runs/shapes/checkpoint --json')
    .action(run(async () => (await import('./commands/inspect.js')).inspectCommand));

  cli
    .command('studio', 'serve the studio (live sliders, measured values) for a model on localhost and print its URL')
    .option('--model <name|path>', "bundled model name ('shapes') or a model folder", { default: 'shapes' })
    .option('--port <n>', 'port on 127.0.0.1 (0: any free port)', { default: 5178 })
    .example('  gan-control studio')
    .example('  gan-control studio --model runs/shapes/model --port 8080')
    .action(run(async () => (await import('./commands/studio.js')).studioCommand));

  cli.help();
  cli.version(VERSION);
  cli.usage('<command> [options]\n\n  Start with: gan-control demo');

  try {
    cli.parse(['node', 'gan-control', ...normalizeArgv(argv)], { run: false });
    if (cli.options.help || cli.options.version) return 0;
    if (!cli.matchedCommand) {
      if (cli.args.length > 0) {
        throw usageError(
          `unknown command '${cli.args[0]}'; commands: ${cli.commands.map((c) => c.name).join(', ')} (see gan-control --help)`,
        );
      }
      cli.outputHelp();
      return EXIT_USAGE;
    }
    await cli.runMatchedCommand();
    return 0;
  } catch (err) {
    const { line, exitCode } = reportError(err, { verbose: ctx?.verbose ?? verbose });
    io.stderr.write(`${line}\n`);
    return exitCode;
  }
}
