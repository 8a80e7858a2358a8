import { describe, expect, it } from 'vitest';
import { resolveBaseUrl, validateUsername } from '../../src/api/base-url.js';
import { UsageError } from '../../src/errors.js';

function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('resolveBaseUrl', () => {
  it.each([
    [{ user: 'jdoe' }, 'https://jdoe.carto.com', 'jdoe'],
    [{ baseUrl: 'https://jdoe.carto.com' }, 'https://jdoe.carto.com', 'jdoe'],
    [{ baseUrl: 'https://jdoe.carto.com/' }, 'https://jdoe.carto.com', 'jdoe'],
    [{ baseUrl: 'https://JDoe.carto.com' }, 'https://jdoe.carto.com', 'jdoe'],
    [{ baseUrl: 'https://acme.carto.com/u/jdoe' }, 'https://acme.carto.com/u/jdoe', 'jdoe'],
    [{ baseUrl: 'https://acme.carto.com/u/jdoe/' }, 'https://acme.carto.com/u/jdoe', 'jdoe'],
    [{ baseUrl: 'https://carto.example.com/user/jdoe' }, 'https://carto.example.com/user/jdoe', 'jdoe'],
    [{ baseUrl: 'http://127.0.0.1:8080/user/demo' }, 'http://127.0.0.1:8080/user/demo', 'demo'],
    [{ baseUrl: 'https://jdoe.carto.com/api/v3/api_keys' }, 'https://jdoe.carto.com', 'jdoe'],
    [{ baseUrl: 'https://acme.carto.com/u/jdoe/api/v3/api_keys/' }, 'https://acme.carto.com/u/jdoe', 'jdoe'],
    [{ baseUrl: '  https://jdoe.carto.com  ' }, 'https://jdoe.carto.com', 'jdoe'],
    [{ baseUrl: 'https://carto.example.com', user: 'jdoe' }, 'https://carto.example.com', 'jdoe'],
    [{ baseUrl: 'https://carto.example.com:8443/', user: 'jdoe' }, 'https://carto.example.com:8443', 'jdoe'],
    [{ baseUrl: 'https://jdoe.carto.com', user: 'jdoe' }, 'https://jdoe.carto.com', 'jdoe'],
    [{ baseUrl: 'https://acme.carto.com/u/jdoe', user: 'jdoe' }, 'https://acme.carto.com/u/jdoe', 'jdoe'],
    [{ user: 'team-42' }, 'https://team-42.carto.com', 'team-42'],
    [{ user: 'jdoe', baseUrl: '' }, 'https://jdoe.carto.com', 'jdoe'],
  ])('%j → %s as %s', (input, baseUrl, username) => {
    expect(resolveBaseUrl(input)).toEqual({ baseUrl, username });
  });

  it('needs a user or a base URL', () => {
    expect(usageError(() => resolveBaseUrl({})).message).toMatch(/--user/);
  });

  it('needs --user for a host that does not name the user', () => {
    const err = usageError(() => resolveBaseUrl({ baseUrl: 'https://carto.example.com' }));
    expect(err.message).toMatch(/pass --user/);
    expect(err.hint).toMatch(/\/user\/\{user\}/);
  });

  it.each([
    [{ user: 'alice', baseUrl: 'https://jdoe.carto.com' }],
    [{ user: 'alice', baseUrl: 'https://acme.carto.com/u/jdoe' }],
    [{ user: 'alice', baseUrl: 'https://h/user/jdoe' }],
  ])('refuses a --user that contradicts the URL: %j', (input) => {
    const err = usageError(() => resolveBaseUrl(input));
    expect(err.message).toMatch(/--user alice does not match the user "jdoe"/);
  });

  it.each([
    ['ftp://jdoe.carto.com', /https:\/\//],
    ['jdoe.carto.com', /Not a valid URL/],
    ['not a url', /Not a valid URL/],
    ['https://jdoe.carto.com/dashboard', /unexpected path "\/dashboard"/],
    ['https://acme.carto.com/u/jdoe/dashboard', /unexpected path/],
    ['https://acme.carto.com/u/', /unexpected path/],
  ])('refuses %s, listing the accepted forms', (baseUrl, message) => {
    const err = usageError(() => resolveBaseUrl({ baseUrl }));
    expect(err.message).toMatch(message);
    expect(err.hint).toBe(
      'Accepted base URLs: https://{user}.carto.com, https://{org}.carto.com/u/{user}, https://{host}/user/{user}',
    );
  });

  it('refuses credentials and queries in the URL without echoing them', () => {
    const withPassword = usageError(() => resolveBaseUrl({ baseUrl: 'https://jdoe:secret@jdoe.carto.com' }));
    expect(withPassword.message).toMatch(/credentials/);
    const withKey = usageError(() => resolveBaseUrl({ baseUrl: 'https://jdoe.carto.com/?api_key=secret' }));
    expect(withKey.message).toMatch(/query/);
    expect(`${withPassword.message}${withKey.message}`).not.toContain('secret');
  });

  it.each(['JDoe', 'j_doe', 'j.doe', '-jdoe', 'jdoe!'])('refuses the username %j', (user) => {
    usageError(() => resolveBaseUrl({ user }));
  });

  it('refuses an invalid username in the path', () => {
    expect(usageError(() => resolveBaseUrl({ baseUrl: 'https://h/user/J_Doe' })).message).toMatch(/Invalid CARTO username/);
  });
});

describe('validateUsername', () => {
  it('suggests the lowercase form', () => {
    expect(usageError(() => validateUsername('JDoe')).hint).toBe('CARTO usernames are lowercase: use jdoe');
  });

  it('accepts letters, digits and dashes', () => {
    expect(validateUsername('a-1-b')).toBe('a-1-b');
  });
});
