// A short, stable hash for ids derived from other ids (a drill's scratch resource name, a fire
// drill's break-glass request id): the same input always names the same thing, across retries,
// replays and Node versions. FNV-1a, 32 bits, as 8 hex digits. Not for secrets. Pure: workflow-safe.

export function fnv1a(text: string, seed = 0x811c9dc5): string {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}
