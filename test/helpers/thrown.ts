import { ColonyError } from '../../agent-runtime/protocol/errors.ts';

/** The ColonyError `fn` throws; fails the test when it throws nothing or something else. */
export function thrown(fn: () => unknown): ColonyError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ColonyError) return error;
    throw error;
  }
  throw new Error('expected a ColonyError');
}
