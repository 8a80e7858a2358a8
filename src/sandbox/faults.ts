// Fault injection for reliability tests of the client, used by the HTTP adapter only (the handler
// stays a faithful emulator). A fault answers instead of the sandbox (`before`) or replaces the
// sandbox's reply after the state already changed (`after`: "the key was created, the reply lost").

import { isRecord } from '../json.js';

export const FAULT_KINDS = [
  'reset',
  'stall',
  'status500',
  'html502',
  'status429',
  'empty200',
  'truncated',
  'wrongShape',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface SandboxFault {
  /** HTTP method to match (any case); any method when absent. */
  method?: string;
  /** Regular expression source matched against the URL's pathname; any path when absent. */
  path?: string;
  /** How many requests it applies to; default 1. */
  times?: number;
  kind: FaultKind;
  /** Default `before`. */
  when?: 'before' | 'after';
  /** Seconds, sent as `Retry-After` (status429 only). */
  retryAfter?: number;
}

interface Armed {
  fault: SandboxFault;
  pattern: RegExp | undefined;
  remaining: number;
}

export class FaultQueue {
  private armed: Armed[] = [];

  add(faults: readonly SandboxFault[]): void {
    for (const fault of faults) {
      this.armed.push({
        fault,
        pattern: fault.path === undefined ? undefined : new RegExp(fault.path),
        remaining: fault.times ?? 1,
      });
    }
  }

  clear(): void {
    this.armed = [];
  }

  pending(): SandboxFault[] {
    return this.armed.map((a) => ({ ...a.fault, times: a.remaining }));
  }

  /** The first armed fault matching the request, used up by one. */
  take(method: string, pathname: string): SandboxFault | undefined {
    const hit = this.armed.find(
      (a) =>
        (a.fault.method === undefined || a.fault.method.toUpperCase() === method.toUpperCase()) &&
        (a.pattern === undefined || a.pattern.test(pathname)),
    );
    if (!hit) return undefined;
    hit.remaining -= 1;
    if (hit.remaining <= 0) this.armed.splice(this.armed.indexOf(hit), 1);
    return hit.fault;
  }
}

function fail(i: number, what: string): never {
  throw new Error(`fault ${i}: ${what}`);
}

const KNOWN_FIELDS = new Set(['method', 'path', 'times', 'kind', 'when', 'retryAfter']);

function parseFault(v: unknown, i: number): SandboxFault {
  if (!isRecord(v)) fail(i, 'expected an object');
  const unknown = Object.keys(v).filter((k) => !KNOWN_FIELDS.has(k));
  if (unknown.length > 0) fail(i, `unknown field(s) ${unknown.join(', ')}`);
  const { method, path, times, kind, when, retryAfter } = v;
  if (!FAULT_KINDS.includes(kind as FaultKind)) fail(i, `kind must be one of ${FAULT_KINDS.join(', ')}`);
  if (method !== undefined && typeof method !== 'string') fail(i, 'method must be a string');
  if (path !== undefined) {
    if (typeof path !== 'string') fail(i, 'path must be a string (a regular expression)');
    try {
      new RegExp(path);
    } catch {
      fail(i, `path is not a valid regular expression: ${path}`);
    }
  }
  if (times !== undefined && !(Number.isSafeInteger(times) && (times as number) > 0)) fail(i, 'times must be an integer > 0');
  if (when !== undefined && when !== 'before' && when !== 'after') fail(i, 'when must be "before" or "after"');
  if (retryAfter !== undefined && !(typeof retryAfter === 'number' && retryAfter >= 0)) fail(i, 'retryAfter must be a number >= 0');
  return v as unknown as SandboxFault;
}

/** Checks faults from the admin endpoint or the options; throws an Error saying which one is wrong. */
export function parseFaults(json: unknown): SandboxFault[] {
  if (!Array.isArray(json)) throw new Error('expected a JSON array of faults');
  return json.map(parseFault);
}
