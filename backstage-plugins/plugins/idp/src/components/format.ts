/** `2026-12-02 05:51 UTC`: one time zone for everyone reading the same log. */
export function formatTime(iso: string): string {
  const time = new Date(iso);
  if (Number.isNaN(time.getTime())) {
    return iso;
  }
  return `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** What an audit entry was about, in a few words: its application and environments. */
export function describeInputs(inputs: Record<string, unknown>): string {
  const parts: string[] = [];
  const application = inputs.application ?? inputs.name;
  if (typeof application === 'string') {
    parts.push(application);
  }
  if (typeof inputs.from === 'string' && typeof inputs.to === 'string') {
    parts.push(`${inputs.from} → ${inputs.to}`);
  } else if (typeof inputs.environment === 'string') {
    parts.push(inputs.environment);
  }
  if (typeof inputs.version === 'string') {
    parts.push(inputs.version);
  }
  return parts.join(' · ');
}
