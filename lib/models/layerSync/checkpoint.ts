// checkpoint.ts — one safetensors file (td.io) per LayerSync training checkpoint:
//   tensors  'model.<name>'   the SiT's state dict (training weights; the fixed pos_embed buffer too)
//            'ema.<key>'      the EMA shadows ('ema.shadow.<i>')
//            'optim.<key>'    the AdamW state ('optim.state.<i>.exp_avg', ...)
//   metadata format 'tensordiff-layersync/1'; model (SiT config), train config (λ and the block pair
//            included), step, optimizer meta and EMA meta, each as JSON.
// saveCheckpoint writes it (atomically); resumeTrainer rebuilds model + trainer and continues;
// loadModel rebuilds the model alone, with the EMA weights by default (what sampling uses).
import { Tensor } from '../../tensor';
import { dispose } from '../../memory';
import { save, load, readHeader } from '../../io/safetensors';
import { OptimizerStateDict } from '../../optim/optimizer';
import { EMAStateDict } from '../../optim/ema';
import { SiT, SiTConfig } from './sit';
import { LabeledData, LayerSyncTrainer, TrainConfig } from './train';

const FORMAT = 'tensordiff-layersync/1';

/** Write the trainer's model, EMA, optimizer state and step to `path` (safetensors, atomic). */
export function saveCheckpoint(trainer: LayerSyncTrainer, path: string): void {
  if (!(trainer instanceof LayerSyncTrainer)) throw new TypeError('saveCheckpoint: trainer must be a LayerSyncTrainer');
  if (typeof path !== 'string' || path.length === 0) throw new TypeError('saveCheckpoint: path must be a non-empty string');
  const tensors: Record<string, Tensor> = {};
  const msd = trainer.model.stateDict();
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
  meta: { model: SiTConfig; train: TrainConfig; step: number; optimizer: OptimizerStateDict['meta']; ema: EMAStateDict['meta'] };
}

function readCheckpoint(op: string, path: string): Parsed {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`${op}: path must be a non-empty string`);
  const md = readHeader(path).metadata ?? {};
  if (md.format !== FORMAT) throw new TypeError(`${op}: ${path} is not a LayerSync checkpoint (metadata format ${JSON.stringify(md.format)}, expected '${FORMAT}')`);
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
 * Rebuild a trained SiT from a checkpoint (in eval mode).
 * @param o.ema load the EMA weights (default true) instead of the training weights.
 */
export function loadModel(path: string, o: { ema?: boolean } = {}): SiT {
  const op = 'loadModel';
  if (o === null || typeof o !== 'object') throw new TypeError(`${op}: options must be an object`);
  const p = readCheckpoint(op, path);
  let model: SiT | null = null;
  try {
    model = new SiT(p.meta.model);
    model.loadStateDict(p.model);
    if (o.ema ?? true) {
      const sd: Record<string, Tensor> = {};
      model.namedParameters().forEach(([name], i) => {
        const t = p.ema[`shadow.${i}`];
        if (!t) throw new TypeError(`${op}: ${path} lacks the EMA shadow of parameter ${i} ('${name}')`);
        sd[name] = t;
      });
      model.loadStateDict(sd, false);
    }
  } catch (e) {
    model?.dispose();
    throw e;
  } finally {
    dispose([p.model, p.ema, p.optim]);
  }
  return model.eval();
}

/**
 * Rebuild the model and its trainer from a checkpoint and continue: the same model config, train
 * config, weights, EMA, AdamW state and step. Pass the same data as the original run to continue its
 * exact trajectory.
 */
export function resumeTrainer(path: string, data: LabeledData): LayerSyncTrainer {
  const op = 'resumeTrainer';
  const p = readCheckpoint(op, path);
  let model: SiT | null = null;
  let trainer: LayerSyncTrainer | null = null;
  try {
    model = new SiT(p.meta.model);
    model.loadStateDict(p.model);
    trainer = new LayerSyncTrainer(model, data, p.meta.train);
    trainer.opt.loadStateDict({ tensors: p.optim, meta: p.meta.optimizer });
    trainer.ema.loadStateDict({ tensors: p.ema, meta: p.meta.ema });
    trainer.step = p.meta.step;
  } catch (e) {
    trainer?.dispose();
    model?.dispose();
    throw e;
  } finally {
    dispose([p.model, p.ema, p.optim]);
  }
  return trainer;
}
