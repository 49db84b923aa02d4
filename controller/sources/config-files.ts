// Which files of a config tree are config (issue 10 item 1): the one rule `validate`, `run --config`,
// `run --repo` and `plan --compare` apply, so a pull-request check and the controller always agree.
// A file is config when its name ends in .yaml or .yml and no part of its path starts with a dot: dot-folders
// hold other tools' files (`.github/workflows/*.yml`, `.git`, editors' state), never Fleetward objects.

/** `groups/rooms.yaml` yes; `.github/workflows/ci.yml`, `.hidden.yaml`, `notes.txt` no. Paths use `/`. */
export function isConfigPath(relPath: string): boolean {
  return /\.ya?ml$/i.test(relPath) && !isHiddenPath(relPath);
}

/** A path with a part that starts with a dot: never read as config, never walked into. */
export function isHiddenPath(relPath: string): boolean {
  return relPath.split(/[\\/]+/).some((part) => part.startsWith('.') && part !== '.');
}
