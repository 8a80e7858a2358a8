import { describe, expect, it } from 'vitest';
import { createSandboxState, parseSandboxState, SandboxStateShapeError } from '../../src/sandbox/index.js';

describe('createSandboxState', () => {
  it('seeds user demo with its Master and Default public keys and three tables', () => {
    const state = createSandboxState();
    expect(state.users.map((u) => u.username)).toEqual(['demo']);
    const [user] = state.users;
    expect(user!.keys.map((k) => [k.name, k.type])).toEqual([
      ['Master', 'master'],
      ['Default public', 'default'],
    ]);
    expect(user!.tables.map((t) => `${t.schema}.${t.name}`)).toEqual([
      'public.world_population',
      'public.liked_cities',
      'public.national_incomes',
    ]);
  });

  it('makes a random 40-hex Master key unless one is given', () => {
    const a = createSandboxState().users[0]!.keys[0]!.token;
    const b = createSandboxState().users[0]!.keys[0]!.token;
    expect(a).toMatch(/^[0-9a-f]{40}$/);
    expect(a).not.toBe(b);
    expect(createSandboxState({ masterKey: 'c'.repeat(40) }).users[0]!.keys[0]!.token).toBe('c'.repeat(40));
  });

  it('gives Default public the token default_public and apis sql+maps', () => {
    const pub = createSandboxState().users[0]!.keys[1]!;
    expect(pub.token).toBe('default_public');
    expect(pub.apis).toEqual(['sql', 'maps']);
  });

  it('takes another username', () => {
    expect(createSandboxState({ username: 'jdoe' }).users[0]!.username).toBe('jdoe');
  });

  it('is JSON: a round trip through JSON.stringify gives an equal, valid state', () => {
    const state = createSandboxState({ seedRegularKeys: 20 });
    const copy = parseSandboxState(JSON.parse(JSON.stringify(state)));
    expect(copy).toEqual(state);
  });

  it('seeds 10,000 regular keys fast, with unique names and 22-character tokens', () => {
    const started = performance.now();
    const state = createSandboxState({ seedRegularKeys: 10_000 });
    expect(performance.now() - started).toBeLessThan(1000);
    const keys = state.users[0]!.keys.filter((k) => k.type === 'regular');
    expect(keys).toHaveLength(10_000);
    expect(keys[0]!.name).toBe('seed-00001');
    expect(new Set(keys.map((k) => k.name)).size).toBe(10_000);
    expect(new Set(keys.map((k) => k.token)).size).toBe(10_000);
    expect(keys.every((k) => /^[A-Za-z0-9_-]{22}$/.test(k.token))).toBe(true);
  });

  it('varies the seeded grants', () => {
    const keys = createSandboxState({ seedRegularKeys: 60 }).users[0]!.keys.slice(2);
    expect(new Set(keys.map((k) => k.apis.join(','))).size).toBeGreaterThan(2);
    expect(new Set(keys.map((k) => k.tables[0]?.name)).size).toBe(3);
    expect(keys.some((k) => k.tableMetadata)).toBe(true);
    expect(keys.some((k) => k.services.length > 0)).toBe(true);
    expect(keys.some((k) => k.schemas.length > 0)).toBe(true);
  });
});

describe('parseSandboxState', () => {
  const valid = (): Record<string, unknown> => JSON.parse(JSON.stringify(createSandboxState())) as Record<string, unknown>;
  const firstKey = (s: Record<string, unknown>): Record<string, unknown> =>
    ((s.users as Record<string, unknown>[])[0]!.keys as Record<string, unknown>[])[0]!;

  it('accepts a valid state', () => {
    expect(() => parseSandboxState(valid())).not.toThrow();
  });

  it('refuses what is not a state at all', () => {
    for (const json of [null, [], 'state', 42, {}]) expect(() => parseSandboxState(json)).toThrow(SandboxStateShapeError);
  });

  it('refuses another version', () => {
    expect(() => parseSandboxState({ ...valid(), version: 2 })).toThrow(/state\.version/);
  });

  it('says where a field is wrong', () => {
    const s = valid();
    firstKey(s).token = 42;
    expect(() => parseSandboxState(s)).toThrow('state.users[0].keys[0].token: expected a string');
  });

  it('refuses a timestamp that is not ISO-8601', () => {
    const s = valid();
    firstKey(s).createdAt = '2026-11-22 14:24:41 +0000';
    expect(() => parseSandboxState(s)).toThrow(/createdAt/);
  });

  it('refuses an unknown key type', () => {
    const s = valid();
    firstKey(s).type = 'oauth';
    expect(() => parseSandboxState(s)).toThrow(/type: expected one of master, default, regular/);
  });

  it('refuses a user without exactly one Master key', () => {
    const s = valid();
    firstKey(s).type = 'regular';
    expect(() => parseSandboxState(s)).toThrow(/exactly one master key/);
  });

  it('refuses duplicate key names', () => {
    const s = valid();
    firstKey(s).name = 'Default public';
    expect(() => parseSandboxState(s)).toThrow(/unique key names/);
  });
});
