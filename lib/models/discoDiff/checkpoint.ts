// checkpoint.ts — one safetensors file (td.io) per DisCo-Diff checkpoint:
//   tensors  'model.<name>'  the DiscoDiffModel state dict (encoder, embedding, denoiser)
//            'ema.<key>'     the EMA shadows;  'optim.<key>'  the Adam state
//            'prior.<name>'  the ARPrior state dict (when one is given)
//   metadata format 'tensordiff-disco/1'; model config, train config, step, optimizer and EMA meta,
//            prior config (or 'null'), each as JSON.
// saveCheckpoint writes it (atomically); loadModel rebuilds the model (EMA weights by default) and
// the prior; resumeTrainer rebuilds model + trainer and continues the same trajectory.
import { Tensor } from '../../tensor';
import { dispose } from '../../memory';
import { save, load, readHeader } from '../../io/safetensors';
import { OptimizerStateDict } from '../../optim/optimizer';
import { EMAStateDict } from '../../optim/ema';
import { DiscoDiffModel, DiscoDiffConfig } from './model';
import { DiscoTrainer, DataSource, DiscoTrainConfig } from './train';
import { ARPrior, ARPriorConfig } from './prior';

const FORMAT = 'tensordiff-disco/1';

/** Write the trainer's model, EMA, Adam state and step (and the prior, if given) to `path`. */
export function saveCheckpoint(trainer: DiscoTrainer, path: string, o: { prior?: ARPrior | null } = {}): void {
  if (!(trainer instanceof DiscoTrainer)) throw new TypeError('saveCheckpoint: trainer must be a DiscoTrainer');
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('saveCheckpoint: path must be a non-empty string');
  const prior = o.prior ?? null;
  if (prior !== null && !(prior instanceof ARPrior)) throw new TypeError('saveCheckpoint: prior must be an ARPrior or null');
  const msd = trainer.model.stateDict(), esd = trainer.ema.stateDict(), osd = trainer.opt.stateDict();
  const psd = prior ? prior.stateDict() : {};
  try {
    const tensors: Record<string, Tensor> = {};
    for (const [k, t] of Object.entries(msd)) tensors[`model.${k}`] = t;
    for (const [k, t] of Object.entries(esd.tensors)) tensors[`ema.${k}`] = t;
    for (const [k, t] of Object.entries(osd.tensors)) tensors[`optim.${k}`] = t;
    for (const [k, t] of Object.entries(psd)) tensors[`prior.${k}`] = t;
    const { seed, ...rest } = trainer.model.config;
    save(tensors, path, {
      format: FORMAT,
      model: JSON.stringify(seed === null ? rest : { ...rest, seed }),
      train: JSON.stringify(trainer.config),
      step: String(trainer.step),
      optimizer: JSON.stringify(osd.meta),
      ema: JSON.stringify(esd.meta),
      prior: JSON.stringify(prior ? priorConfigOf(prior) : null),
    });
  } finally {
    dispose([msd, esd.tensors, osd.tensors, psd]);
  }
}

function priorConfigOf(p: ARPrior): ARPriorConfig {
  const { seed, ...rest } = p.config;
  return seed === null ? rest : { ...rest, seed };
}

interface Parsed {
  t: Record<'model' | 'ema' | 'optim' | 'prior', Record<string, Tensor>>;
  meta: { model: DiscoDiffConfig; train: DiscoTrainConfig; step: number; optimizer: OptimizerStateDict['meta']; ema: EMAStateDict['meta']; prior: ARPriorConfig | null };
}

function readCheckpoint(op: string, path: string): Parsed {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`${op}: path must be a non-empty string`);
  const md = readHeader(path).metadata ?? {};
  if (md.format !== FORMAT) throw new TypeError(`${op}: ${path} is not a DisCo-Diff checkpoint (metadata format ${JSON.stringify(md.format)}, expected '${FORMAT}')`);
  let meta: Parsed['meta'];
  try {
    meta = { model: JSON.parse(md.model), train: JSON.parse(md.train), step: Number(md.step), optimizer: JSON.parse(md.optimizer), ema: JSON.parse(md.ema), prior: JSON.parse(md.prior) };
  } catch (e) {
    throw new TypeError(`${op}: ${path} has malformed metadata (${(e as Error).message})`);
  }
  if (!Number.isInteger(meta.step) || meta.step < 0) throw new TypeError(`${op}: ${path} has a bad step ${JSON.stringify(md.step)}`);
  const all = load(path);
  const t: Parsed['t'] = { model: {}, ema: {}, optim: {}, prior: {} };
  for (const [k, v] of Object.entries(all)) {
    const i = k.indexOf('.');
    const pre = k.slice(0, i);
    if (pre === 'model' || pre === 'ema' || pre === 'optim' || pre === 'prior') t[pre][k.slice(i + 1)] = v;
    else {
      dispose(all);
      throw new TypeError(`${op}: ${path} has an unexpected tensor '${k}'`);
    }
  }
  return { t, meta };
}

/**
 * Rebuild a trained model (EMA weights unless `ema: false`) and its prior (null when the
 * checkpoint has none) from a checkpoint.
 */
export function loadModel(path: string, o: { ema?: boolean } = {}): { model: DiscoDiffModel; prior: ARPrior | null } {
  const op = 'loadModel';
  const p = readCheckpoint(op, path);
  const model = new DiscoDiffModel(p.meta.model);
  let prior: ARPrior | null = null;
  try {
    model.loadStateDict(p.t.model);
    if (o.ema ?? true) {
      const sd: Record<string, Tensor> = {};
      model.namedParameters().forEach(([name], i) => {
        const s = p.t.ema[`shadow.${i}`];
        if (!s) throw new TypeError(`${op}: ${path} lacks the EMA shadow of parameter ${i} ('${name}')`);
        sd[name] = s;
      });
      model.loadStateDict(sd, false);
    }
    if (p.meta.prior) {
      prior = new ARPrior(p.meta.prior);
      prior.loadStateDict(p.t.prior);
    }
  } catch (e) {
    model.dispose();
    prior?.dispose();
    throw e;
  } finally {
    dispose([p.t.model, p.t.ema, p.t.optim, p.t.prior]);
  }
  return { model, prior };
}

/** Rebuild model and stage-1 trainer (weights, EMA, Adam state, step) and continue with the same data source. */
export function resumeTrainer(path: string, data: DataSource): DiscoTrainer {
  const op = 'resumeTrainer';
  const p = readCheckpoint(op, path);
  const model = new DiscoDiffModel(p.meta.model);
  let trainer: DiscoTrainer | null = null;
  try {
    model.loadStateDict(p.t.model);
    trainer = new DiscoTrainer(model, data, p.meta.train);
    trainer.opt.loadStateDict({ tensors: p.t.optim, meta: p.meta.optimizer });
    trainer.ema.loadStateDict({ tensors: p.t.ema, meta: p.meta.ema });
    trainer.step = p.meta.step;
  } catch (e) {
    trainer?.dispose();
    model.dispose();
    throw e;
  } finally {
    dispose([p.t.model, p.t.ema, p.t.optim, p.t.prior]);
  }
  return trainer;
}
