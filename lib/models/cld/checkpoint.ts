// checkpoint.ts — one safetensors file (td.io) per CLD training checkpoint:
//   tensors  'model.<name>'   the network's state dict (training weights, Fourier buffer included)
//            'ema.<key>'      the EMA shadows ('ema.shadow.<i>')
//            'optim.<key>'    the Adam state ('optim.state.<i>.exp_avg', ...)
//   metadata format 'tensordiff-cld/1'; model (net config, CLD options, mixed), train config,
//            step, optimizer meta and EMA meta, each as JSON.
// saveCheckpoint writes it (atomically); resumeTrainer rebuilds model + trainer and continues;
// loadModel rebuilds the model alone, with the EMA weights by default (what sampling uses).
import { Tensor } from '../../tensor';
import { dispose } from '../../memory';
import { save, load, readHeader } from '../../io/safetensors';
import { OptimizerStateDict } from '../../optim/optimizer';
import { EMAStateDict } from '../../optim/ema';
import { CLDScoreModel } from './model';
import { CLDTrainer, DataSource, TrainConfig } from './train';

const FORMAT = 'tensordiff-cld/1';

/** Write the trainer's model, EMA, optimizer state and step to `path` (safetensors, atomic). */
export function saveCheckpoint(trainer: CLDTrainer, path: string): void {
  if (!(trainer instanceof CLDTrainer)) throw new TypeError('saveCheckpoint: trainer must be a CLDTrainer');
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('saveCheckpoint: path must be a non-empty string');
  const tensors: Record<string, Tensor> = {};
  const msd = trainer.model.net.stateDict();
  const esd = trainer.ema.stateDict();
  const osd = trainer.opt.stateDict();
  try {
    for (const [k, t] of Object.entries(msd)) tensors[`model.${k}`] = t;
    for (const [k, t] of Object.entries(esd.tensors)) tensors[`ema.${k}`] = t;
    for (const [k, t] of Object.entries(osd.tensors)) tensors[`optim.${k}`] = t;
    save(tensors, path, {
      format: FORMAT,
      model: JSON.stringify(trainer.model.describe()),
      train: JSON.stringify(trainer.config),
      step: String(trainer.step),
      optimizer: JSON.stringify(osd.meta),
      ema: JSON.stringify(esd.meta),
    });
  } finally {
    dispose(msd);
    dispose(esd.tensors);
    dispose(osd.tensors);
  }
}

/** The parsed pieces of a checkpoint file (tensors grouped by prefix; dispose them when done). */
interface Parsed {
  model: Record<string, Tensor>;
  ema: Record<string, Tensor>;
  optim: Record<string, Tensor>;
  meta: { model: ConstructorParameters<typeof CLDScoreModel>[0]; train: TrainConfig; step: number; optimizer: OptimizerStateDict['meta']; ema: EMAStateDict['meta'] };
}

function readCheckpoint(op: string, path: string): Parsed {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`${op}: path must be a non-empty string`);
  const md = readHeader(path).metadata ?? {};
  if (md.format !== FORMAT) throw new TypeError(`${op}: ${path} is not a CLD checkpoint (metadata format ${JSON.stringify(md.format)}, expected '${FORMAT}')`);
  let meta: Parsed['meta'];
  try {
    meta = { model: JSON.parse(md.model), train: JSON.parse(md.train), step: Number(md.step), optimizer: JSON.parse(md.optimizer), ema: JSON.parse(md.ema) };
  } catch (e) {
    throw new TypeError(`${op}: ${path} has malformed metadata (${(e as Error).message})`);
  }
  if (!Number.isInteger(meta.step) || meta.step < 0) throw new TypeError(`${op}: ${path} has a bad step ${JSON.stringify(md.step)}`);
  const all = load(path);
  const out: Parsed = { model: {}, ema: {}, optim: {}, meta };
  for (const [k, t] of Object.entries(all)) {
    const i = k.indexOf('.');
    const pre = k.slice(0, i), rest = k.slice(i + 1);
    if (pre === 'model' || pre === 'ema' || pre === 'optim') out[pre][rest] = t;
    else {
      dispose(all);
      throw new TypeError(`${op}: ${path} has an unexpected tensor '${k}'`);
    }
  }
  return out;
}

/**
 * Rebuild a trained model from a checkpoint.
 * @param o.ema load the EMA weights (default true) instead of the training weights.
 */
export function loadModel(path: string, o: { ema?: boolean } = {}): CLDScoreModel {
  const op = 'loadModel';
  const p = readCheckpoint(op, path);
  const model = new CLDScoreModel(p.meta.model);
  try {
    model.net.loadStateDict(p.model);
    if (o.ema ?? true) {
      const sd: Record<string, Tensor> = {};
      model.net.namedParameters().forEach(([name], i) => {
        const t = p.ema[`shadow.${i}`];
        if (!t) throw new TypeError(`${op}: ${path} lacks the EMA shadow of parameter ${i} ('${name}')`);
        sd[name] = t;
      });
      model.net.loadStateDict(sd, false);
    }
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    dispose([p.model, p.ema, p.optim]);
  }
  return model;
}

/**
 * Rebuild the model and its trainer from a checkpoint and continue: the same model config, train
 * config, weights, EMA, Adam state and step. Pass the same data source as the original run to
 * continue its exact trajectory.
 */
export function resumeTrainer(path: string, data: DataSource): CLDTrainer {
  const op = 'resumeTrainer';
  const p = readCheckpoint(op, path);
  const model = new CLDScoreModel(p.meta.model);
  let trainer: CLDTrainer | null = null;
  try {
    model.net.loadStateDict(p.model);
    trainer = new CLDTrainer(model, data, p.meta.train);
    trainer.opt.loadStateDict({ tensors: p.optim, meta: p.meta.optimizer });
    trainer.ema.loadStateDict({ tensors: p.ema, meta: p.meta.ema });
    trainer.step = p.meta.step;
  } catch (e) {
    trainer?.dispose();
    model.dispose();
    throw e;
  } finally {
    dispose([p.model, p.ema, p.optim]);
  }
  return trainer;
}
