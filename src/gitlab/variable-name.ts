/**
 * A CI/CD variable's name as GitLab takes it, in a variable or a dotenv report (Ci::HasVariable:
 * letters, digits and `_`, at most 255). GitLab's rule, so it lives here; the config's checks
 * (src/config/checks.ts) share it with the command's flags.
 */
export function isVariableName(name: string): boolean {
  return /^[A-Za-z0-9_]{1,255}$/.test(name);
}
