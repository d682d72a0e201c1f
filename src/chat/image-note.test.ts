import { describe, expect, it } from 'vitest';
import { imageNote, imageOfUrl, imagesReplacedWarning, inlineImage } from './image-note.js';

const base64Of = (bytes: number) => Buffer.alloc(bytes, 7).toString('base64');

describe('imageNote', () => {
  it('names the media type and the decoded size of inline bytes', () => {
    expect(imageNote(inlineImage('image/png', base64Of(48 * 1024)))).toBe('[image: image/png, 48 KB — not shown, this model has no vision support]');
    expect(imageNote(inlineImage('image/jpeg', base64Of(67)))).toBe('[image: image/jpeg, 67 bytes — not shown, this model has no vision support]');
    expect(imageNote(inlineImage('image/gif', base64Of(3 * 1024 * 1024 + 200_000)))).toBe('[image: image/gif, 3.2 MB — not shown, this model has no vision support]');
    expect(imageNote(inlineImage(undefined, 'AA'))).toBe('[image: 1 byte — not shown, this model has no vision support]');
  });

  it('counts decoded bytes whatever the padding and line breaks', () => {
    for (let bytes = 0; bytes < 12; bytes++) {
      const padded = base64Of(bytes);
      expect(imageOfUrl(`data:image/png;base64,${padded}`)).toEqual({ kind: 'inline', mediaType: 'image/png', bytes });
      expect(inlineImage('image/png', padded.replace(/=+$/, ''))).toEqual({ kind: 'inline', mediaType: 'image/png', bytes });
    }
    expect(inlineImage('image/png', `${base64Of(60)}\n${base64Of(60)}`)).toMatchObject({ bytes: 120 });
  });

  it('reads media type and size from a data: URL and never repeats its data', () => {
    const url = `data:image/webp;base64,${base64Of(2048)}`;
    const note = imageNote(imageOfUrl(url));
    expect(note).toBe('[image: image/webp, 2 KB — not shown, this model has no vision support]');
    expect(note).not.toContain(base64Of(2048).slice(0, 20));
    expect(imageOfUrl('DATA:image/svg+xml;charset=utf-8,%3Csvg%2F%3E')).toEqual({ kind: 'inline', mediaType: 'image/svg+xml', bytes: 6 });
    expect(imageOfUrl('data:;base64,AAAA')).toEqual({ kind: 'inline', bytes: 3 });
    expect(imageOfUrl('data:image/png')).toEqual({ kind: 'inline', bytes: 0 });
  });

  it('names only the host of a link', () => {
    expect(imageNote(imageOfUrl('https://example.com/cats/1.png?token=secret'))).toBe('[image: example.com — not shown, this model has no vision support]');
    expect(imageNote(imageOfUrl('http://localhost:8080/a.png'))).toBe('[image: localhost:8080 — not shown, this model has no vision support]');
    expect(imageNote(imageOfUrl('not a url'))).toBe('[image: url — not shown, this model has no vision support]');
    expect(imageNote(imageOfUrl('file:///home/me/a.png'))).toBe('[image: url — not shown, this model has no vision support]');
  });

  it('names what it cannot look into', () => {
    expect(imageNote({ kind: 'other', label: 'file' })).toBe('[image: file — not shown, this model has no vision support]');
  });
});

describe('imagesReplacedWarning', () => {
  it('counts the images of the request', () => {
    expect(imagesReplacedWarning(1)).toMatch(/^1 image replaced by a text note/);
    expect(imagesReplacedWarning(3)).toMatch(/^3 images replaced by a text note.*--reject-images/);
  });
});
