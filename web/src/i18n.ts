/**
 * Every string the page shows, in Simplified Chinese and English. The language comes from
 * the browser (`navigator.languages`) unless the visitor chose one with the switch; that
 * choice (a language code, nothing personal) is remembered in localStorage.
 */
import type { VerifyStatus } from "../../sdk/verdicts.js";

export const LANGS = ["zh-CN", "en"] as const;
export type Lang = (typeof LANGS)[number];

/** The words for one status: a headline, and what to do. */
export interface StatusWords {
  title: string;
  advice: string;
}

export interface Strings {
  title: string;
  intro: string;
  /** The switch's label, in the language it switches to. */
  switchTo: string;
  switchLabel: string;
  scan: string;
  scanStop: string;
  scanHint: string;
  photo: string;
  codeLabel: string;
  codeHint: string;
  check: string;
  checking: string;
  cameraUnavailable: string;
  noCodeInPhoto: string;
  emptyCode: string;
  invalidCode: string;
  networkError: string;
  proofMismatch: string;
  details: string;
  product: string;
  lot: string;
  expiry: string;
  manufactured: string;
  code: string;
  history: string;
  checkedAt: (block: string) => string;
  /** A recall's level and the date by which stock is due back. */
  recall: (level: number, date: string) => string;
  event: {
    created: string;
    released: string;
    state: (to: string, from: string | undefined) => string;
    because: (text: string, reason: string) => string;
    recall: (level: number, deadline: string | undefined) => string;
    product: (text: string) => string;
  };
  states: Record<string, string>;
  privacy: string;
  status: Record<VerifyStatus, StatusWords>;
}

const en: Strings = {
  title: "Check a medicine box",
  intro: "Scan the square code on the box, upload a photo of it, or type the code. The answer comes from the MedState chain.",
  switchTo: "中文",
  switchLabel: "切换到中文",
  scan: "Scan with the camera",
  scanStop: "Stop the camera",
  scanHint: "Hold the box's square code in front of the camera.",
  photo: "Upload a photo of the code",
  codeLabel: "Code on the box",
  codeHint: "For example (01)06901234567892(21)G1, or the 20-digit code.",
  check: "Check",
  checking: "Checking…",
  cameraUnavailable: "The camera is not available. Upload a photo or type the code instead.",
  noCodeInPhoto: "No code was found in this photo. Try a sharper photo, or type the code.",
  emptyCode: "Type the code printed on the box.",
  invalidCode: "This is not a code we can read. Check what you typed.",
  networkError: "The check could not be completed. Try again in a moment.",
  proofMismatch: "The answer about this code did not match the chain's record.",
  details: "About this box",
  product: "Product",
  lot: "Lot",
  expiry: "Expiry",
  manufactured: "Manufactured",
  code: "Code",
  history: "History of this batch",
  checkedAt: (block) => `Checked on the chain at block ${block}.`,
  recall: (level, date) => `Level ${["I", "II", "III"][level - 1] ?? level} recall. Return by ${date}.`,
  event: {
    created: "Batch made and registered",
    released: "Released for sale by quality assurance",
    state: (to, from) => (from === undefined ? `Now: ${to}` : `${from} → ${to}`),
    because: (text, reason) => `${text}: ${reason}`,
    recall: (level, deadline) =>
      `Level ${["I", "II", "III"][level - 1] ?? level} recall opened${deadline === undefined ? "" : `: return by ${deadline}`}`,
    product: (text) => `Whole product: ${text}`,
  },
  states: {
    Marketed: "On the market",
    EmergencyStop: "Stopped",
    Recall: "Recalled",
    Destroyed: "Destroyed",
    Deregistered: "Withdrawn",
  },
  privacy: "This page asks for nothing about you and keeps nothing about you.",
  status: {
    genuine: { title: "Genuine", advice: "This box is genuine and on the market." },
    dispensed: {
      title: "Already dispensed",
      advice: "This box was already handed out by a pharmacy. If you did not just receive it from one, do not use it and tell the pharmacist.",
    },
    stopped: { title: "Stopped", advice: "Sale of this batch is stopped while it is checked. Do not use it; ask the pharmacist." },
    recalled: { title: "Recalled", advice: "This batch is recalled. Do not use it: return it to the pharmacy." },
    destroyed: { title: "Destroyed", advice: "This batch was destroyed, so this box should not exist. Do not use it; tell the pharmacist." },
    deregistered: { title: "Withdrawn", advice: "This product's registration was withdrawn. Do not use it; ask the pharmacist." },
    suspect: {
      title: "Suspect",
      advice: "This code was reported stolen or is under investigation. Do not use it; tell the pharmacist.",
    },
    unreleased: { title: "Not released", advice: "This batch was never released for sale. Do not use it; tell the pharmacist." },
    expired: { title: "Expired", advice: "This box is past its expiry date. Do not use it." },
    locked: { title: "Blocked", advice: "This box is blocked pending a check. Do not use it yet; ask the pharmacist." },
    unknown: {
      title: "Unknown code",
      advice: "No batch holds this code: the box may be counterfeit. Do not use it; tell the pharmacist.",
    },
  },
};

