/**
 * The verification page: wires the three ways to present a code (camera, photo, typed)
 * to one check, and the language switch to the view.
 */
import "./style.css";

import { InvalidCodeError } from "./api.js";
import { displayForm } from "./codes.js";
import { type Lang, initialLanguage, rememberLanguage, strings } from "./i18n.js";
import { type CameraScan, codeFromPhoto, scanWithCamera } from "./scan.js";
import { type CheckResult, checkCode } from "./verify.js";
import { applyLanguage, clearResult, showBusy, showCamera, showError, showResult } from "./view.js";

let lang: Lang = initialLanguage();
let last: CheckResult | undefined;
/** The message key of the error on screen, so a language switch can translate it. */
let lastError: ErrorKey | undefined;
let camera: CameraScan | undefined;
let busy = false;
/** Numbers checks, so that a slow answer to an earlier one never overwrites a later one. */
let sequence = 0;

type ErrorKey = "cameraUnavailable" | "noCodeInPhoto" | "emptyCode" | "invalidCode" | "networkError";

const codeInput = document.getElementById("code") as HTMLInputElement;
const photoInput = document.getElementById("photo") as HTMLInputElement;
const video = document.getElementById("video") as HTMLVideoElement;

function fail(key: ErrorKey | undefined): void {
  lastError = key;
  showError(key === undefined ? undefined : strings(lang)[key]);
}

async function check(code: string): Promise<void> {
  const trimmed = code.trim();
  if (trimmed === "") {
    fail("emptyCode");
    codeInput.focus();
    return;
  }
  const mine = ++sequence;
  fail(undefined);
  clearResult();
  last = undefined;
  busy = true;
  showBusy(lang, true);
  try {
    const result = await checkCode(trimmed);
    if (mine !== sequence) return;
    last = result;
    showResult(lang, result).focus();
  } catch (error) {
    if (mine !== sequence) return;
    fail(error instanceof InvalidCodeError ? "invalidCode" : "networkError");
    if (!(error instanceof InvalidCodeError)) console.error(error);
    codeInput.focus();
  } finally {
    if (mine === sequence) {
      busy = false;
      showBusy(lang, false);
    }
  }
}

function stopCamera(): void {
  camera?.stop();
  camera = undefined;
  showCamera(lang, false);
}

async function startCamera(): Promise<void> {
  fail(undefined);
  showCamera(lang, true);
  try {
    camera = await scanWithCamera(video);
  } catch (error) {
    console.error(error);
    showCamera(lang, false);
    fail("cameraUnavailable");
    return;
  }
  const scan = camera;
  const raw = await scan.result;
  if (camera === scan) stopCamera();
  if (raw === undefined) return;
  codeInput.value = displayForm(raw);
  await check(raw);
}

document.getElementById("code-form")?.addEventListener("submit", (event) => {
  event.preventDefault();
  void check(codeInput.value);
});

document.getElementById("scan")?.addEventListener("click", () => {
  if (camera !== undefined) stopCamera();
  else void startCamera();
});

photoInput.addEventListener("change", async () => {
  const file = photoInput.files?.[0];
  photoInput.value = "";
  if (file === undefined) return;
  fail(undefined);
  let raw: string | undefined;
  try {
    raw = await codeFromPhoto(file);
  } catch (error) {
    console.error(error);
  }
  if (raw === undefined) {
    clearResult();
    fail("noCodeInPhoto");
    return;
  }
  codeInput.value = displayForm(raw);
  await check(raw);
});

document.getElementById("lang-switch")?.addEventListener("click", () => {
  lang = lang === "en" ? "zh-CN" : "en";
  rememberLanguage(lang);
  applyLanguage(lang);
  showCamera(lang, camera !== undefined);
  showBusy(lang, busy);
  fail(lastError);
  if (last !== undefined) showResult(lang, last);
});

applyLanguage(lang);
showBusy(lang, false);
