/**
 * What the verification page must say, copied here on purpose (not imported from
 * web/src/i18n.ts), so that a changed word on the page fails a test.
 */
export type PageLang = "en" | "zh-CN";

/** The verdict's headline and advice per status and language. */
export const VERDICT_WORDS: Record<string, Record<PageLang, { title: string; advice: string }>> = {
  genuine: {
    en: { title: "Genuine", advice: "This box is genuine and on the market." },
    "zh-CN": { title: "正品", advice: "此药盒为正品，正常流通中。" },
  },
  dispensed: {
    en: {
      title: "Already dispensed",
      advice: "This box was already handed out by a pharmacy. If you did not just receive it from one, do not use it and tell the pharmacist.",
    },
    "zh-CN": { title: "已售出", advice: "此药盒已由药店售出。如果不是您刚从药店取得的，请勿使用，并告知药师。" },
  },
  recalled: {
    en: { title: "Recalled", advice: "This batch is recalled. Do not use it: return it to the pharmacy." },
    "zh-CN": { title: "已召回", advice: "此批次已被召回。请勿使用，请退回药店。" },
  },
  unknown: {
    en: {
      title: "Unknown code",
      advice: "No batch holds this code: the box may be counterfeit. Do not use it; tell the pharmacist.",
    },
    "zh-CN": { title: "未知追溯码", advice: "没有任何批次包含此追溯码，可能是假药。请勿使用，并告知药师。" },
  },
};

/** A date as the page writes it: the language's medium style, in UTC. */
export function pageDate(lang: PageLang, iso: string): string {
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: "UTC" }).format(new Date(iso));
}

/** The verdict's line for a level-II recall due back on `deadline` (ISO). */
export function recallLine(lang: PageLang, deadline: string): string {
  const date = pageDate(lang, deadline);
  return lang === "en" ? `Level II recall. Return by ${date}.` : `二级召回。请于 ${date} 前退回。`;
}

/** The timeline's entry for the opening of that recall. */
export function recallOpened(lang: PageLang, deadline: string): string {
  const date = pageDate(lang, deadline);
  return lang === "en" ? `Level II recall opened: return by ${date}` : `启动二级召回，请于 ${date} 前退回`;
}

/** The line under the verdict that names the block the chain was read at. */
export const CHECKED_AT: Record<PageLang, RegExp> = {
  en: /^Checked on the chain at block \d+\.$/,
  "zh-CN": /^已于区块 \d+ 在链上查验。$/,
};

/** The language switch's label, which names the other language. */
export const SWITCH_LABEL: Record<PageLang, string> = { en: "中文", "zh-CN": "English" };

/** The error shown for a code no parser reads. */
export const INVALID_CODE: Record<PageLang, string> = {
  en: "This is not a code we can read. Check what you typed.",
  "zh-CN": "无法识别此追溯码，请检查输入。",
};
