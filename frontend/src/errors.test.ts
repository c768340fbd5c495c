import { describe, expect, it } from 'vitest';
import { ApiError, parseError, type FieldError } from './api';
import { translateError, translateFieldError, requestIdNote } from './errors';

const fe = (field: string, code: string, message = 'server words', params?: Record<string, string>): FieldError => ({ field, code, message, params });

describe('translateFieldError', () => {
  it('explains too_long with the platform count and limit', () => {
    const f = fe('content.body', 'too_long', 'The text is 301…', { platform: 'x', count: '301', limit: '280' });
    expect(translateFieldError(f, 'en')).toBe('The text is 301 characters long as X counts it; the limit is 280.');
    expect(translateFieldError(f, 'hi')).toBe('X की गिनती से पाठ 301 अक्षर का है; सीमा 280 है।');
  });

  it('uses the plain too_long when there is no platform', () => {
    expect(translateFieldError(fe('title', 'too_long', '', { limit: '200' }), 'en')).toBe('This is too long: at most 200 characters.');
  });

  it('chooses the required message by field and params', () => {
    expect(translateFieldError(fe('content.body', 'required'), 'en')).toBe('Write the post in Hindi, English or both.');
    expect(translateFieldError(fe('targets', 'required'), 'hi')).toBe('प्रकाशन के लिए कम से कम एक खाता चुनें।');
    expect(translateFieldError(fe('content.variants.x.text', 'required', '', { platform: 'x' }), 'en')).toBe('Write the text to publish on X.');
    expect(translateFieldError(fe('comment', 'required'), 'hi')).toBe('लेखक के लिए टिप्पणी लिखें।');
    expect(translateFieldError(fe('name', 'required'), 'en')).toBe('This is required.');
  });

  it('translates the platform and registry codes', () => {
    expect(translateFieldError(fe('content.mediaIds', 'required_for_platform', '', { platform: 'instagram' }), 'en')).toBe('Instagram needs an image.');
    expect(translateFieldError(fe('content.mediaIds', 'required_for_platform', '', { platform: 'instagram' }), 'hi')).toBe('Instagram के लिए चित्र आवश्यक है।');
    expect(translateFieldError(fe('targets[0]', 'unknown_account', '', { account: 'a1' }), 'en')).toBe('This account is not one of your organisation’s accounts.');
    expect(translateFieldError(fe('content.link', 'invalid_url'), 'hi')).toBe('https:// से शुरू होने वाला पूरा वेब पता लिखें।');
    expect(translateFieldError(fe('scheduledAt', 'in_past'), 'en')).toBe('This time has already passed. Choose a later time.');
    expect(translateFieldError(fe('email', 'taken'), 'en')).toBe('A user with this e-mail address already exists.');
    expect(translateFieldError(fe('code', 'taken'), 'en')).toBe('This is already in use.');
    expect(translateFieldError(fe('current', 'wrong_password'), 'hi')).toBe('वर्तमान पासवर्ड गलत है।');
    expect(translateFieldError(fe('password', 'too_short', '', { min: '10' }), 'en')).toBe('This is too short: at least 10 characters.');
    expect(translateFieldError(fe('targets[1]', 'platform_defunct', '', { platform: 'koo' }), 'en')).toBe('Koo cannot be published to: the platform has shut down.');
  });

  it('turns byte limits into megabytes', () => {
    expect(translateFieldError(fe('file', 'too_large', '', { limitBytes: String(8 << 20) }), 'en')).toBe('The image is larger than 8 MB.');
    expect(translateFieldError(fe('content.mediaIds[0]', 'too_large_for_platform', '', { platform: 'x', limitBytes: String(5 << 20) }), 'hi')).toBe(
      'X अधिकतम 5 MB के चित्र लेता है।',
    );
  });

  it('falls back to the server message for unknown codes or missing params', () => {
    expect(translateFieldError(fe('x', 'brand_new_code', 'Server says so.'), 'hi')).toBe('Server says so.');
    expect(translateFieldError(fe('x', 'too_many_for_platform', 'X takes at most 4 images.', { platform: 'x' }), 'en')).toBe('X takes at most 4 images.');
  });
});

describe('translateError', () => {
  it('translates codes', () => {
    expect(translateError(new ApiError(404, 'not_found', 'No such post.'), 'en')).toBe('This item does not exist, or you do not have access to it.');
    expect(translateError(new ApiError(503, 'unavailable', 'x'), 'hi')).toBe('सेवा अभी उपलब्ध नहीं है। कुछ मिनट बाद फिर से प्रयास करें।');
    expect(translateError(new ApiError(0, 'network', 'Failed to fetch'), 'en')).toContain('could not be reached');
  });

  it('uses the context for codes whose meaning depends on it', () => {
    expect(translateError(new ApiError(401, 'unauthorized', ''), 'en', 'signin')).toBe('The e-mail address or the password is wrong.');
    expect(translateError(new ApiError(403, 'forbidden', ''), 'hi', 'approve')).toContain('स्वीकृत नहीं कर सकते');
    expect(translateError(new ApiError(409, 'conflict', ''), 'en', 'post')).toContain('changed since you opened it');
  });

  it('falls back to the server message for unknown codes', () => {
    expect(translateError(new ApiError(418, 'teapot', 'I am a teapot.'), 'hi')).toBe('I am a teapot.');
  });

  it('gives the request id for server failures only', () => {
    expect(requestIdNote(new ApiError(500, 'internal', 'Internal error.', [], 'req-42'), 'en')).toBe('Reference for the helpdesk: req-42');
    expect(requestIdNote(new ApiError(422, 'invalid', '', [], 'req-43'), 'en')).toBe('');
  });
});

describe('parseError', () => {
  it('reads the error envelope', () => {
    const e = parseError(422, {
      error: { code: 'invalid', message: 'Fix it.', fields: [{ field: 'title', code: 'too_long', message: 'm', params: { limit: '200' } }], requestId: 'r1' },
    });
    expect(e.code).toBe('invalid');
    expect(e.message).toBe('Fix it.');
    expect(e.fields).toHaveLength(1);
    expect(e.requestId).toBe('r1');
  });

  it('derives the code from the status when the body is not JSON', () => {
    const e = parseError(413, null, 'hdr-id');
    expect(e.code).toBe('too_large');
    expect(e.requestId).toBe('hdr-id');
    expect(parseError(502, 'Bad gateway').code).toBe('internal');
  });
});
