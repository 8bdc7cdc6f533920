/**
 * Rendering: the page's static strings in the chosen language, the verdict (words, colour
 * and an icon, so colour is never the only cue), and the box's details with its batch's
 * history. Text from the network only ever goes in through textContent.
 */
import type { VerifyStatus } from "../../sdk/verdicts.js";
import type { HistoryEntry } from "./api.js";
import { type Lang, type Strings, strings } from "./i18n.js";
import type { CheckResult } from "./verify.js";

type Tone = "ok" | "info" | "warn" | "danger";
type Icon = "check" | "info" | "warning" | "cross";

/** How each status looks: a tone (colour) and an icon (shape). */
const LOOK: Record<VerifyStatus, { tone: Tone; icon: Icon }> = {
  genuine: { tone: "ok", icon: "check" },
  dispensed: { tone: "info", icon: "info" },
  stopped: { tone: "warn", icon: "warning" },
  recalled: { tone: "danger", icon: "warning" },
  destroyed: { tone: "danger", icon: "cross" },
  deregistered: { tone: "danger", icon: "cross" },
  suspect: { tone: "danger", icon: "warning" },
  unreleased: { tone: "warn", icon: "warning" },
  expired: { tone: "danger", icon: "cross" },
  locked: { tone: "warn", icon: "warning" },
  unknown: { tone: "danger", icon: "cross" },
};

const SVG_NS = "http://www.w3.org/2000/svg";
const ICON_PATHS: Record<Icon, string[]> = {
  check: ["M12 2a10 10 0 1 0 0 20a10 10 0 1 0 0-20z", "M7 12.5l3.2 3.2L17.5 8.5"],
  info: ["M12 2a10 10 0 1 0 0 20a10 10 0 1 0 0-20z", "M12 10.5v7", "M12 6.5v.5"],
  warning: ["M12 2.5L22.5 21h-21z", "M12 9v6", "M12 17.5v.5"],
  cross: ["M7 2h10l5 5v10l-5 5H7l-5-5V7z", "M8.5 8.5l7 7", "M15.5 8.5l-7 7"],
};

function icon(kind: Icon): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.classList.add("icon");
  ICON_PATHS[kind].forEach((d, i) => {
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", d);
    path.setAttribute("class", i === 0 ? "shape" : "mark");
    svg.append(path);
  });
  return svg;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (text !== undefined) element.textContent = text;
  if (className !== undefined) element.className = className;
  return element;
}

function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`#${id} is missing`);
  return element as T;
}

/** Sets the document's language and every static string; the switch offers the other language. */
export function applyLanguage(lang: Lang): void {
  const s = strings(lang);
  document.documentElement.lang = lang;
  document.title = `${s.title} · MedState`;
  for (const node of document.querySelectorAll<HTMLElement>("[data-i18n]")) {
    const value = s[node.dataset.i18n as keyof Strings];
    if (typeof value === "string") node.textContent = value;
  }
  const other: Lang = lang === "en" ? "zh-CN" : "en";
  const button = byId("lang-switch");
  button.textContent = s.switchTo;
  button.lang = other;
  button.title = s.switchLabel;
}

/** Shows a problem the visitor can act on (or clears it with `undefined`). */
export function showError(message: string | undefined): void {
  byId("error").textContent = message ?? "";
}

/** Marks the check as running (the submit button says so). */
export function showBusy(lang: Lang, busy: boolean): void {
  const s = strings(lang);
  const submit = byId<HTMLButtonElement>("submit");
  submit.textContent = busy ? s.checking : s.check;
  byId("result").setAttribute("aria-busy", String(busy));
}

/** Shows the camera state: the button's words, the preview and its hint. */
export function showCamera(lang: Lang, running: boolean): void {
  const s = strings(lang);
  const button = byId("scan");
  button.textContent = running ? s.scanStop : s.scan;
  button.setAttribute("aria-pressed", String(running));
  byId("video").hidden = !running;
  byId("scan-hint").hidden = !running;
}

function formatDate(lang: Lang, iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeZone: "UTC" }).format(date);
}

function stateLabel(s: Strings, name: string): string {
  return s.states[name] ?? name;
}

function historyLine(lang: Lang, entry: HistoryEntry): string {
  const s = strings(lang);
  let text: string;
  if (entry.event === "created") text = s.event.created;
  else if (entry.event === "released") text = s.event.released;
  else if (entry.event === "recall") {
    text = s.event.recall(entry.level ?? 0, entry.deadline == null ? undefined : formatDate(lang, entry.deadline));
  } else {
    text = s.event.state(stateLabel(s, entry.state ?? "?"), entry.from == null ? undefined : stateLabel(s, entry.from));
    if (entry.reason != null && entry.reason !== "") text = s.event.because(text, entry.reason);
  }
  return entry.scope === "product" ? s.event.product(text) : text;
}

/** Clears the verdict and the details. */
export function clearResult(): void {
  byId("result").replaceChildren();
  const details = byId("details");
  details.replaceChildren();
  details.hidden = true;
}

/** Renders a check's verdict and details; returns the verdict element (to focus). */
export function showResult(lang: Lang, result: CheckResult): HTMLElement {
  const s = strings(lang);
  const words = s.status[result.status];
  const look = LOOK[result.status];

  const verdict = el("div", undefined, "verdict");
  verdict.id = "verdict";
  verdict.tabIndex = -1;
  verdict.dataset.status = result.status;
  verdict.dataset.tone = look.tone;
  verdict.dataset.testid = "verdict";
  const text = el("div", undefined, "verdict-text");
  text.append(el("h2", words.title, "verdict-title"), el("p", words.advice, "verdict-advice"));
  if (result.recall !== undefined) {
    const deadline = formatDate(lang, result.recall.deadline.toISOString());
    text.append(el("p", s.recall(result.recall.level, deadline), "verdict-recall"));
  }
  if (result.mismatch === true) text.append(el("p", s.proofMismatch, "verdict-note"));
  if (result.block !== undefined) text.append(el("p", s.checkedAt(result.block), "verdict-block"));
  verdict.append(icon(look.icon), text);
  byId("result").replaceChildren(verdict);

  const details = byId("details");
  details.replaceChildren();
  const d = result.description;
  details.hidden = d === null;
  if (d !== null) {
    const heading = el("h2", s.details);
    heading.id = "details-title";
    const list = el("dl");
    const row = (term: string, value: string | null | undefined) => {
      if (value === null || value === undefined || value === "") return;
      list.append(el("dt", term), el("dd", value));
    };
    row(s.product, d.product?.name);
    row(s.lot, d.lot);
    row(s.expiry, d.expiry === null ? null : formatDate(lang, d.expiry));
    row(s.manufactured, d.manufactured === null ? null : formatDate(lang, d.manufactured));
    row(s.code, result.code);
    details.append(heading, list);
    if (d.history !== null && d.history.length > 0) {
      const timeline = el("ol", undefined, "timeline");
      timeline.dataset.testid = "history";
      for (const entry of d.history) {
        const item = el("li");
        if (entry.at !== null) {
          const time = el("time", formatDate(lang, entry.at));
          time.dateTime = entry.at;
          item.append(time);
        }
        item.append(el("span", historyLine(lang, entry)));
        timeline.append(item);
      }
      details.append(el("h3", s.history), timeline);
    }
  }
  return verdict;
}
