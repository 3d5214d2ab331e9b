import { describe, expect, it } from 'vitest';
import {
  emptyText,
  overviewTitle,
  reportingNote,
  rowStatus,
  shownText,
} from '../src/views/overview-text.js';

const sp = (s: string) => s.replace(/\u00a0/g, ' ');

describe('overview wording', () => {
  it('titles the page with the fleet size once it is known', () => {
    expect(overviewTitle(0)).toBe('Fleet · live metrics');
    expect(overviewTitle(10_000)).toBe('Fleet · 10,000 servers');
  });

  it.each([
    [{ total: 0, stale: 0 }, 'waiting for the server list'],
    [{ total: 5, stale: 0 }, 'all reporting'],
    [{ total: 10_000, stale: 1_200 }, '1,200 stale'],
  ])('notes %o as "%s" under the server count', (summary, text) => {
    expect(reportingNote(summary)).toBe(text);
  });

  it('counts the rows shown, out of the fleet when a filter is set', () => {
    expect(shownText('', 10_000, 10_000)).toBe('10,000 servers');
    expect(shownText('  ', 10_000, 10_000)).toBe('10,000 servers');
    expect(shownText('server-1', 1_112, 10_000)).toBe('1,112 of 10,000');
  });

  it('explains an empty table: no servers yet, or nothing matches the filter', () => {
    expect(emptyText('', 0)).toBe('Waiting for the server list…');
    expect(emptyText(' db ', 5)).toBe('No server name contains “db”.');
  });

  it('says whether a row is live, stale for how long, or never reported', () => {
    expect(rowStatus(400, false)).toBe('live');
    expect(sp(rowStatus(12_400, true))).toBe('stale 12 s');
    expect(rowStatus(Infinity, true)).toBe('no data');
  });
});
