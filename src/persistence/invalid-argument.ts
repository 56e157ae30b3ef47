import { DingTalkError } from '../kernel/errors';

/** A programming error in a caller of the persistence layer (not bad user input), hence a 500. */
export function invalidArgument(message: string): DingTalkError {
  return new DingTalkError('dingtalk_persistence_invalid_argument', message, 500);
}

export function requirePositiveInteger(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw invalidArgument(`${name} must be an integer between 1 and ${max}, got ${value}`);
  }
  return value;
}

export function requireText(name: string, value: string | undefined | null): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidArgument(`${name} must be a non-empty string`);
  return value;
}
