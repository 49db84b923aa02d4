// A ProvisioningBatch `devicesFile` (seed 004: MAC IDs uploaded with their locations).
// Columns: macAddress (required), location, user; a header row names them, in any order.
// Accepts a UTF-8 BOM, CRLF line ends, quoted fields with commas, blank lines. MACs are returned
// as written: the loader normalises and de-duplicates them across batches (controller/api/rules.ts).
import { parse } from 'csv-parse/sync';
import { MAX_LOCATION_LENGTH, USER_PATTERN } from '../api/schemas.ts';
import { quote } from '../api/quote.ts';

const USER_RE = new RegExp(USER_PATTERN);

export const CSV_COLUMNS = ['macAddress', 'location', 'user'] as const;
export const MAX_CSV_ROWS = 10_000;

export interface CsvDeviceRow {
  /** 1-based line of the row in the file. */
  line: number;
  macAddress: string;
  location?: string;
  user?: string;
}
export interface CsvProblem { line: number; column?: string; message: string }
export interface CsvResult { rows: CsvDeviceRow[]; problems: CsvProblem[] }

export function parseDevicesCsv(text: string): CsvResult {
  const problems: CsvProblem[] = [];
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true,
      max_record_size: 64 * 1024, to: MAX_CSV_ROWS + 2,
    }) as unknown as { record: string[]; info: { lines: number } }[];
  } catch (err) {
    const e = err as { message?: string; lines?: number };
    return { rows: [], problems: [{ line: e.lines ?? 1, message: `not a readable CSV file: ${String(e.message ?? err).replace(/^Invalid[^:]*: /, '')}` }] };
  }
  const header = records[0];
  if (!header) return { rows: [], problems: [{ line: 1, message: `the file is empty; it needs a header row (${CSV_COLUMNS.join(',')}) and one row per device` }] };

  const columns = header.record.map((c) => c.trim());
  const index = new Map<string, number>();
  columns.forEach((c, i) => {
    const known = CSV_COLUMNS.find((k) => k.toLowerCase() === c.toLowerCase());
    if (!known) problems.push({ line: header.info.lines, column: c, message: `unknown column ${quote(c)}; the columns are ${CSV_COLUMNS.join(', ')}` });
    else if (index.has(known)) problems.push({ line: header.info.lines, column: c, message: `column ${known} appears twice` });
    else index.set(known, i);
  });
  if (!index.has('macAddress')) {
    problems.push({ line: header.info.lines, message: `the header row must name a macAddress column (columns: ${CSV_COLUMNS.join(', ')}); got ${quote(header.record.join(','))}` });
    return { rows: [], problems };
  }
  if (records.length - 1 > MAX_CSV_ROWS) {
    problems.push({ line: records[MAX_CSV_ROWS + 1]!.info.lines, message: `more than ${MAX_CSV_ROWS} devices; split the batch` });
    return { rows: [], problems };
  }

  const rows: CsvDeviceRow[] = [];
  for (const { record, info } of records.slice(1)) {
    if (record.length > columns.length) {
      problems.push({ line: info.lines, message: `has ${record.length} fields but the header names ${columns.length}; quote values that contain commas` });
      continue;
    }
    const get = (c: string) => {
      const i = index.get(c);
      const v = i === undefined ? undefined : record[i];
      return v === undefined || v === '' ? undefined : v;
    };
    const mac = get('macAddress');
    if (mac === undefined) {
      problems.push({ line: info.lines, column: 'macAddress', message: 'macAddress is empty' });
      continue;
    }
    const row: CsvDeviceRow = { line: info.lines, macAddress: mac };
    const location = get('location');
    const user = get('user');
    if (location !== undefined && location.length > MAX_LOCATION_LENGTH) {
      problems.push({ line: info.lines, column: 'location', message: `is too long (${location.length} characters, at most ${MAX_LOCATION_LENGTH})` });
      continue;
    }
    if (user !== undefined && !USER_RE.test(user)) {
      problems.push({ line: info.lines, column: 'user', message: `${quote(user)} is not a user principal name; write the account as user@domain, e.g. alice@contoso.com` });
      continue;
    }
    if (location !== undefined) row.location = location;
    if (user !== undefined) row.user = user;
    rows.push(row);
  }
  return { rows, problems };
}
