import { createHmac } from 'node:crypto';
import { DingTalkError } from '../kernel/errors';
import { safeEqual } from '../kernel/safe-equal';

/**
 * Header signatures of the two unencrypted HTTP callbacks (robot messages, card actions) and the
 * freshness windows of all callbacks. Pure: the clock is injected.
 */

/** DingTalk's rule for robot HTTP messages: reject when |now − timestamp| > 1 hour. */
export const ROBOT_REQUEST_WINDOW_MS = 3_600_000;
/** Card callbacks document no window; the robot rule is reused. */
export const CARD_CALLBACK_WINDOW_MS = 3_600_000;
/** Default window for encrypted event callbacks (configurable by the caller). */
export const EVENT_CALLBACK_WINDOW_MS = 3_600_000;

// Below this a value is read as seconds: 1e11 s is the year 5138, 1e11 ms is 1973.
const SECONDS_CEILING = 1e11;
const DIGITS = /^\d{1,16}$/;

export interface RobotRequestCheck {
  /** Header `timestamp` (milliseconds). */
  timestamp: unknown;
  /** Header `sign`. */
  sign: unknown;
  /** The app's ClientSecret/AppSecret. */
  appSecret: string;
  /** Epoch milliseconds, or a clock returning them; defaults to Date.now. */
  now?: number | (() => number);
  windowMs?: number;
}

export interface CardCallbackCheck {
  /** Header `x-ddpaas-signature-timestamp`. */
  timestamp: unknown;
  /** Header `x-ddpaas-signature`. */
  signature: unknown;
  /** The apiSecret registered with the card callback route. */
  apiSecret: string;
  /** Epoch milliseconds, or a clock returning them; defaults to Date.now. */
  now?: number | (() => number);
  windowMs?: number;
}

/** Base64(HmacSHA256(key = appSecret, data = timestamp + "\n" + appSecret)). */
export function signRobotRequest(timestamp: string, appSecret: string): string {
  return createHmac('sha256', appSecret).update(`${timestamp}\n${appSecret}`, 'utf8').digest('base64');
}

/** Base64(HmacSHA256(key = apiSecret, data = timestamp)). */
export function signCardCallback(timestamp: string, apiSecret: string): string {
  return createHmac('sha256', apiSecret).update(timestamp, 'utf8').digest('base64');
}

/** Throws `dingtalk_signature_invalid` or `dingtalk_request_stale` (both 401). */
export function checkRobotRequest(input: RobotRequestCheck): void {
  requireSecret(input.appSecret, 'clientSecret');
  const timestamp = typeof input.timestamp === 'string' ? input.timestamp : '';
  if (!safeEqual(signRobotRequest(timestamp, input.appSecret), input.sign)) throw signatureInvalid('robot message');
  // The robot header is documented in milliseconds; no seconds heuristic here.
  const sentAt = DIGITS.test(timestamp) ? Number(timestamp) : Number.NaN;
  const now = readClock(input.now);
  if (!withinWindow(sentAt, now, input.windowMs ?? ROBOT_REQUEST_WINDOW_MS)) throw requestStale('robot message');
}

export function verifyRobotRequest(input: RobotRequestCheck): boolean {
  return passes(() => checkRobotRequest(input));
}

/** Throws `dingtalk_signature_invalid` or `dingtalk_request_stale` (both 401). */
export function checkCardCallback(input: CardCallbackCheck): void {
  requireSecret(input.apiSecret, 'cardCallbackSecret');
  const timestamp = typeof input.timestamp === 'string' ? input.timestamp : '';
  if (!safeEqual(signCardCallback(timestamp, input.apiSecret), input.signature)) throw signatureInvalid('card callback');
  const now = readClock(input.now);
  if (!isTimestampFresh(timestamp, now, input.windowMs ?? CARD_CALLBACK_WINDOW_MS)) throw requestStale('card callback');
}

export function verifyCardCallback(input: CardCallbackCheck): boolean {
  return passes(() => checkCardCallback(input));
}

/**
 * True when a callback timestamp lies within ±windowMs of now (inclusive). Accepts seconds (10
 * digits) and milliseconds (13 digits): DingTalk's event samples show both.
 */
export function isTimestampFresh(timestamp: unknown, now: number, windowMs: number): boolean {
  return withinWindow(toEpochMs(timestamp), now, windowMs);
}

/** Throws `dingtalk_request_stale` (401) unless the event timestamp is fresh. */
export function checkTimestampFresh(timestamp: unknown, now: number, windowMs = EVENT_CALLBACK_WINDOW_MS): void {
  if (!isTimestampFresh(timestamp, now, windowMs)) throw requestStale('event callback');
}

/** Epoch milliseconds from a seconds or milliseconds digit string; NaN when it is not one. */
export function toEpochMs(timestamp: unknown): number {
  if (typeof timestamp !== 'string' || !DIGITS.test(timestamp)) return Number.NaN;
  const value = Number(timestamp);
  return value < SECONDS_CEILING ? value * 1000 : value;
}

function readClock(now: number | (() => number) | undefined): number {
  if (typeof now === 'number') return now;
  return (now ?? Date.now)();
}

function withinWindow(sentAt: number, now: number, windowMs: number): boolean {
  return Number.isFinite(sentAt) && Number.isFinite(now) && Math.abs(now - sentAt) <= windowMs;
}

function requireSecret(secret: unknown, field: string): void {
  if (typeof secret !== 'string' || secret.length === 0) {
    throw new DingTalkError(
      'dingtalk_secret_missing',
      `The integration has no ${field}: set it before accepting DingTalk callbacks.`,
      500,
      { field },
    );
  }
}

function signatureInvalid(what: string): DingTalkError {
  return new DingTalkError(
    'dingtalk_signature_invalid',
    `The ${what} signature does not match: check the configured secret of this integration.`,
    401,
  );
}

function requestStale(what: string): DingTalkError {
  return new DingTalkError(
    'dingtalk_request_stale',
    `The ${what} timestamp is missing or more than the allowed window away from this server's clock: check the server time (NTP).`,
    401,
  );
}

function passes(check: () => void): boolean {
  try {
    check();
    return true;
  } catch (error) {
    if (error instanceof DingTalkError) return false;
    throw error;
  }
}
