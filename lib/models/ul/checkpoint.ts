// checkpoint.ts — one safetensors file (td.io) per UL stage-1 checkpoint:
//   tensors  'encoder.<name>', 'prior.<name>', 'decoder.<name>'   the three nets' state dicts
//            'optim.<key>'                                        the Adam state
//   metadata format 'tensordiff-ul/1'; model (ULConfig), train config, step, optimizer meta (JSON).
// saveCheckpoint writes it atomically; loadModel rebuilds the model; resumeTrainer the trainer too.
// Stage-2 / LDM latent models: saveLatentModel / loadLatentModel (format 'tensordiff-ul-latent/1').
import { Tensor } from '../../tensor';
import { dispose } from '../../memory';
import { save, load, readHeader } from '../../io/safetensors';
import { OptimizerStateDict } from '../../optim/optimizer';
import { ULConfig, ULModel } from './model';
import { DataSource, TrainConfig, ULTrainer } from './train';
import { LatentDiffusion, LatentDiffusionConfig } from './latent';

const FORMAT = 'tensordiff-ul/1';
const LATENT_FORMAT = 'tensordiff-ul-latent/1';
const NETS = ['encoder', 'prior', 'decoder'] as const;

function checkPath(op: string, path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) throw new TypeError(`${op}: path must be a non-empty string`);
  return path;
}

/** Write the stage-1 trainer's model, Adam state and step to `path` (safetensors, atomic). */
export function saveCheckpoint(trainer: ULTrainer, path: string): void {
  const op = 'saveCheckpoint';
  if (!(trainer instanceof ULTrainer)) throw new TypeError(`${op}: trainer must be a ULTrainer`);
  checkPath(op, path);
  const tensors: Record<string, Tensor> = {};
  const sds = NETS.map((n) => trainer.model[n].stateDict());
  const osd = trainer.opt.stateDict();
  try {
    NETS.forEach((n, i) => {
      for (const [k, t] of Object.entries(sds[i])) tensors[`${n}.${k}`] = t;
    });
    for (const [k, t] of Object.entries(osd.tensors)) tensors[`optim.${k}`] = t;
    save(tensors, path, {
      format: FORMAT, model: JSON.stringify(trainer.model.describe()), train: JSON.stringify(trainer.config),
      step: String(trainer.step), optimizer: JSON.stringify(osd.meta),
    });
  } finally {
    dispose(sds);
    dispose(osd.tensors);
  }
}

interface Parsed {
  groups: Record<string, Record<string, Tensor>>;
  meta: { model: ULConfig; train: TrainConfig; step: number; optimizer: OptimizerStateDict['meta'] };
}

function readCheckpoint(op: string, path: string): Parsed {
  checkPath(op, path);
  const md = readHeader(path).metadata ?? {};
  if (md.format !== FORMAT) throw new TypeError(`${op}: ${path} is not a UL checkpoint (metadata format ${JSON.stringify(md.format)}, expected '${FORMAT}')`);
  let meta: Parsed['meta'];
  try {
    meta = { model: JSON.parse(md.model), train: JSON.parse(md.train), step: Number(md.step), optimizer: JSON.parse(md.optimizer) };
  } catch (e) {
    throw new TypeError(`${op}: ${path} has malformed metadata (${(e as Error).message})`);
  }
  if (!Number.isInteger(meta.step) || meta.step < 0) throw new TypeError(`${op}: ${path} has a bad step ${JSON.stringify(md.step)}`);
  const all = load(path);
  const groups: Parsed['groups'] = { encoder: {}, prior: {}, decoder: {}, optim: {} };
  for (const [k, t] of Object.entries(all)) {
    const i = k.indexOf('.');
    const pre = k.slice(0, i);
    if (!(pre in groups)) {
      dispose(all);
      throw new TypeError(`${op}: ${path} has an unexpected tensor '${k}'`);
    }
    groups[pre][k.slice(i + 1)] = t;
  }
  return { groups, meta };
}

/** Rebuild a ULModel (all three nets) from a checkpoint written by {@link saveCheckpoint}. */
export function loadModel(path: string): ULModel {
  const op = 'loadModel';
  const p = readCheckpoint(op, path);
  let model: ULModel | null = null;
  try {
    model = new ULModel(p.meta.model);
    for (const n of NETS) model[n].loadStateDict(p.groups[n]);
    return model;
  } catch (e) {
    model?.dispose();
    throw e;
  } finally {
    dispose(p.groups);
  }
}

/** Rebuild model and stage-1 trainer (weights, Adam state, step) and continue on the same data. */
export function resumeTrainer(path: string, data: DataSource): ULTrainer {
  const op = 'resumeTrainer';
  const p = readCheckpoint(op, path);
  let model: ULModel | null = null;
  let trainer: ULTrainer | null = null;
  try {
    model = new ULModel(p.meta.model);
    for (const n of NETS) model[n].loadStateDict(p.groups[n]);
    trainer = new ULTrainer(model, data, p.meta.train);
    trainer.opt.loadStateDict({ tensors: p.groups.optim, meta: p.meta.optimizer });
    trainer.step = p.meta.step;
    return trainer;
  } catch (e) {
    trainer?.dispose();
    model?.dispose();
    throw e;
  } finally {
    dispose(p.groups);
  }
}

/** Write a latent diffusion model (stage-2 base or LDM) to `path`: its net and config. */
export function saveLatentModel(model: LatentDiffusion, path: string): void {
  const op = 'saveLatentModel';
  if (!(model instanceof LatentDiffusion)) throw new TypeError(`${op}: model must be a LatentDiffusion`);
  checkPath(op, path);
  const sd = model.net.stateDict();
  try {
    save(sd, path, { format: LATENT_FORMAT, model: JSON.stringify({ ...model.config, net: model.net.config }) });
  } finally {
    dispose(sd);
  }
}

/** Rebuild a latent diffusion model written by {@link saveLatentModel}. */
export function loadLatentModel(path: string): LatentDiffusion {
  const op = 'loadLatentModel';
  checkPath(op, path);
  const md = readHeader(path).metadata ?? {};
  if (md.format !== LATENT_FORMAT) throw new TypeError(`${op}: ${path} is not a UL latent model (metadata format ${JSON.stringify(md.format)}, expected '${LATENT_FORMAT}')`);
  let cfg: LatentDiffusionConfig;
  try {
    cfg = JSON.parse(md.model);
  } catch (e) {
    throw new TypeError(`${op}: ${path} has malformed metadata (${(e as Error).message})`);
  }
  const sd = load(path);
  let m: LatentDiffusion | null = null;
  try {
    m = new LatentDiffusion(cfg);
    m.net.loadStateDict(sd);
    return m;
  } catch (e) {
    m?.dispose();
    throw e;
  } finally {
    dispose(sd);
  }
}
