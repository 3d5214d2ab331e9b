import type { z } from 'zod';
import { formatZodError } from '@metrics/protocol/schemas';
import { badRequest } from './http-error.js';

/** Parses `input` with `schema`, or throws a 400 naming every problem. */
export function parseOr400<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw badRequest(`invalid ${what}: ${formatZodError(parsed.error)}`);
  return parsed.data;
}
