import type { JsonValue } from '@switchboard/sdk';
import { describe, expect, it } from 'vitest';
import { linkify, previewOf, readBody } from './message-body.js';

describe(readBody.name, () => {
  it('reads an object with a string text as a text message, extra fields or not', () => {
    expect(readBody({ text: 'hi' })).toEqual({ kind: 'text', text: 'hi' });
    expect(readBody({ text: '', v: 2 })).toEqual({ kind: 'text', text: '' });
  });

  it('treats every other shape as unsupported', () => {
    const bodies: JsonValue[] = [
      'hi',
      42,
      null,
      true,
      [{ text: 'x' }],
      { text: 42 },
      { body: 'x' },
    ];
    for (const body of bodies) {
      expect(readBody(body)).toEqual({ kind: 'unsupported' });
    }
  });
});

describe(previewOf.name, () => {
  it('makes one line of a message and cuts it without splitting a character', () => {
    expect(previewOf({ text: '  hello\n\nworld ' })).toBe('hello world');
    expect(previewOf({ text: '😀'.repeat(10) }, 5)).toBe('😀😀😀😀…');
    expect(previewOf({ text: ' \n' })).toBe('Empty message');
    expect(previewOf([1, 2])).toBe('Unsupported message');
  });
});

describe(linkify.name, () => {
  const links = (text: string) =>
    linkify(text)
      .filter((p) => p.kind === 'link')
      .map((p) => (p.kind === 'link' ? [p.text, p.href] : []));

  it('finds http and https addresses and keeps the rest as text', () => {
    expect(linkify('see https://example.com/a?b=1#c now')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1#c', href: 'https://example.com/a?b=1#c' },
      { kind: 'text', text: ' now' },
    ]);
    expect(links('HTTP://Example.com')).toEqual([['HTTP://Example.com', 'http://example.com/']]);
  });

  it('gives a www. address an https scheme', () => {
    expect(links('go to www.example.org/x')).toEqual([
      ['www.example.org/x', 'https://www.example.org/x'],
    ]);
  });

  it('leaves sentence punctuation and unbalanced brackets outside the link', () => {
    expect(links('(see https://example.com/a).')).toEqual([
      ['https://example.com/a', 'https://example.com/a'],
    ]);
    expect(links('https://en.wikipedia.org/wiki/Foo_(bar), ok')).toEqual([
      ['https://en.wikipedia.org/wiki/Foo_(bar)', 'https://en.wikipedia.org/wiki/Foo_(bar)'],
    ]);
    const parts = linkify('end https://example.com!');
    expect(parts.at(-1)).toEqual({ kind: 'text', text: '!' });
  });

  it('never makes a link of another scheme, whatever its spelling', () => {
    for (const text of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(document.cookie)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox',
      'file:///etc/passwd',
      'ftp://example.com',
      '<a href="javascript:alert(1)">x</a>',
    ]) {
      expect(links(text)).toEqual([]);
    }
  });

  it('never lets a link smuggle markup or quotes', () => {
    const [link] = links('https://example.com/"onmouseover="alert(1)');
    expect(link).toEqual(['https://example.com/', 'https://example.com/']);
    expect(links('https://a.b/<script>')).toEqual([['https://a.b/', 'https://a.b/']]);
  });

  it('refuses an address without a host', () => {
    expect(links('https://')).toEqual([]);
    expect(links('http://...')).toEqual([]);
  });

  it('puts every character back: the parts spell the original text', () => {
    const text = 'a https://x.io/(y)). www.z.org, "https://q.r/s" javascript:void(0) end';
    expect(
      linkify(text)
        .map((p) => p.text)
        .join(''),
    ).toBe(text);
  });
});
