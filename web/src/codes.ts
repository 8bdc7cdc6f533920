/**
 * How a scanned code reads in the text field: a GS1 element string with FNC1 separators
 * (as ZXing returns it) written in the parenthesised form printed under the symbol. The
 * raw value is what gets checked; this is only for people.
 */

/** The AIs a drug pack carries: fixed lengths, and those ended by FNC1 (or the end). */
const FIXED: Record<string, number> = { "01": 14, "11": 6, "17": 6 };
const VARIABLE = new Set(["10", "21"]);

/** `raw` in parenthesised form, or with FNC1 shown as `<GS>` if it has AIs we do not know. */
export function displayForm(raw: string): string {
  let rest = raw.replace(/^\](d2|C1|Q3)/, "");
  const fallback = rest.replace(/\x1d/g, "<GS>");
  if (!/^01\d{14}/.test(rest)) return fallback;
  let out = "";
  while (rest.length > 0) {
    if (rest.startsWith("\x1d")) {
      rest = rest.slice(1);
      continue;
    }
    const ai = rest.slice(0, 2);
    const fixed = FIXED[ai];
    if (fixed !== undefined) {
      out += `(${ai})${rest.slice(2, 2 + fixed)}`;
      rest = rest.slice(2 + fixed);
    } else if (VARIABLE.has(ai)) {
      const end = rest.indexOf("\x1d");
      out += `(${ai})${end < 0 ? rest.slice(2) : rest.slice(2, end)}`;
      rest = end < 0 ? "" : rest.slice(end + 1);
    } else {
      return fallback;
    }
  }
  return out;
}

/**
 * Whether the unit the gateway found (`canonical`: `01<GTIN>21<serial>`, or China's 20
 * digits) is the one presented: its GTIN and serial (or its 20 digits) are in what was
 * scanned or typed. A gateway cannot answer for another genuine box than the one in hand.
 */
export function isPresented(presented: string, canonical: string): boolean {
  if (/^\d{20}$/.test(canonical)) return presented.replace(/\D/g, "").includes(canonical);
  const sgtin = /^01(\d{14})21(.+)$/.exec(canonical);
  return sgtin !== null && presented.includes(sgtin[1]) && presented.includes(sgtin[2]);
}
