// The few assertions the conformance checks make, as product code (the CLI kit must not depend on a test
// framework). A failed expectation throws CheckFailed whose message is the reason a driver author reads:
// what was looked at, what the protocol wants, what the driver answered.
import { inspect, isDeepStrictEqual } from 'node:util';
import { DriverError } from '../driver.ts';

export class CheckFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckFailed';
  }
}

const show = (v: unknown) => inspect(v, { depth: 4, breakLength: Infinity, compact: true });

export function ok(value: unknown, reason: string): asserts value {
  if (!value) throw new CheckFailed(reason);
}

export function is<T>(actual: T, expected: T, what: string): void {
  if (!Object.is(actual, expected)) throw new CheckFailed(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function equal(actual: unknown, expected: unknown, what: string): void {
  if (!isDeepStrictEqual(actual, expected)) throw new CheckFailed(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function match(text: string | undefined, pattern: RegExp, what: string): void {
  if (typeof text !== 'string' || !pattern.test(text)) throw new CheckFailed(`${what}: expected text matching ${pattern}, got ${show(text)}`);
}

/** Runs `fn`, which must fail with DriverError `code`; answers that error. */
export async function rejectsWith(fn: () => Promise<unknown>, code: DriverError['code'], what: string): Promise<DriverError> {
  let result: unknown;
  try {
    result = await fn();
  } catch (err) {
    if (!(err instanceof DriverError)) throw new CheckFailed(`${what}: expected DriverError ${code}, got ${(err as Error)?.name ?? 'a throw'}: ${(err as Error)?.message ?? show(err)}`);
    if (err.code !== code) throw new CheckFailed(`${what}: expected DriverError ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  throw new CheckFailed(`${what}: expected DriverError ${code}, but it succeeded with ${show(result)}`);
}
