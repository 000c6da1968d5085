/**
 * The pieces of docs/benchmarks.md: aligned tables, and sections owned by one
 * benchmark each (between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`), so that
 * the links, chat and cluster benchmarks rewrite their own part and nothing else.
 */

/** How a column's cells line up. */
export type Align = 'left' | 'right';

/** A table column: its header and alignment. */
export interface Column {
  readonly header: string;
  readonly align?: Align;
}

const SECTION_NAME = /^[a-z0-9][a-z0-9:-]*$/;

/** The opening and closing markers of a named section. */
export function sectionMarkers(name: string): { open: string; close: string } {
  if (!SECTION_NAME.test(name)) throw new Error(`invalid section name: ${JSON.stringify(name)}`);
  return { open: `<!-- bench:${name} -->`, close: `<!-- /bench:${name} -->` };
}

function occurrences(text: string, needle: string): number[] {
  const found: number[] = [];
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
    found.push(at);
  }
  return found;
}

/**
 * Replaces the body of section `name` in `document`, or appends the section when the
 * document has none. A document whose markers are unpaired or repeated is refused
 * rather than guessed at, so that a hand edit gone wrong never loses another section.
 */
export function replaceSection(document: string, name: string, body: string): string {
  const { open, close } = sectionMarkers(name);
  const opens = occurrences(document, open);
  const closes = occurrences(document, close);
  const block = `${open}\n\n${body.trim()}\n\n${close}`;
  if (opens.length === 0 && closes.length === 0) {
    const head = document.trimEnd();
    return `${head.length > 0 ? `${head}\n\n` : ''}${block}\n`;
  }
  if (opens.length !== 1 || closes.length !== 1) {
    throw new Error(
      `section ${name}: expected one ${open} and one ${close}, found ${opens.length} and ${closes.length}`,
    );
  }
  const start = opens[0]!;
  const end = closes[0]!;
  if (end < start) throw new Error(`section ${name}: ${close} comes before ${open}`);
  return document.slice(0, start) + block + document.slice(end + close.length);
}

/** The body of section `name`, or null when the document has none. */
export function readSection(document: string, name: string): string | null {
  const { open, close } = sectionMarkers(name);
  const start = document.indexOf(open);
  const end = document.indexOf(close);
  if (start === -1 || end === -1 || end < start) return null;
  return document.slice(start + open.length, end).trim();
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function pad(text: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - text.length));
  return align === 'right' ? fill + text : text + fill;
}

/**
 * A Markdown table with every column padded to its widest cell, so that it reads well
 * in a terminal as well as rendered. Rows shorter than the header are padded with
 * empty cells; longer ones are an error.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
): string {
  if (columns.length === 0) throw new Error('a table needs at least one column');
  const cells = rows.map((row, i) => {
    if (row.length > columns.length) {
      throw new Error(`row ${i} has ${row.length} cells for ${columns.length} columns`);
    }
    return columns.map((_, c) => escapeCell(row[c] ?? ''));
  });
  const headers = columns.map((column) => escapeCell(column.header));
  const widths = columns.map((_, c) =>
    Math.max(3, headers[c]!.length, ...cells.map((row) => row[c]!.length)),
  );
  const line = (values: readonly string[]) =>
    `| ${values.map((v, c) => pad(v, widths[c]!, columns[c]!.align ?? 'left')).join(' | ')} |`;
  const rule = `| ${columns
    .map((column, c) =>
      column.align === 'right' ? `${'-'.repeat(widths[c]! - 1)}:` : '-'.repeat(widths[c]!),
    )
    .join(' | ')} |`;
  return [line(headers), rule, ...cells.map(line)].join('\n');
}
