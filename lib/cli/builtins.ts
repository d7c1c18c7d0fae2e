// builtins.ts — registers the built-in commands (info, bench, demo, help). Their code is loaded only
// when they run, so `help` and usage errors work even when the native addon is not built. A model
// module adds its commands (train, sample) the same way: registerCommand in a file imported below.
import { UsageError } from './args';
import { getCommand, registerCommand } from './commands';
import { commandHelp, mainHelp } from './help';
import { SUITES } from './bench';
import { DEMO_DATASETS } from './toyNames';
import { CLD_DATASETS, TRAIN_MODELS } from './cldNames';
import { MODEL_SAMPLE_OPTIONS, MODEL_TRAIN_OPTIONS } from './modelOptions';
import { packageInfo } from './version';

registerCommand({
  name: 'info',
  summary: 'version, CPU threads and SIMD level, OpenMP, CUDA availability',
  options: [],
  details: 'Threads follow TENSORDIFF_NUM_THREADS. CUDA says why it is unavailable (not compiled in, no driver, no device).\n' +
    'When the native addon does not load, info says why and exits with code 1.',
  async run(_args, ctx) {
    let mod: typeof import('./info');
    try {
      mod = await import('./info');
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      const p = packageInfo();
      if (ctx.json) ctx.stdout.write(JSON.stringify({ name: p.name, version: p.version, node: process.version, platform: process.platform, arch: process.arch, addon: { loaded: false, error } }) + '\n');
      else ctx.stdout.write(`${p.name} ${p.version} (node ${process.version}, ${process.platform}-${process.arch})\nnative addon: not loaded\n${error}\n`);
      return 1;
    }
    return mod.runInfo(ctx);
  },
});

registerCommand({
  name: 'bench',
  summary: 'run the benchmarks and print a table (or JSON lines)',
  args: '[suite[:case]...]',
  positionals: { min: 0, max: 32 },
  options: [{ name: 'quick', type: 'boolean', description: 'about 50 ms per case and no PyTorch comparison (smoke test; rough figures)' }],
  details: [
    'Suites (cases): ' + Object.entries(SUITES).map(([s, cs]) => (cs.length ? `${s} (${cs.join(', ')})` : s)).join('; ') + '.',
    'A case can be named alone (gemm) or with its suite (run:gemm). No argument runs every suite (several minutes).',
    'With --json each JSON line of the bench files is printed with a "suite" field added.',
  ].join('\n'),
  async run(args, ctx) {
    return (await import('./bench')).runBench(args, ctx);
  },
});

registerCommand({
  name: 'demo',
  summary: 'train a small flow-matching model on a 2-D toy set, plot samples and loss (about a minute)',
  options: [
    { name: 'steps', type: 'int', default: 25000, min: 1, max: 10_000_000, description: 'training steps' },
    { name: 'batch', type: 'int', default: 512, min: 1, max: 1 << 20, description: 'batch size' },
    { name: 'seed', type: 'int', default: 0, min: 0, max: 2 ** 40, description: 'seed of the initialisation, the data and the sampler' },
    { name: 'out', type: 'string', default: 'tensordiff-demo', valueName: 'DIR', description: 'folder for samples.png, loss.png and model.safetensors' },
    { name: 'data', type: 'string', default: 'checkerboard', choices: DEMO_DATASETS, description: 'the toy set' },
    { name: 'sampler', type: 'string', default: 'heun', choices: ['heun', 'euler'], description: 'flowHeun or flowEuler' },
    { name: 'sample-steps', type: 'int', default: 50, min: 1, max: 10000, description: 'sampler steps' },
    { name: 'samples', type: 'int', default: 2000, min: 1, max: 1_000_000, description: 'points to sample and plot' },
    { name: 'threads', type: 'int', min: 1, max: 1024, description: 'CPU threads (default: TENSORDIFF_NUM_THREADS, else 1: this small model runs fastest on one)' },
  ],
  details: 'Writes samples.png (samples in orange over data points in blue), loss.png (training loss, log scale) and\n' +
    'model.safetensors (load it with examples/checkpoint-sample.js).\n' +
    'Ctrl-C during training stops after the current step, writes the files from the model as it is and exits with code 130.',
  async run(args, ctx) {
    return (await import('./demo')).runDemo(args, ctx);
  },
});

