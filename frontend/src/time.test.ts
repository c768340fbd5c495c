import { describe, expect, it } from 'vitest';
import { formatDateIST, formatIST, istLocalToUTC, todayIST, utcToISTLocal, isoMachine } from './time';

describe('IST formatting', () => {
  it('shows UTC instants in IST with the zone named', () => {
    expect(formatIST('2026-11-28T04:30:00Z', 'en')).toBe('28 Nov 2026, 10:00 IST');
    expect(formatIST('2026-11-28T04:30:00Z', 'hi')).toBe('28 नवंबर 2026, 10:00 IST');
  });

  it('crosses midnight and year ends', () => {
    expect(formatIST('2026-12-31T18:30:00Z', 'en')).toBe('1 Jan 2027, 00:00 IST');
    expect(formatIST('2026-12-31T18:29:00Z', 'en')).toBe('31 Dec 2026, 23:59 IST');
    expect(formatDateIST('2026-03-01T20:00:00Z', 'en')).toBe('2 Mar 2026');
  });

  it('takes offsets in the input', () => {
    expect(formatIST('2026-11-28T10:00:00+05:30', 'en')).toBe('28 Nov 2026, 10:00 IST');
  });

  it('shows nothing for missing, bad or zero times', () => {
    expect(formatIST(undefined, 'en')).toBe('');
    expect(formatIST('', 'en')).toBe('');
    expect(formatIST('not a date', 'en')).toBe('');
    expect(formatIST('0001-01-01T00:00:00Z', 'en')).toBe('');
    expect(isoMachine('0001-01-01T00:00:00Z')).toBe('');
  });
});

describe('IST input', () => {
  it('reads datetime-local values as IST', () => {
    expect(istLocalToUTC('2026-11-28T10:00')).toBe('2026-11-28T04:30:00Z');
    expect(istLocalToUTC('2027-01-01T00:15')).toBe('2026-12-31T18:45:00Z');
    expect(istLocalToUTC('2026-11-28T10:00:30')).toBe('2026-11-28T04:30:30Z');
  });

  it('refuses impossible dates and junk', () => {
    expect(istLocalToUTC('2026-02-30T10:00')).toBeNull();
    expect(istLocalToUTC('2026-13-01T10:00')).toBeNull();
    expect(istLocalToUTC('2026-11-28T24:00')).toBeNull();
    expect(istLocalToUTC('')).toBeNull();
    expect(istLocalToUTC('28/11/2026 10:00')).toBeNull();
  });

  it('round-trips', () => {
    for (const local of ['2026-11-28T10:00', '2026-12-31T23:59', '2027-01-01T00:00', '2028-02-29T05:29']) {
      expect(utcToISTLocal(istLocalToUTC(local))).toBe(local);
    }
  });

  it('gives today in IST even when UTC is still on the day before', () => {
    expect(todayIST(new Date('2026-11-27T19:00:00Z'))).toBe('2026-11-28');
    expect(todayIST(new Date('2026-11-27T18:29:59Z'))).toBe('2026-11-27');
  });
});
