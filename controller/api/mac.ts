// MAC addresses are normalised to `AA-BB-CC-DD-EE-FF` (seed 004's Teams admin center form).

const HEX12 = /^[0-9A-F]{12}$/;
const CANONICAL = /^[0-9A-F]{2}(?:-[0-9A-F]{2}){5}$/;

/** Accepts `aa:bb:cc:dd:ee:ff`, `AA-BB-…`, `aabb.ccdd.eeff` and bare hex; undefined when malformed. */
export function normalizeMac(text: string): string | undefined {
  if (typeof text !== 'string') return undefined;
  if (CANONICAL.test(text)) return text; // already normalised: a fleet file of 100,000 devices mostly is
  const trimmed = text.trim().toUpperCase();
  if (!/^[0-9A-F:.\-]+$/.test(trimmed)) return undefined;
  const groups = trimmed.split(/[:.\-]/);
  const shapeOk =
    (groups.length === 6 && groups.every((g) => g.length === 2)) ||
    (groups.length === 3 && groups.every((g) => g.length === 4)) ||
    groups.length === 1;
  const hex = groups.join('');
  if (!shapeOk || !HEX12.test(hex)) return undefined;
  return hex.match(/../g)!.join('-');
}
