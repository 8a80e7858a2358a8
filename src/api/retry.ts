// When a failed attempt may be repeated, and how long to wait first.

import type { Delivery } from '../errors.js';

// What a failed attempt tells about the server's state: errors.ts's Delivery, which each ApiError carries.
export type { Delivery };

/** `any`: retry whatever may succeed next time. `unsent`: only what surely did not reach the server. */
export type RetryPolicy = 'any' | 'unsent';

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 8_000;
/** A longer pause asked for by a server is cut to this: a CLI should not hang for minutes. If the server
 * still refuses after the last attempt, the user gets the 429 error and can decide. */
export const RETRY_AFTER_MAX_MS = 30_000;

export function mayRetry(policy: RetryPolicy, delivery: Delivery): boolean {
  return delivery === 'unsent' || (delivery === 'ambiguous' && policy === 'any');
}

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so concurrent page
 * fetches that failed together do not retry in lockstep. `failedAttempt` counts from 1.
 */
export function backoffMs(failedAttempt: number, random: () => number): number {
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failedAttempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/**
 * Milliseconds asked for by a `Retry-After` header (delay-seconds or an HTTP-date), capped at
 * RETRY_AFTER_MAX_MS; undefined when absent or unreadable, so the caller falls back to backoff.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    // An HTTP-date names its day and month; V8's Date.parse would also take "-1" as a year.
    const date = /[a-z]{3}/i.test(text) ? Date.parse(text) : Number.NaN;
    if (Number.isNaN(date)) return undefined;
    ms = date - nowMs;
  }
  return Math.min(RETRY_AFTER_MAX_MS, Math.max(0, Math.round(ms)));
}
