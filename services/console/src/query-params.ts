// Query and form values checked once, with a 400 and a stable code when one is malformed.
import { badRequest } from "./errors.js";

const MAX_TEXT = 200;

/** Trimmed text; undefined when empty. */
export function optionalText(value: string | undefined, name: string): string | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  if (text.length > MAX_TEXT) throw badRequest("invalid_parameter", `${name} is longer than ${MAX_TEXT} characters`);
  return text;
}

export function optionalHours(value: string | undefined): number | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const hours = Number(text);
  if (!Number.isFinite(hours) || hours <= 0 || hours > 24 * 366) throw badRequest("invalid_hours", "hours is a positive number of hours (at most a year)");
  return hours;
}

export function pageSize(value: string | undefined, fallback: number): number {
  const text = value?.trim();
  if (!text) return fallback;
  const size = Number(text);
  if (!Number.isInteger(size) || size < 1 || size > 1_000) throw badRequest("invalid_limit", "limit is a whole number from 1 to 1000");
  return size;
}

export function positiveId(value: string | undefined, name: string): number {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id < 1) throw badRequest("invalid_id", `${name} is a positive whole number`);
  return id;
}
