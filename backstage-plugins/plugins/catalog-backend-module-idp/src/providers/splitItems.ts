import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/**
 * The service's body (`{"items": [...], "revision": ...}`, 32 MB for 30,000 entities) cut into
 * the raw JSON text of each item and the envelope with `"items": []`, a slice at a time: one
 * `JSON.parse` of the whole body blocked Backstage's event loop for 0.5-0.9 s. Each piece is then
 * parsed alone. Answers undefined when the body has no top-level `"items"` array to cut (then the
 * caller parses it whole, and says what is wrong with it).
 */
export async function splitItems(text: string): Promise<{ envelope: string; items: string[] } | undefined> {
  const items: string[] = [];
  let depth = 0;
  let stringStart = -1;
  let lastString = '';
  let itemsOpen = -1;
  let itemStart = -1;
  let nextYield = SCAN_SLICE;
  for (let i = 0; i < text.length; i += 1) {
    if (i >= nextYield) {
      nextYield += SCAN_SLICE;
      await yieldToEventLoop();
    }
    const char = text.charCodeAt(i);
    if (stringStart >= 0) {
      if (char === BACKSLASH) {
        i += 1; // the escaped character cannot end the string
      } else if (char === QUOTE) {
        if (depth === 1) {
          lastString = text.slice(stringStart, i + 1); // at the top level: a key, e.g. "items"
        }
        stringStart = -1;
      }
      continue;
    }
    if (char === QUOTE) {
      stringStart = i;
    } else if (char === OPEN_BRACE || char === OPEN_BRACKET) {
      if (depth === 1 && char === OPEN_BRACKET && itemsOpen < 0 && lastString === '"items"') {
        itemsOpen = i;
        itemStart = i + 1;
      }
      depth += 1;
    } else if (char === CLOSE_BRACE || char === CLOSE_BRACKET) {
      depth -= 1;
      if (depth === 1 && itemsOpen >= 0 && char === CLOSE_BRACKET) {
        const last = text.slice(itemStart, i);
        if (items.length > 0 || last.trim() !== '') {
          items.push(last);
        }
        return { envelope: `${text.slice(0, itemsOpen + 1)}${text.slice(i)}`, items };
      }
    } else if (char === COMMA && depth === 2 && itemsOpen >= 0) {
      items.push(text.slice(itemStart, i));
      itemStart = i + 1;
    }
  }
  return undefined;
}

// About 10 ms of scanning per slice.
const SCAN_SLICE = 1 << 20;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
