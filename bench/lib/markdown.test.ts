import { describe, expect, it } from 'vitest';
import { readSection, renderTable, replaceSection, sectionMarkers } from './markdown.js';

describe(replaceSection.name, () => {
  const page = [
    '# Benchmarks',
    '',
    'Intro.',
    '',
    '<!-- bench:links -->',
    '',
    'old links',
    '',
    '<!-- /bench:links -->',
    '',
    '<!-- bench:chat -->',
    '',
    'old chat',
    '',
    '<!-- /bench:chat -->',
    '',
  ].join('\n');

  it('replaces only the body of the named section', () => {
    const next = replaceSection(page, 'links', 'new links\n\n| a |');
    expect(readSection(next, 'links')).toBe('new links\n\n| a |');
    expect(readSection(next, 'chat')).toBe('old chat');
    expect(next.startsWith('# Benchmarks\n\nIntro.\n\n<!-- bench:links -->')).toBe(true);
    expect(next.endsWith('<!-- /bench:chat -->\n')).toBe(true);
  });

  it('is stable: writing the same body twice gives the same page', () => {
    const once = replaceSection(page, 'chat', 'same');
    expect(replaceSection(once, 'chat', 'same')).toBe(once);
  });

  it('appends a section the page does not have yet', () => {
    const next = replaceSection(page, 'cluster', 'three nodes');
    expect(readSection(next, 'cluster')).toBe('three nodes');
    expect(readSection(next, 'links')).toBe('old links');
    expect(next.indexOf('<!-- bench:cluster -->')).toBeGreaterThan(next.indexOf('/bench:chat'));
  });

  it('creates a page from nothing', () => {
    expect(replaceSection('', 'links', 'x')).toBe(
      '<!-- bench:links -->\n\nx\n\n<!-- /bench:links -->\n',
    );
  });

  it('keeps dollar signs and other replacement patterns in the body literally', () => {
    const next = replaceSection(page, 'links', "cost $& and $' and $1");
    expect(readSection(next, 'links')).toBe("cost $& and $' and $1");
  });

  it('refuses a page whose markers are unpaired, repeated or reversed', () => {
    const unpaired = page.replace('<!-- /bench:links -->', '');
    expect(() => replaceSection(unpaired, 'links', 'x')).toThrow(/expected one/);
    const repeated = `${page}\n<!-- bench:chat -->\n`;
    expect(() => replaceSection(repeated, 'chat', 'x')).toThrow(/found 2 and 1/);
    const reversed = '<!-- /bench:links -->\n<!-- bench:links -->\n';
    expect(() => replaceSection(reversed, 'links', 'x')).toThrow(/comes before/);
  });

  it('does not confuse a section with another whose name it starts', () => {
    const next = replaceSection(page, 'link', 'short name');
    expect(readSection(next, 'links')).toBe('old links');
    expect(readSection(next, 'link')).toBe('short name');
  });

  it('refuses a section name that could break the markers', () => {
    expect(() => sectionMarkers('a -->')).toThrow(/invalid section name/);
    expect(() => sectionMarkers('')).toThrow(/invalid section name/);
  });
});

describe(renderTable.name, () => {
  it('pads every column to its widest cell and marks right-aligned ones', () => {
    const table = renderTable(
      [{ header: 'what' }, { header: 'rate', align: 'right' }],
      [
        ['cached', '25,000 req/s'],
        ['uniform redirects', '9 req/s'],
      ],
    );
    expect(table).toBe(
      [
        '| what              |         rate |',
        '| ----------------- | -----------: |',
        '| cached            | 25,000 req/s |',
        '| uniform redirects |      9 req/s |',
      ].join('\n'),
    );
  });

  it('escapes pipes and newlines inside cells', () => {
    const table = renderTable([{ header: 'a|b' }], [['x\ny|z']]);
    expect(table.split('\n')).toEqual(['| a\\|b   |', '| ------ |', '| x y\\|z |']);
  });

  it('fills short rows and refuses long ones', () => {
    expect(renderTable([{ header: 'a' }, { header: 'b' }], [['1']])).toContain('| 1   |     |');
    expect(() => renderTable([{ header: 'a' }], [['1', '2']])).toThrow(/2 cells for 1 columns/);
  });
});
