import { describe, expect, it } from 'vitest';
import { en } from './en';
import { hi } from './hi';
import { format, translate, hasKey } from './index';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('dictionaries', () => {
  it('have exactly the same keys', () => {
    expect(Object.keys(hi).sort()).toEqual(Object.keys(en).sort());
  });

  it('have no empty strings', () => {
    for (const [k, v] of Object.entries(en)) expect(v.trim(), `en ${k}`).not.toBe('');
    for (const [k, v] of Object.entries(hi)) expect(v.trim(), `hi ${k}`).not.toBe('');
  });

  it('use the same placeholders in both languages', () => {
    for (const k of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(hi[k]), k).toEqual(placeholders(en[k]));
    }
  });

  it('really translate the workflow words into Devanagari', () => {
    expect(hi['nav.posts']).toBe('पोस्ट');
    expect(hi['post.approve']).toBe('स्वीकृत करें');
    expect(hi['post.reject']).toBe('अस्वीकार करें');
    expect(hi['post.requestChanges']).toBe('बदलाव मांगें');
    expect(hi['deliveryStatus.published']).toBe('प्रकाशित');
    expect(hi['nav.review']).toContain('समीक्षा');
    // Hindi strings that are words (not brand names or codes) contain Devanagari.
    const latinOnly = Object.entries(hi).filter(([k, v]) => !/[\u0900-\u097F]/.test(v) && !['time.zone', 'common.none', 'app.pageTitle'].includes(k) && !/^\{/.test(v));
    expect(latinOnly.map(([k]) => k)).toEqual([]);
  });
});

describe('format', () => {
  it('fills placeholders and leaves unknown ones', () => {
    expect(format('{a} of {b} {c}', { a: 1, b: 'x' })).toBe('1 of x {c}');
  });
  it('translates with params', () => {
    expect(translate('en', 'composer.count', { count: 301, limit: 280, unit: 'characters' })).toBe('301 of 280 characters');
    expect(translate('hi', 'composer.count', { count: 301, limit: 280, unit: 'अक्षर' })).toBe('280 में से 301 अक्षर');
  });
  it('knows its keys', () => {
    expect(hasKey('post.approve')).toBe(true);
    expect(hasKey('post.nonsense')).toBe(false);
    expect(hasKey('toString')).toBe(false);
  });
});
