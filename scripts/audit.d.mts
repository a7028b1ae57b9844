/** What one `npm audit --json` output means for CI. */
export function auditVerdict(stdout: string): { ok: boolean; message: string };
