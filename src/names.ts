/**
 * Kubernetes name rules (DNS-1123), checked before any API call so a typo
 * fails fast and nothing is half-created.
 */
import { UsageError } from './errors.js';

const label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Checks a ServiceAccount (subdomain) or namespace (label) name. Account
 * names are also capped at 63 characters: they go into label values.
 */
export function validateName(
  name: string,
  what: string,
  kind: 'subdomain' | 'label' = 'subdomain',
): void {
  const pattern = kind === 'label' ? label : subdomain;
  const rule =
    kind === 'label'
      ? 'lowercase letters, digits and "-", starting and ending with a letter or digit'
      : 'lowercase letters, digits, "-" and ".", starting and ending with a letter or digit';
  if (name.length === 0) throw new UsageError(`${what} must not be empty`);
  if (name.length > 63) {
    throw new UsageError(`invalid ${what} "${name}": it must be at most 63 characters`);
  }
  if (!pattern.test(name)) throw new UsageError(`invalid ${what} "${name}": use ${rule}`);
}
