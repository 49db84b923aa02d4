// Small pieces shared by the terminal and markdown formatters: aligned columns, truncation,
// instants for people, optional ANSI colour (never when output is not a terminal).
import { formatSpan } from '../../planner/diff.ts';
import type { ComponentState } from '../../planner/types.ts';

export type Style = 'bold' | 'dim' | 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan';
const ANSI: Record<Style, [number, number]> = {
  bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], blue: [34, 39], magenta: [35, 39], cyan: [36, 39],
};

export interface Cell { text: string; style?: Style }
export type CellInput = string | Cell;

export function paint(text: string, style: Style | undefined, color: boolean): string {
  if (!color || !style || text === '') return text;
  const [on, off] = ANSI[style];
  return `\u001b[${on}m${text}\u001b[${off}m`;
}

/** Whether to colour: only on a terminal, and never with NO_COLOR set (no-color.org). */
export function wantColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

export const STATE_STYLE: Record<ComponentState, Style | undefined> = {
  UpToDate: 'green', Due: 'cyan', Scheduled: undefined, InProgress: 'blue', Held: 'yellow', Failed: 'red', Blocked: 'magenta',
};

/** Cuts `text` to `max` characters, ending with `…` when cut. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  return chars.slice(0, Math.max(0, max - 1)).join('') + '…';
}

const width = (s: string): number => [...s].length;

export interface Column {
  header: string;
  /** Cells longer than this are cut with `…`. */
  max?: number;
  align?: 'left' | 'right';
}

/** Aligned columns separated by two spaces, a header row first; no trailing spaces. */
export function renderColumns(columns: Column[], rows: CellInput[][], opts: { color: boolean; indent?: string }): string[] {
  const indent = opts.indent ?? '';
  const cells: Cell[][] = rows.map((r) => columns.map((col, i) => {
    const c = r[i] ?? '';
    const cell: Cell = typeof c === 'string' ? { text: c } : c;
    return { text: col.max ? truncate(cell.text, col.max) : cell.text, ...(cell.style ? { style: cell.style } : {}) };
  }));
  const widths = columns.map((col, i) => Math.max(width(col.header), ...cells.map((r) => width(r[i]!.text))));
  const line = (row: Cell[], header: boolean): string => {
    const parts = row.map((cell, i) => {
      const pad = ' '.repeat(widths[i]! - width(cell.text));
      const padded = columns[i]!.align === 'right' ? pad + paint(cell.text, cell.style, opts.color) : paint(cell.text, cell.style, opts.color) + pad;
      return header ? paint(padded, 'bold', opts.color) : padded;
    });
    return (indent + parts.join('  ')).trimEnd();
  };
  return [line(columns.map((c) => ({ text: c.header })), true), ...cells.map((r) => line(r, false))];
}

/** `2026-11-25 01:00 UTC`: minutes are the planner's resolution that matters to people. */
export function formatInstant(iso: string | null): string {
  if (iso === null) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const d = new Date(t);
  const s = d.toISOString();
  const secs = d.getUTCSeconds() !== 0 || d.getUTCMilliseconds() !== 0 ? s.slice(16, 19) : '';
  return `${s.slice(0, 10)} ${s.slice(11, 16)}${secs} UTC`;
}

/** `now`, `in 2d 3h` or `3h ago`, relative to the plan's instant. */
export function formatRelative(iso: string | null, at: string): string {
  if (iso === null) return '';
  const delta = Date.parse(iso) - Date.parse(at);
  if (Number.isNaN(delta)) return '';
  if (delta <= 0) return 'now';
  return `in ${formatSpan(delta)}`;
}

export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Git commit ids and content hashes (`sha256:…`) are shown by their first 12 hex digits; JSON keeps them whole. */
export function shortRevision(rev: string): string {
  const m = /^([a-z0-9]+:)?([0-9a-f]{13,})$/i.exec(rev);
  return m ? `${m[1] ?? ''}${m[2]!.slice(0, 12)}` : rev;
}
