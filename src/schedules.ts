// Learning-rate schedules as plain data (they cross postMessage), evaluated in the trainer's thread.
// A schedule maps the number of optimizer steps already taken (0 before the first step) to a
// learning rate; reduceOnPlateau is the one driven by a metric at each epoch end instead.

import { choiceOption, knownKeys, numberOption, plainObject } from './validate.js';

export const SCHEDULE_NAMES = ['constant', 'step', 'exponential', 'cosine', 'linearWarmup', 'oneCycle', 'reduceOnPlateau'] as const;
export type ScheduleName = (typeof SCHEDULE_NAMES)[number];

/** A learning rate: a number or a schedule spec such as `{ name: 'cosine', initial: 0.1, tMax: 5000 }`. */
export type LearningRateSpec = number | ({ name: ScheduleName } & Record<string, unknown>);

export interface Schedule {
  /** Learning rate for the optimizer step that follows `step` completed steps. */
  valueAt(step: number): number;
  /** Resolves `'auto'` lengths (tMax, totalSteps) to this fit's epochs × batches. */
  resolveAuto(totalSteps: number): void;
  /** reduceOnPlateau: reports an epoch's monitored metric (lower is better); other schedules ignore it. */
  observe(metric: number): void;
  /** Mutable state for checkpoints (reduceOnPlateau's current rate, best value, bad epochs). */
  state: Record<string, number>;
}

const nonNegative = { min: 0 };
const positive = { min: 0, minExclusive: true };
const positiveInteger = { min: 1, integer: true };

function autoOrSteps(path: string, value: unknown): number | 'auto' {
  if (value === 'auto') return 'auto';
  return numberOption(path, value, undefined, positiveInteger);
}

