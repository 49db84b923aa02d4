// Device versions are vendor strings such as `58.15.0.124`, `1.0.96.22`, `1.004.0115` or `5.0.1`:
// dotted numeric parts, often four (docs/design.md section 3). semver rejects or drops the fourth part,
// so they are compared numerically part by part; a missing part counts as 0 (`1.2` == `1.2.0`).

export const VENDOR_VERSION_PATTERN = '^[0-9]+(\\.[0-9]+){0,5}$';
const VENDOR_VERSION_RE = new RegExp(VENDOR_VERSION_PATTERN);

export function isVendorVersion(text: string): boolean {
  return typeof text === 'string' && text.length <= 64 && VENDOR_VERSION_RE.test(text);
}

/** Negative when a < b, 0 when equal, positive when a > b. Both must be vendor versions. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  const n = Math.max(pa.length, pb.length);
  for (let i = 0; i < n; i++) {
    const x = Number(pa[i] ?? 0);
    const y = Number(pb[i] ?? 0);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export const versionLess = (a: string, b: string): boolean => compareVersions(a, b) < 0;
