import { describe, expect, it } from 'vitest';
import { CancelledError, firstLine, oneLine, RelayedError, UserError } from '../../../src/engine/core/errors';
import { RequestError, validateRequest } from '../../../src/shared/api';
import { UsageError } from '../../../src/cli/util';

describe('oneLine: the one message every host prints', () => {
  it('shows errors meant for the user as they are', () => {
    expect(oneLine(new UserError('bad magic', '/m/model.llpk'))).toBe('/m/model.llpk: bad magic');
    expect(oneLine(new UsageError('--bits must be an integer'))).toBe('--bits must be an integer');
    expect(oneLine(new CancelledError())).toBe('cancelled');
    expect(oneLine(new RelayedError('x.json: model file not found'))).toBe('x.json: model file not found');
  });

  it('shows a request the contract refuses as it is', () => {
    const e = (() => {
      try {
        validateRequest('model.inspect', {});
      } catch (err) {
        return err;
      }
    })();
    expect(e).toBeInstanceOf(RequestError);
    expect(oneLine(e)).toMatch(/^invalid request for model\.inspect: model: /);
    expect(() => validateRequest('no.such', {})).toThrow(RequestError);
  });

  it('marks anything else as internal, once, on one line', () => {
    expect(oneLine(new TypeError('x is undefined\n    at f (a.ts:1:1)'))).toBe('internal error: x is undefined');
    expect(oneLine(new Error('internal error: worker died'))).toBe('internal error: worker died');
    expect(oneLine('plain\nstring')).toBe('internal error: plain');
    expect(oneLine(undefined)).toBe('internal error: undefined');
  });

  it('keeps a line to 500 characters', () => {
    expect(oneLine(new UserError('y'.repeat(2000)))).toHaveLength(500);
    expect(firstLine('a\nb')).toBe('a');
  });
});
