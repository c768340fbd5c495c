// Generates random_3.1.0.jsonl: random texts (Hindi, Punjabi, English, URL fragments, punctuation,
// directional marks, emoji) with what twitter-text 3.1.0, the published JavaScript library, reports for
// them. TestRandomTextsAgainstTwitterText compares ParseTweet and ExtractURLs with it.
//
//   npm install twitter-text@3.1.0 && node gen_fixtures.js > random_3.1.0.jsonl
//
// The generator is deterministic (fixed seeds), so the file can be regenerated and diffed.
const tt = require('twitter-text');

let seed = 0;
function rnd() { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
function pick(a) { return a[Math.floor(rnd() * a.length)]; }

const frags = [
  'नमस्ते', 'दुनिया', 'योजना', 'क़', '\u0958', 'फ\u093c', '\u0928\u093c', 'ਸਤ', 'ਸ਼', '\u0a36', 'भारत', 'मंत्री',
  'hello', 'World', 'gov', 'mygov', 'pib', 'example', 'EXAMPLE', 'twitter', 'a', 'b', 'x1', '123', '2025',
  ' ', ' ', ' ', '  ', '\n', '\t', '\u00a0', '\u3000', '\u200b', '\u200d', '\u202a', '\u202c', '\u2066', '\u2069', '\u200e',
  '.', '.', '.', ',', '-', '_', '/', ':', '?', '#', '@', '$', '(', ')', '!', "'", '"', '&', '=', '+', '%', '~', '|', '[', ']',
  ';', '*', '–', '।', 'http://', 'https://', 'HTTPS://', 'http:/', 'www.', '.com', '.in', '.co.in', '.gov.in', '.org', '.co',
  '.jp', '.xyz', '.xyzzy', '.भारत', '.みんな', '.рф', '.COM', 'xn--', 'xn--ls8h', 't.co/', 'T.CO/', 'abcDEF123', 'bit.ly/',
  ':8080', '?q=1&x=y', '#frag', '中文', 'これは', '。', '한국', 'Русские', 'ÁB', 'A\u0301', 'é', 'ß', 'ſ', 'ɠ', '\ufeff',
  '\ufffe', '©', '®', '™', 'ELPAÍS', '(film)', '((x))', 'foo(bar)baz', '~(x)', '(a(b)c)', '/a', '.html', 'x.com', 'a.b.cd',
  'sub_d', 'K', '.....', ',,,', '!!!', '@user', '$TVI.CA',
];
const emojiFrags = ['😀', '👨\u200d👩\u200d👧\u200d👦', '🇮🇳', '🇺', '👍🏽', '🙏', '❤️', '❤', '☺\ufe0e', '☺️', '1️⃣', '#⃣',
  '©️', '🏴\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}', '👩\u200d⚕️', '🏃\u200d♀️', '⛹🏽\u200d♂️', '\ufe0f',
  '🥲', '❤️\u200d🔥'];

const pick3 = (r) => ({
  weightedLength: r.weightedLength, valid: r.valid, permillage: r.permillage,
  validRangeEnd: r.validRangeEnd, displayRangeEnd: r.displayRangeEnd,
});
for (const [s0, n, emoji] of [[101, 400, false], [202, 200, true]]) {
  seed = s0;
  for (let i = 0; i < n; i++) {
    const parts = 1 + Math.floor(rnd() * 25);
    let text = '';
    for (let j = 0; j < parts; j++) text += (emoji && rnd() < 0.2) ? pick(emojiFrags) : pick(frags);
    if (rnd() < 0.05) text = 'क'.repeat(200 + Math.floor(rnd() * 100)) + text;
    const urls = tt.extractUrlsWithIndices(text).map((u) => ({ url: u.url, indices: u.indices }));
    process.stdout.write(JSON.stringify({
      text, v2: pick3(tt.parseTweet(text, tt.configs.version2)), v3: pick3(tt.parseTweet(text, tt.configs.version3)), urls,
    }) + '\n');
  }
}
