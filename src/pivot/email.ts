// An email address as an IdP asserts it: untrusted input, checked in the practical form of
// RFC 5321/5322 (a dot-atom local part, an ASCII domain with a dot), shared by both profiles.

// The local part as a dot-atom (RFC 5322), without quoted strings nor comments.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const TOP_LEVEL_LABEL = /^[a-z]{2,63}$/;

/**
 * A plausible email address, trimmed, its domain lowercased; undefined when not plausible: at most
 * 254 characters (RFC 5321's path limit), one `@`, a local part of at most 64, a domain of two
 * labels or more, no space nor control character anywhere. The local part keeps its case: RFC 5321
 * lets a mail server tell `Jean` from `jean`, and the address is shown back as the IdP gave it.
 */
export function normaliseEmail(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const email = value.trim();
  if (email.length > 254) return undefined;
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).toLowerCase();
  if (at < 0 || local.length < 1 || local.length > 64 || !LOCAL_PART.test(local)) return undefined;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) return undefined;
  if (!TOP_LEVEL_LABEL.test(labels.at(-1) ?? '')) return undefined;
  return `${local}@${domain}`;
}