const zh: Strings = {
  title: "查验药盒",
  intro: "扫描药盒上的方形码、上传它的照片，或输入追溯码。结果来自 MedState 区块链。",
  switchTo: "English",
  switchLabel: "Switch to English",
  scan: "用摄像头扫码",
  scanStop: "关闭摄像头",
  scanHint: "请将药盒上的方形码对准摄像头。",
  photo: "上传追溯码照片",
  codeLabel: "药盒上的追溯码",
  codeHint: "例如 (01)06901234567892(21)G1，或 20 位追溯码。",
  check: "查验",
  checking: "正在查验…",
  cameraUnavailable: "无法使用摄像头。请上传照片或手动输入追溯码。",
  noCodeInPhoto: "照片中未找到追溯码。请换一张更清晰的照片，或手动输入。",
  emptyCode: "请输入药盒上印的追溯码。",
  invalidCode: "无法识别此追溯码，请检查输入。",
  networkError: "查验未能完成，请稍后再试。",
  proofMismatch: "关于此追溯码的答复与链上记录不符。",
  details: "药品信息",
  product: "药品",
  lot: "批号",
  expiry: "有效期至",
  manufactured: "生产日期",
  code: "追溯码",
  history: "本批次记录",
  checkedAt: (block) => `已于区块 ${block} 在链上查验。`,
  recall: (level, date) => `${["一", "二", "三"][level - 1] ?? level}级召回。请于 ${date} 前退回。`,
  event: {
    created: "批次生产并登记",
    released: "质量受权人放行上市",
    state: (to, from) => (from === undefined ? `当前：${to}` : `${from} → ${to}`),
    because: (text, reason) => `${text}：${reason}`,
    recall: (level, deadline) =>
      `启动${["一", "二", "三"][level - 1] ?? level}级召回${deadline === undefined ? "" : `，请于 ${deadline} 前退回`}`,
    product: (text) => `整个药品：${text}`,
  },
  states: {
    Marketed: "正常流通",
    EmergencyStop: "暂停销售",
    Recall: "召回",
    Destroyed: "已销毁",
    Deregistered: "已注销",
  },
  privacy: "本页面不收集、也不保存任何个人信息。",
  status: {
    genuine: { title: "正品", advice: "此药盒为正品，正常流通中。" },
    dispensed: { title: "已售出", advice: "此药盒已由药店售出。如果不是您刚从药店取得的，请勿使用，并告知药师。" },
    stopped: { title: "暂停销售", advice: "此批次正在调查，已暂停销售。请勿使用，请咨询药师。" },
    recalled: { title: "已召回", advice: "此批次已被召回。请勿使用，请退回药店。" },
    destroyed: { title: "已销毁", advice: "此批次已销毁，此药盒本不应存在。请勿使用，并告知药师。" },
    deregistered: { title: "已注销", advice: "此药品的注册已注销。请勿使用，请咨询药师。" },
    suspect: { title: "可疑", advice: "此追溯码已被报告失窃或正在调查。请勿使用，并告知药师。" },
    unreleased: { title: "未放行", advice: "此批次从未被放行上市。请勿使用，并告知药师。" },
    expired: { title: "已过期", advice: "此药盒已过有效期。请勿使用。" },
    locked: { title: "已锁定", advice: "此药盒待核查，已被锁定。暂勿使用，请咨询药师。" },
    unknown: { title: "未知追溯码", advice: "没有任何批次包含此追溯码，可能是假药。请勿使用，并告知药师。" },
  },
};

const TABLE: Record<Lang, Strings> = { "zh-CN": zh, en };
const STORAGE_KEY = "medstate.lang";

/** The strings of `lang`. */
export function strings(lang: Lang): Strings {
  return TABLE[lang];
}

/** The first of the browser's languages we speak (any `zh…` → zh-CN, any `en…` → en), else English. */
export function languageFrom(preferred: readonly string[]): Lang {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower.startsWith("zh")) return "zh-CN";
    if (lower.startsWith("en")) return "en";
  }
  return "en";
}

/** The language to start in: the visitor's earlier choice, else the browser's. */
export function initialLanguage(): Lang {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    // Storage may be disabled; the browser's language then decides.
  }
  if (saved !== null && (LANGS as readonly string[]).includes(saved)) return saved as Lang;
  return languageFrom(navigator.languages ?? [navigator.language]);
}

/** Remembers the visitor's choice of language (only the language code). */
export function rememberLanguage(lang: Lang): void {
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered: the page still works.
  }
}
