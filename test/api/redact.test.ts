import { describe, expect, it } from 'vitest';
import { redactText, redactUrl } from '../../src/api/redact.js';

describe('redactUrl', () => {
  it.each([
    ['https://jdoe.carto.com/api/v3/api_keys?api_key=abc123&page=2', 'https://jdoe.carto.com/api/v3/api_keys?api_key=***&page=2'],
    ['https://h/x?page=1&api_key=abc', 'https://h/x?page=1&api_key=***'],
    ['https://h/x?API_KEY=abc#frag', 'https://h/x?API_KEY=***#frag'],
    ['https://jdoe:s3cret@h/user/jdoe', 'https://jdoe:***@h/user/jdoe'],
  ])('redacts %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it('leaves everything else byte for byte', () => {
    const url = 'https://jdoe.carto.com/api/v3/api_keys/Default%20public?page=1&per_page=100&type=regular,default';
    expect(redactUrl(url)).toBe(url);
  });

  it('does not touch a parameter that merely ends in api_key', () => {
    expect(redactUrl('https://h/x?my_api_key=1')).toBe('https://h/x?my_api_key=1');
  });
});

describe('redactText', () => {
  const token = '4b7d1c0e9f2a8b3c6d5e4f708192a3b4c5d6e7f8';

  it('replaces every occurrence of a known secret', () => {
    expect(redactText(`a ${token} b ${token}`, [token])).toBe('a *** b ***');
  });

  it('replaces the longest secret first', () => {
    expect(redactText('abcdef', ['abc', 'abcdef'])).toBe('***');
  });

  it('ignores empty secrets', () => {
    expect(redactText('text', [''])).toBe('text');
  });

  it('redacts JSON token and api_key members, whatever their value', () => {
    const body = JSON.stringify({ name: 'k', token: 'Xl2Wq3r7tF0oZ0bJp8aS9Q', nested: { api_key: 'x\\"y' } });
    const out = redactText(body, []);
    expect(out).toBe('{"name":"k","token":"***","nested":{"api_key":"***"}}');
  });

  it('redacts pretty-printed members too', () => {
    expect(redactText('{\n  "token" : "abc"\n}', [])).toBe('{\n  "token" : "***"\n}');
  });

  it('redacts Authorization credentials', () => {
    expect(redactText('Authorization: Basic amRvZTpzZWNyZXQ=', [])).toBe('Authorization: Basic ***');
    expect(redactText('x: Bearer abc.def.ghi-jkl_mno', [])).toBe('x: Bearer ***');
  });

  it('leaves prose that mentions a scheme alone', () => {
    expect(redactText('the limit of your Basic plan', [])).toBe('the limit of your Basic plan');
  });

  it('redacts api_key parameters inside text', () => {
    expect(redactText('see https://h/x?api_key=abc&page=1 now', [])).toBe('see https://h/x?api_key=***&page=1 now');
  });
});
