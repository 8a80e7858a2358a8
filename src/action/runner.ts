// What a JavaScript action says to the GitHub Actions runner, without a toolkit: its inputs
// (INPUT_<NAME> variables: the name upper-cased, spaces as "_", hyphens kept), workflow commands on
// stdout (`::add-mask::`, `::error::`), outputs appended to $GITHUB_OUTPUT and Markdown appended to
// $GITHUB_STEP_SUMMARY; and the one pull-request comment the plan keeps up to date through the REST
// API at $GITHUB_API_URL.

import { appendFileSync, readFileSync } from 'node:fs';
import type { Env } from '../env.js';

export function input(env: Env, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

/** Workflow command data: `%`, CR and LF escaped as the runner expects, so one command stays one line. */
function commandData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function addMask(log: (line: string) => void, secret: string): void {
  if (secret !== '') log(`::add-mask::${commandData(secret)}`);
}

export function error(log: (line: string) => void, message: string): void {
  log(`::error::${commandData(message)}`);
}

/** Appends `name=value` lines to $GITHUB_OUTPUT (values are one line: numbers and true/false here). */
export function setOutputs(env: Env, outputs: Record<string, string>): void {
  const file = env.GITHUB_OUTPUT;
  if (!file) return;
  appendFileSync(file, Object.entries(outputs).map(([k, v]) => `${k}=${v.replace(/[\r\n]/g, ' ')}\n`).join(''));
}

export function appendSummary(env: Env, markdown: string): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, markdown.endsWith('\n') ? markdown : `${markdown}\n`);
}

/** The pull request this run is for, from the event payload; undefined outside a pull request. */
export function pullRequestNumber(env: Env): number | undefined {
  const path = env.GITHUB_EVENT_PATH;
  if (!path) return undefined;
  let event: { pull_request?: { number?: unknown } };
  try {
    event = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const n = event.pull_request?.number;
  return typeof n === 'number' && Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

interface Comment {
  id: number;
  body?: string;
}

/**
 * Creates the comment that starts with `marker` on the pull request, or updates it if an earlier run
 * made it: one comment per pull request and keys file, however many times the plan runs.
 */
export async function upsertComment(env: Env, opts: { token: string; pr: number; marker: string; body: string }): Promise<'created' | 'updated'> {
  const api = (env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '');
  const repo = env.GITHUB_REPOSITORY ?? '';
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new Error(`GITHUB_REPOSITORY is not owner/name: "${repo}"`);
  const headers = {
    Accept: 'application/vnd.github+json',
    Authorization: `Bearer ${opts.token}`,
    'Content-Type': 'application/json',
    'User-Agent': 'carto-keys-action',
    'X-GitHub-Api-Version': '2022-11-28',
  };
  const call = async (method: string, url: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(url, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
    if (!res.ok) throw new Error(`${method} ${new URL(url).pathname} answered ${res.status} ${res.statusText}`);
    return res.json();
  };
  const body = `${opts.marker}\n${opts.body}`;
  for (let page = 1; ; page++) {
    const comments = (await call('GET', `${api}/repos/${repo}/issues/${opts.pr}/comments?per_page=100&page=${page}`)) as Comment[];
    const mine = comments.find((c) => c.body?.startsWith(opts.marker));
    if (mine) {
      await call('PATCH', `${api}/repos/${repo}/issues/comments/${mine.id}`, { body });
      return 'updated';
    }
    if (comments.length < 100) break;
  }
  await call('POST', `${api}/repos/${repo}/issues/${opts.pr}/comments`, { body });
  return 'created';
}
