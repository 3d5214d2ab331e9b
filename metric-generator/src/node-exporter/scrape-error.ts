/**
 * A failed scrape. `kind` is what `/metrics` counts and `message` is what `/v1/servers` and the
 * dashboard show.
 */
export type ScrapeFailure = 'timeout' | 'network' | 'http' | 'bad_answer';

export class ScrapeError extends Error {
  constructor(
    readonly kind: ScrapeFailure,
    message: string,
  ) {
    super(message);
    this.name = 'ScrapeError';
  }
}
