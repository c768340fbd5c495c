// Platform display names (brand names, the same in Hindi and English) and
// helpers shared by the views.

import { PLATFORMS, type Platform } from './api';

const NAMES: Record<Platform, string> = {
  facebook: 'Facebook',
  x: 'X',
  instagram: 'Instagram',
  threads: 'Threads',
  telegram: 'Telegram',
  mastodon: 'Mastodon',
  bluesky: 'Bluesky',
  linkedin: 'LinkedIn',
  koo: 'Koo',
};

export function isPlatform(s: string): s is Platform {
  return (PLATFORMS as readonly string[]).includes(s);
}

/** platformName is a platform's display name; unknown ids are shown as they are. */
export function platformName(p: string): string {
  return isPlatform(p) ? NAMES[p] : p;
}

/** platformOrder sorts platforms in the display order of the API's list. */
export function platformOrder(p: string): number {
  const i = (PLATFORMS as readonly string[]).indexOf(p);
  return i < 0 ? PLATFORMS.length : i;
}
