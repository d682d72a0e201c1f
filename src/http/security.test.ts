import { describe, expect, it } from 'vitest';
import { checkApiKey, hostAllowed, hostName, isLoopbackHost } from './security.js';

describe('host guard', () => {
  it('knows loopback names', () => {
    expect(isLoopbackHost('127.0.0.1')).toBe(true);
    expect(isLoopbackHost('127.1.2.3')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('::1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
    expect(isLoopbackHost('192.168.1.2')).toBe(false);
  });

  it('strips ports from Host headers', () => {
    expect(hostName('localhost:8000')).toBe('localhost');
    expect(hostName('[::1]:8000')).toBe('[::1]');
    expect(hostName('example.com')).toBe('example.com');
  });

  it('rejects foreign names while bound to loopback', () => {
    expect(hostAllowed('127.0.0.1:8000', '127.0.0.1')).toBe(true);
    expect(hostAllowed('LOCALHOST:1', '127.0.0.1')).toBe(true);
    expect(hostAllowed('evil.example:8000', '127.0.0.1')).toBe(false);
    expect(hostAllowed(undefined, '127.0.0.1')).toBe(false);
  });
});

describe('api key', () => {
  it('accepts Bearer and x-api-key, rejects anything else', () => {
    expect(checkApiKey({ authorization: 'Bearer secret' }, 'secret')).toBe(true);
    expect(checkApiKey({ 'x-api-key': 'secret' }, 'secret')).toBe(true);
    expect(checkApiKey({ authorization: 'Bearer nope' }, 'secret')).toBe(false);
    expect(checkApiKey({ authorization: 'secret' }, 'secret')).toBe(false);
    expect(checkApiKey({}, 'secret')).toBe(false);
  });
});