/** Builds and validates a schedule from a number or spec; `path` names it in errors. */
export function scheduleFromSpec(spec: unknown, path = 'optimizer.learningRate'): Schedule {
  if (typeof spec === 'number' || spec === undefined) {
    const value = numberOption(path, spec, undefined, nonNegative);
    return constant(value);
  }
  const s = plainObject(path, spec);
  const name = choiceOption(`${path}.name`, s.name, SCHEDULE_NAMES);
  const num = (key: string, fallback: number | undefined, rule: Parameters<typeof numberOption>[3]) =>
    numberOption(`${path}.${key}`, s[key], fallback, rule);
  switch (name) {
    case 'constant':
      knownKeys(path, s, ['name', 'initial']);
      return constant(num('initial', undefined, nonNegative));
    case 'step': {
      knownKeys(path, s, ['name', 'initial', 'stepSize', 'gamma']);
      const initial = num('initial', undefined, nonNegative);
      const stepSize = num('stepSize', undefined, positiveInteger);
      const gamma = num('gamma', 0.1, positive);
      return stateless((t) => initial * gamma ** Math.floor(t / stepSize));
    }
    case 'exponential': {
      knownKeys(path, s, ['name', 'initial', 'gamma']);
      const initial = num('initial', undefined, nonNegative);
      const gamma = num('gamma', undefined, positive);
      return stateless((t) => initial * gamma ** t);
    }
    case 'cosine': {
      knownKeys(path, s, ['name', 'initial', 'tMax', 'etaMin']);
      const initial = num('initial', undefined, nonNegative);
      const etaMin = num('etaMin', 0, nonNegative);
      let tMax = autoOrSteps(`${path}.tMax`, s.tMax);
      const schedule = stateless((t) => {
        const length = tMax === 'auto' ? 1 : tMax;
        // optax cosine_decay_schedule: holds etaMin after tMax (no restart)
        if (t >= length) return etaMin;
        return etaMin + ((initial - etaMin) * (1 + Math.cos((Math.PI * t) / length))) / 2;
      });
      schedule.resolveAuto = (total) => { if (s.tMax === 'auto') tMax = total; };
      return schedule;
    }
    case 'linearWarmup': {
      knownKeys(path, s, ['name', 'warmupSteps', 'then']);
      const warmupSteps = num('warmupSteps', undefined, positiveInteger);
      if (s.then === undefined) throw new TypeError(`${path}.then must be a learning rate or schedule spec, got undefined`);
      const then = scheduleFromSpec(s.then, `${path}.then`);
      return {
        valueAt: (t) => (t < warmupSteps ? (then.valueAt(0) * t) / warmupSteps : then.valueAt(t - warmupSteps)),
        resolveAuto: (total) => then.resolveAuto(Math.max(1, total - warmupSteps)),
        observe: (metric) => then.observe(metric),
        get state() { return then.state; },
        set state(value) { then.state = value; },
      };
    }
    case 'oneCycle': {
      knownKeys(path, s, ['name', 'maxLr', 'totalSteps', 'divFactor', 'finalDivFactor', 'pctStart']);
      const maxLr = num('maxLr', undefined, positive);
      const divFactor = num('divFactor', 25, positive);
      const finalDivFactor = num('finalDivFactor', 1e4, positive);
      const pctStart = num('pctStart', 0.3, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
      let totalSteps = autoOrSteps(`${path}.totalSteps`, s.totalSteps);
      const initial = maxLr / divFactor;
      const minLr = initial / finalDivFactor;
      const cosineAnneal = (from: number, to: number, pct: number) => to + ((from - to) / 2) * (Math.cos(Math.PI * pct) + 1);
      const schedule = stateless((t) => {
        // torch.optim.lr_scheduler.OneCycleLR, two phases, cosine annealing
        const total = totalSteps === 'auto' ? 1 : totalSteps;
        const peak = pctStart * total - 1;
        const end = total - 1;
        if (t <= peak) return cosineAnneal(initial, maxLr, peak > 0 ? t / peak : 1);
        return cosineAnneal(maxLr, minLr, Math.min(1, (t - peak) / (end - peak)));
      });
      schedule.resolveAuto = (total) => { if (s.totalSteps === 'auto') totalSteps = total; };
      return schedule;
    }
    case 'reduceOnPlateau': {
      knownKeys(path, s, ['name', 'initial', 'factor', 'patience', 'minLr', 'threshold']);
      const initial = num('initial', undefined, nonNegative);
      const factor = num('factor', 0.1, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
      const patience = num('patience', 10, { min: 0, integer: true });
      const minLr = num('minLr', 0, nonNegative);
      const threshold = num('threshold', 1e-4, nonNegative);
      // torch.optim.lr_scheduler.ReduceLROnPlateau, mode 'min', threshold_mode 'rel', cooldown 0
      const schedule: Schedule = {
        state: { lr: initial, best: Infinity, badEpochs: 0 },
        valueAt: () => schedule.state.lr!,
        resolveAuto: () => {},
        observe(metric) {
          const st = schedule.state;
          if (metric < st.best! * (1 - threshold)) {
            st.best = metric;
            st.badEpochs = 0;
          } else if (++st.badEpochs! > patience) {
            st.lr = Math.max(st.lr! * factor, minLr);
            st.badEpochs = 0;
          }
        },
      };
      return schedule;
    }
  }
}

/** Whether a checked learning-rate spec has an `'auto'` length (cosine's tMax, oneCycle's totalSteps, also under linearWarmup's then). */
export function hasAutoLength(spec: LearningRateSpec): boolean {
  if (typeof spec !== 'object' || spec === null) return false;
  if (spec.name === 'linearWarmup') return hasAutoLength(spec.then as LearningRateSpec);
  return (spec.name === 'cosine' && spec.tMax === 'auto') || (spec.name === 'oneCycle' && spec.totalSteps === 'auto');
}

function stateless(valueAt: (step: number) => number): Schedule {
  return { valueAt, resolveAuto: () => {}, observe: () => {}, state: {} };
}

function constant(value: number): Schedule {
  return stateless(() => value);
}
