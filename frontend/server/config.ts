import { z } from 'zod';

export interface Config {
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const schema = z.object({
  PORT: z
    .string()
    .default('3000')
    .refine((v) => /^\d{1,5}$/.test(v) && Number(v) <= 65535, {
      error: (issue) => `expected an integer 0–65535, got ${JSON.stringify(issue.input)}`,
    })
    .transform(Number),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, {
      error: (issue) =>
        `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(issue.input)}`,
    })
    .default('info'),
});

/**
 * The static server's configuration from the environment: frozen, or one error naming every
 * bad variable (`PORT: expected an integer 0–65535, got "abc"`).
 */
export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const input = Object.fromEntries(
    Object.entries({ PORT: env.PORT, LOG_LEVEL: env.LOG_LEVEL }).filter(([, v]) => v !== ''),
  );
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration: ${problems.join('; ')}`);
  }
  return Object.freeze({ port: parsed.data.PORT, logLevel: parsed.data.LOG_LEVEL });
}