registerCommand({
  name: 'train',
  summary: 'train a model (cld, ul, disco, layersync) on a 2-D toy set or MNIST 16x16; checkpoint and loss plot',
  args: '<model>',
  positionals: { min: 1, max: 1 },
  options: [
    { name: 'data', type: 'string', choices: CLD_DATASETS, description: 'training data (cld: any, default diamond; disco: eightGaussians, diamond, mnist16, default eightGaussians; ul, layersync: mnist16; with --resume: the checkpoint\'s)' },
    { name: 'steps', type: 'int', default: 10000, min: 1, max: 100_000_000, description: 'training steps (with --resume: steps to add)' },
    { name: 'batch', type: 'int', min: 1, max: 1 << 20, description: 'batch size (default cld 512 toy, 32 mnist16; ul 32; disco 256 toy, 32 mnist16; layersync 64)' },
    { name: 'lr', type: 'number', min: 1e-12, max: 10, description: 'Adam learning rate (default 1e-3 toy, 2e-3 mnist16; layersync AdamW 5e-4)' },
    { name: 'seed', type: 'int', min: 0, max: 2 ** 40, description: 'seed of the initialisation, the batches and the noise (default 0)' },
    { name: 'out', type: 'string', valueName: 'DIR', description: 'folder for checkpoint.safetensors and loss.png (default tensordiff-<model>; with --resume: the checkpoint\'s folder)' },
    { name: 'resume', type: 'string', valueName: 'CKPT', description: 'continue from this checkpoint (model, Adam, EMA, step)' },
    { name: 'every', type: 'int', default: 1000, min: 1, max: 100_000_000, valueName: 'K', description: 'write the checkpoint every K steps (and at the end)' },
    { name: 'threads', type: 'int', min: 1, max: 1024, description: 'CPU threads (default: TENSORDIFF_NUM_THREADS, else 1)' },
    ...MODEL_TRAIN_OPTIONS,
  ],
  details: 'Models: ' + TRAIN_MODELS.join(', ') + '. Writes DIR/checkpoint.safetensors (atomically) and DIR/loss.png (training loss, log scale).\n' +
    'A resumed run continues the same trajectory as an uninterrupted one. Ctrl-C finishes the current step, writes the\n' +
    'checkpoint and exits with code 130. ul: stage 1 of Unified Latents (the report gives the bitrate bound in bits/dim and\n' +
    'bits/image, and the decoder loss). disco: DisCo-Diff, then its autoregressive prior on the encoder\'s codes (--prior-steps).\n' +
    'layersync: a class-conditional SiT with the LayerSync regulariser. Options marked ul:, disco:, layersync: are refused\n' +
    'by the other models (exit 2). Examples: tensordiff train cld --data diamond --steps 5000 --out runs/diamond;\n' +
    'tensordiff train ul --steps 300 --loss-factor 3; tensordiff train disco --data eightGaussians --latents 1 --codebook 8;\n' +
    'tensordiff train layersync --steps 2000 --lambda 0.2',
  async run(args, ctx) {
    if (!(TRAIN_MODELS as readonly string[]).includes(args.positionals[0]))
      throw new UsageError(`unknown model '${args.positionals[0]}' (known: ${TRAIN_MODELS.join(', ')})`);
    return (await import('./train')).runTrain(args, ctx);
  },
});

registerCommand({
  name: 'sample',
  summary: 'draw samples from a trained checkpoint (cld, ul, disco, layersync) and plot them (scatter or image grid)',
  args: '<checkpoint>',
  positionals: { min: 1, max: 1 },
  options: [
    { name: 'n', type: 'int', min: 1, max: 10_000_000, description: 'number of samples (default 2000 toy, 64 images; ul 16; layersync: the --labels count, else 20)' },
    { name: 'steps', type: 'int', default: 50, min: 2, max: 100_000, description: 'sampler steps (cld: score evaluations; ul: DDIM steps of base and decoder; disco: Heun noise levels)' },
    { name: 'sampler', type: 'string', choices: ['sscs', 'em', 'ode', 'heun', 'euler', 'sde'], description: 'cld: SSCS (default), Euler-Maruyama or the probability-flow ODE (Heun); layersync: heun (default), euler or sde' },
    { name: 'striding', type: 'string', default: 'quadratic', choices: ['quadratic', 'linear'], description: 'cld: time grid' },
    { name: 'seed', type: 'int', default: 0, min: 0, max: 2 ** 40, description: 'seed of the sampler (and of the reference points)' },
    { name: 'out', type: 'string', default: 'samples.png', valueName: 'FILE', description: 'the PNG to write' },
    { name: 'threads', type: 'int', min: 1, max: 1024, description: 'CPU threads (default: TENSORDIFF_NUM_THREADS, else 1)' },
    ...MODEL_SAMPLE_OPTIONS,
  ],
  details: 'The model is read from the checkpoint\'s metadata. Uses the EMA weights (cld, disco, layersync).\n' +
    'cld and disco toy models: samples in orange over fresh points of the training set in blue (when the\n' +
    'checkpoint names it); image models: an image grid. ul: with --base (a stage-2 base model) an image grid of samples,\n' +
    'without it originals over reconstructions of test digits. layersync: digits of the --labels classes, --cfg guidance.\n' +
    'A missing or corrupt checkpoint exits with code 1.\n' +
    'Example: tensordiff sample runs/diamond/checkpoint.safetensors --n 2000 --steps 20 --out diamond.png',
  async run(args, ctx) {
    return (await import('./sample')).runSample(args, ctx);
  },
});

registerCommand({
  name: 'help',
  summary: 'show the commands, or one command\'s options',
  args: '[command]',
  positionals: { min: 0, max: 1 },
  options: [],
  run(args, ctx) {
    const name = args.positionals[0];
    if (name === undefined) {
      ctx.stdout.write(mainHelp());
      return 0;
    }
    const cmd = getCommand(name);
    if (!cmd) throw new UsageError(`unknown command '${name}'`);
    ctx.stdout.write(commandHelp(cmd));
    return 0;
  },
});
